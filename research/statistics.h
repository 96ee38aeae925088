// Descriptive statistics the research libraries share, each with one
// definition: percentiles (linear interpolation), equal-width histograms,
// average ranks, Pearson and Spearman correlation, mean and sample standard
// deviation. Thread-safe: pure functions.
#ifndef SEED_RESEARCH_STATISTICS_H_
#define SEED_RESEARCH_STATISTICS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/types/span.h"

namespace seed::research {

// The p-th percentile (p in [0, 100]) of `sorted` (ascending, not empty) by
// linear interpolation between order statistics, numpy's default
// ("linear", Hyndman and Fan's type 7): h = (n - 1) * p / 100, the value
// sorted[floor(h)] + (h - floor(h)) * (sorted[floor(h) + 1] -
// sorted[floor(h)]). Example: the 25th percentile of {1, 2, 3, 4} is 1.75.
double PercentileOfSorted(absl::Span<const double> sorted, double p);

// The same percentiles of `values` (not empty, in any order; reordered
// here), one per entry of `ps`, without sorting them all: a few partial
// selections (std::nth_element), O(n) each, where a sort is O(n log n).
std::vector<double> Percentiles(absl::Span<double> values,
                                absl::Span<const double> ps);

// `bins` equal-width bins from the smallest to the largest value: edges
// e_0 = min < e_1 < ... < e_bins = max, e_i = min + i * (max - min) / bins
// (the last exactly max); bin i counts values in [e_i, e_{i+1}), the last bin
// [e_{bins-1}, max] closed. When every value is the same (or there is one),
// one bin [v, v] holds them all; no values, no bins. bins >= 1; values
// finite.
struct Histogram {
  std::vector<double> edges;  // counts.size() + 1 of them
  std::vector<int64_t> counts;
};
Histogram MakeHistogram(absl::Span<const double> values, int bins);

// 1-based ranks in ascending order, ties given the mean of the ranks they
// span: {10, 20, 20, 30} -> {1, 2.5, 2.5, 4}.
std::vector<double> AverageRanks(absl::Span<const double> values);

// sum((x - mean x)(y - mean y)) / sqrt(sum((x - mean x)^2) sum((y -
// mean y)^2)), clamped to [-1, 1] against rounding; undefined when the sizes
// differ, n < 2, or either series has no spread (all its values equal).
std::optional<double> PearsonCorrelation(absl::Span<const double> x,
                                         absl::Span<const double> y);

// Spearman's rank correlation: Pearson's on the average ranks (so ties are
// handled exactly, unlike the 1 - 6 sum d^2 / (n (n^2 - 1)) shortcut, which
// needs distinct ranks). Undefined as Pearson's is.
std::optional<double> SpearmanCorrelation(absl::Span<const double> x,
                                          absl::Span<const double> y);

// Mean (undefined with no values) and sample standard deviation, divisor
// n - 1 (undefined below 2 values), each computed about the mean (two
// passes).
std::optional<double> Mean(absl::Span<const double> values);
std::optional<double> SampleStdDev(absl::Span<const double> values);

}  // namespace seed::research

#endif  // SEED_RESEARCH_STATISTICS_H_
