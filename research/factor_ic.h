// Factor IC ("signal edge"): how well a factor's cross-section ranks the
// symbols' forward returns, date after date, on non-overlapping windows.
// Thread-safe: pure functions.
//
// Definitions (docs/research.md):
// - Forward return of symbol s from time t (where s has a bar): its close at
//   its H-th next bar / its close at t - 1, counted in s's own bars (a
//   symbol's missing bars are skipped, not filled); undefined when s has
//   fewer than H later bars.
// - A pair at (s, t): s has a finite factor value and a forward return at t.
// - Evaluation dates: one grid for all the factors studied together, so
//   their ICs compare date for date. It starts at the latest, over the
//   factors, of each one's first clock step with at least min_symbols pairs
//   (so after the longest warm-up), and takes every H-th step of the clock
//   from there: windows of H steps that do not overlap.
// - IC at a date: Spearman's rank correlation across the symbols with a pair
//   (statistics.h: Pearson on average ranks, ties exact). A date with fewer
//   than min_symbols pairs, or where either side has no spread, has no IC
//   and is counted as skipped.
// - Quantiles: Q = min(quantiles, the fewest pairs at any date with an IC),
//   so that no quantile of any date is empty for want of symbols. A symbol
//   whose factor has average rank r among n pairs is in quantile
//   min(Q - 1, floor((r - 1) * Q / n)), 0 the lowest factor values; tied
//   values share a quantile (so with ties one may be empty). Per date: each
//   quantile's mean forward return, and the spread = top quantile's mean -
//   bottom quantile's (undefined when either is empty).
// - Summary over the n dates with an IC: mean IC; IC standard deviation
//   (sample, divisor n - 1; undefined for n < 2); t = mean / (sd /
//   sqrt(n)) (undefined when sd is or is 0); the share of ICs > 0; the mean
//   spread and each quantile's mean return over the dates where defined;
//   unreliable when n < min_windows.
#ifndef SEED_RESEARCH_FACTOR_IC_H_
#define SEED_RESEARCH_FACTOR_IC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "research/panel.h"

namespace seed::research {

// Fewer than 3 symbols make a rank correlation of +-1 or nothing: at least
// 3 pairs are needed for an IC to say anything.
inline constexpr int kDefaultMinSymbols = 3;
// Quintiles, the customary split of factor studies.
inline constexpr int kDefaultQuantiles = 5;
// Below 20 windows the mean IC's standard error, sd / sqrt(n), is more than
// a fifth of the ICs' own spread, and its t-statistic too noisy to act on: a
// rule of thumb, not a theorem, so a setting.
inline constexpr int kDefaultMinWindows = 20;

struct IcOptions {
  int64_t horizon = 21;  // H, in bars: forward returns and date spacing
  int min_symbols = kDefaultMinSymbols;  // >= 2
  int quantiles = kDefaultQuantiles;     // >= 2
  int min_windows = kDefaultMinWindows;  // >= 1
};

// One factor's values by [symbol][time] over the panel (factors.h
// ComputeFactor, or any other source), and the name to report it by.
struct NamedFactor {
  std::string name;
  const PanelValues* values = nullptr;
};

struct IcDate {
  int64_t time = 0;
  int64_t symbols = 0;  // pairs
  double ic = 0;
  std::optional<double> spread;
  std::vector<std::optional<double>> quantile_returns;  // bottom first
};

struct FactorIc {
  std::string factor;
  int64_t windows = 0;  // dates with an IC
  int64_t skipped = 0;  // evaluation dates without one
  int quantiles = 0;    // Q, as the header comment defines it
  std::optional<double> mean_ic;
  std::optional<double> ic_std_dev;
  std::optional<double> t_stat;
  std::optional<double> positive_share;
  std::optional<double> mean_spread;
  std::vector<std::optional<double>> quantile_returns;  // bottom first
  bool unreliable = true;
  std::vector<IcDate> series;  // the dates with an IC, for plotting
};

// Forward H-bar returns by [symbol][time], NaN where undefined.
PanelValues ForwardReturns(const Panel& panel, int64_t horizon);

// One summary per factor, in the order given, or INVALID_ARGUMENT when an
// option is out of range, the panel is inconsistent (CheckPanel), a
// factor's values do not match the panel's shape, or the universe has
// fewer than min_symbols symbols.
absl::StatusOr<std::vector<FactorIc>> EvaluateFactors(
    const Panel& panel, absl::Span<const NamedFactor> factors,
    const IcOptions& options);

}  // namespace seed::research

#endif  // SEED_RESEARCH_FACTOR_IC_H_
