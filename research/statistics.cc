#include "research/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace seed::research {

double PercentileOfSorted(absl::Span<const double> sorted, double p) {
  const double h = (static_cast<double>(sorted.size()) - 1) * p / 100;
  const size_t low = static_cast<size_t>(std::floor(h));
  if (low + 1 >= sorted.size()) return sorted.back();
  return sorted[low] +
         (h - static_cast<double>(low)) * (sorted[low + 1] - sorted[low]);
}

std::vector<double> Percentiles(absl::Span<double> values,
                                absl::Span<const double> ps) {
  // The order statistics each percentile reads, ascending and once each;
  // selecting them in order leaves every earlier one in place.
  std::vector<size_t> needed;
  for (double p : ps) {
    const double h = (static_cast<double>(values.size()) - 1) * p / 100;
    const size_t low = static_cast<size_t>(std::floor(h));
    needed.push_back(low);
    if (low + 1 < values.size()) needed.push_back(low + 1);
  }
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  auto from = values.begin();
  for (size_t index : needed) {
    std::nth_element(from, values.begin() + index, values.end());
    from = values.begin() + index + 1;
  }
  // Positions not selected hold other values; PercentileOfSorted reads only
  // selected ones.
  std::vector<double> result;
  for (double p : ps) result.push_back(PercentileOfSorted(values, p));
  return result;
}

Histogram MakeHistogram(absl::Span<const double> values, int bins) {
  Histogram histogram;
  if (values.empty()) return histogram;
  const auto [min_it, max_it] =
      std::minmax_element(values.begin(), values.end());
  const double min = *min_it;
  const double max = *max_it;
  if (min == max) {
    histogram.edges = {min, max};
    histogram.counts = {static_cast<int64_t>(values.size())};
    return histogram;
  }
  const double width = (max - min) / bins;
  for (int i = 0; i < bins; ++i) histogram.edges.push_back(min + i * width);
  histogram.edges.push_back(max);
  histogram.counts.assign(bins, 0);
  for (double value : values) {
    int bin = static_cast<int>((value - min) / width);
    // Rounding may put a value one bin off its edges: the edges decide.
    bin = std::clamp(bin, 0, bins - 1);
    while (bin > 0 && value < histogram.edges[bin]) --bin;
    while (bin + 1 < bins && value >= histogram.edges[bin + 1]) ++bin;
    ++histogram.counts[bin];
  }
  return histogram;
}

std::vector<double> AverageRanks(absl::Span<const double> values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (size_t start = 0; start < order.size();) {
    size_t end = start + 1;
    while (end < order.size() && values[order[end]] == values[order[start]]) {
      ++end;
    }
    // Positions start..end-1 share the mean of ranks start+1..end.
    const double rank = (static_cast<double>(start + 1 + end)) / 2;
    for (size_t i = start; i < end; ++i) ranks[order[i]] = rank;
    start = end;
  }
  return ranks;
}

std::optional<double> PearsonCorrelation(absl::Span<const double> x,
                                         absl::Span<const double> y) {
  if (x.size() != y.size() || x.size() < 2) return std::nullopt;
  // Tested on the values: deviations from a rounded mean of equal values
  // need not be exactly 0.
  const auto flat = [](absl::Span<const double> v) {
    return std::all_of(v.begin(), v.end(), [&](double e) { return e == v[0]; });
  };
  if (flat(x) || flat(y)) return std::nullopt;
  const double mean_x = *Mean(x);
  const double mean_y = *Mean(y);
  double xy = 0;
  double xx = 0;
  double yy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mean_x;
    const double dy = y[i] - mean_y;
    xy += dx * dy;
    xx += dx * dx;
    yy += dy * dy;
  }
  return std::clamp(xy / std::sqrt(xx * yy), -1.0, 1.0);
}

std::optional<double> SpearmanCorrelation(absl::Span<const double> x,
                                          absl::Span<const double> y) {
  if (x.size() != y.size()) return std::nullopt;
  return PearsonCorrelation(AverageRanks(x), AverageRanks(y));
}

std::optional<double> Mean(absl::Span<const double> values) {
  if (values.empty()) return std::nullopt;
  double sum = 0;
  for (double value : values) sum += value;
  return sum / static_cast<double>(values.size());
}

std::optional<double> SampleStdDev(absl::Span<const double> values) {
  if (values.size() < 2) return std::nullopt;
  const double mean = *Mean(values);
  double squares = 0;
  for (double value : values) squares += (value - mean) * (value - mean);
  return std::sqrt(squares / static_cast<double>(values.size() - 1));
}

}  // namespace seed::research
