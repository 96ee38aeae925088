#include "research/factor_ic.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "research/statistics.h"

namespace seed::research {
namespace {

// The pairs of one date: factor values and forward returns, by symbol order.
struct Pairs {
  int64_t time = 0;
  std::vector<double> factor;
  std::vector<double> forward;
};

Pairs PairsAt(const PanelValues& factor, const PanelValues& forward, size_t t,
              int64_t time) {
  Pairs pairs;
  pairs.time = time;
  for (size_t s = 0; s < factor.size(); ++s) {
    const double x = factor[s][t];
    const double y = forward[s][t];
    if (std::isfinite(x) && std::isfinite(y)) {
      pairs.factor.push_back(x);
      pairs.forward.push_back(y);
    }
  }
  return pairs;
}

// Each quantile's mean forward return at one date (see the header comment).
std::vector<std::optional<double>> QuantileReturns(const Pairs& pairs,
                                                   int quantiles) {
  const std::vector<double> ranks = AverageRanks(pairs.factor);
  const double n = static_cast<double>(ranks.size());
  std::vector<double> sums(quantiles, 0);
  std::vector<int64_t> counts(quantiles, 0);
  for (size_t i = 0; i < ranks.size(); ++i) {
    const int q =
        std::min(quantiles - 1,
                 static_cast<int>(std::floor((ranks[i] - 1) * quantiles / n)));
    sums[q] += pairs.forward[i];
    ++counts[q];
  }
  std::vector<std::optional<double>> means(quantiles);
  for (int q = 0; q < quantiles; ++q) {
    if (counts[q] > 0) means[q] = sums[q] / static_cast<double>(counts[q]);
  }
  return means;
}

// The mean of the defined values, undefined when there are none.
std::optional<double> MeanOfDefined(
    const std::vector<std::optional<double>>& values) {
  std::vector<double> defined;
  for (const std::optional<double>& value : values) {
    if (value.has_value()) defined.push_back(*value);
  }
  return Mean(defined);
}

absl::Status CheckOptions(const Panel& panel,
                          absl::Span<const NamedFactor> factors,
                          const IcOptions& options) {
  const auto invalid = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat(parts...));
  };
  if (options.horizon < 1) {
    return invalid("horizon must be at least 1 bar, got ", options.horizon);
  }
  if (options.min_symbols < 2) {
    return invalid("min_symbols must be at least 2, got ", options.min_symbols);
  }
  if (options.quantiles < 2) {
    return invalid("quantiles must be at least 2, got ", options.quantiles);
  }
  if (options.min_windows < 1) {
    return invalid("min_windows must be at least 1, got ", options.min_windows);
  }
  if (absl::Status status = CheckPanel(panel); !status.ok()) return status;
  const int64_t symbols = static_cast<int64_t>(panel.symbols.size());
  if (symbols < options.min_symbols) {
    return invalid("the universe has ", symbols,
                   " symbols; a factor IC needs at least min_symbols = ",
                   options.min_symbols);
  }
  for (const NamedFactor& factor : factors) {
    bool fits = factor.values != nullptr &&
                static_cast<int64_t>(factor.values->size()) == symbols;
    for (size_t s = 0; fits && s < factor.values->size(); ++s) {
      fits = (*factor.values)[s].size() == panel.times.size();
    }
    if (!fits) {
      return invalid("factor ", factor.name,
                     " has no value for every symbol and time of the panel");
    }
  }
  return absl::OkStatus();
}

}  // namespace

PanelValues ForwardReturns(const Panel& panel, int64_t horizon) {
  constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();
  PanelValues forward;
  for (const std::vector<double>& closes : panel.close) {
    std::vector<double>& row = forward.emplace_back(closes.size(), kUndefined);
    std::vector<size_t> bars;  // the symbol's own bars
    for (size_t t = 0; t < closes.size(); ++t) {
      if (!std::isnan(closes[t])) bars.push_back(t);
    }
    for (size_t j = 0; j + horizon < bars.size(); ++j) {
      row[bars[j]] = closes[bars[j + horizon]] / closes[bars[j]] - 1;
    }
  }
  return forward;
}

absl::StatusOr<std::vector<FactorIc>> EvaluateFactors(
    const Panel& panel, absl::Span<const NamedFactor> factors,
    const IcOptions& options) {
  if (absl::Status status = CheckOptions(panel, factors, options);
      !status.ok()) {
    return status;
  }
  const PanelValues forward = ForwardReturns(panel, options.horizon);
  const size_t times = panel.times.size();
  const auto pair_count = [&](const PanelValues& values, size_t t) {
    int64_t count = 0;
    for (size_t s = 0; s < values.size(); ++s) {
      count += std::isfinite(values[s][t]) && std::isfinite(forward[s][t]);
    }
    return count;
  };

  // The shared grid starts once every factor that ever has enough pairs has
  // them (a factor that never does reports no windows).
  std::optional<size_t> start;
  for (const NamedFactor& factor : factors) {
    for (size_t t = 0; t < times; ++t) {
      if (pair_count(*factor.values, t) >= options.min_symbols) {
        start = std::max(start.value_or(0), t);
        break;
      }
    }
  }

  std::vector<FactorIc> results;
  for (const NamedFactor& factor : factors) {
    FactorIc result;
    result.factor = factor.name;
    std::vector<Pairs> dates;
    std::vector<double> ics;
    for (size_t t = start.value_or(times); t < times; t += options.horizon) {
      Pairs pairs = PairsAt(*factor.values, forward, t, panel.times[t]);
      std::optional<double> ic;
      if (static_cast<int64_t>(pairs.factor.size()) >= options.min_symbols) {
        ic = SpearmanCorrelation(pairs.factor, pairs.forward);
      }
      if (!ic.has_value()) {
        ++result.skipped;
        continue;
      }
      ics.push_back(*ic);
      dates.push_back(std::move(pairs));
    }

    result.windows = static_cast<int64_t>(ics.size());
    result.unreliable = result.windows < options.min_windows;
    result.quantiles = options.quantiles;
    for (const Pairs& pairs : dates) {
      result.quantiles =
          std::min(result.quantiles, static_cast<int>(pairs.factor.size()));
    }
    std::vector<std::optional<double>> spreads;
    std::vector<std::vector<std::optional<double>>> by_quantile(
        result.quantiles);
    for (size_t d = 0; d < dates.size(); ++d) {
      IcDate date;
      date.time = dates[d].time;
      date.symbols = static_cast<int64_t>(dates[d].factor.size());
      date.ic = ics[d];
      date.quantile_returns = QuantileReturns(dates[d], result.quantiles);
      const auto& bottom = date.quantile_returns.front();
      const auto& top = date.quantile_returns.back();
      if (bottom.has_value() && top.has_value()) date.spread = *top - *bottom;
      spreads.push_back(date.spread);
      for (int q = 0; q < result.quantiles; ++q) {
        by_quantile[q].push_back(date.quantile_returns[q]);
      }
      result.series.push_back(std::move(date));
    }

    result.mean_ic = Mean(ics);
    result.ic_std_dev = SampleStdDev(ics);
    if (result.ic_std_dev.has_value() && *result.ic_std_dev > 0) {
      result.t_stat =
          *result.mean_ic / (*result.ic_std_dev / std::sqrt(ics.size()));
    }
    if (!ics.empty()) {
      const auto positive = std::count_if(ics.begin(), ics.end(),
                                          [](double ic) { return ic > 0; });
      result.positive_share =
          static_cast<double>(positive) / static_cast<double>(ics.size());
    }
    result.mean_spread = MeanOfDefined(spreads);
    for (const auto& returns : by_quantile) {
      result.quantile_returns.push_back(MeanOfDefined(returns));
    }
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace seed::research
