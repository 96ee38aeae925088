// Monte Carlo on one finished run's closed trades: how the equity path, its
// drawdowns and its end could have looked had the same trades come in
// another order (reshuffle) or been drawn again with replacement
// (bootstrap). Seeded: the same trades, spec and seed give the same numbers
// on any machine. Thread-safe: pure functions.
//
// Definitions (docs/research.md). Trades are taken in closing order, each
// with its net P&L and the equity before it; E_0 = the initial equity.
// - A path is a sequence of n trade indexes (n = the number of trades),
//   drawn from std::mt19937_64 seeded with `seed` (common/seeded_random.h),
//   one path after another from one stream. Reshuffle: the indexes 0..n-1
//   shuffled by Fisher-Yates (for i = n-1 down to 1, swap i with an index
//   uniform in [0, i]), a permutation. Bootstrap: n indexes each uniform in
//   [0, n), drawn with replacement.
// - Basis pnl (a strategy trading a fixed size): E_k = E_{k-1} + pnl of the
//   path's k-th trade, but the final equity E_n is the exact sum of E_0 and
//   the path's P&L rounded once (Shewchuk partials, exact_sum.h), so that a
//   reshuffle ends, bit for bit, where the run's own order ends. Basis
//   return (a strategy sizing by equity): E_k = E_{k-1} * (1 + pnl /
//   equity_before) of that trade; products in another order round
//   differently, so a reshuffle keeps the final equity only to about 1e-15
//   relative.
// - Per path: final equity E_n; max drawdown = max over k of 1 - E_k /
//   max(E_0..E_k), a fraction (above 1 when equity goes below 0); longest
//   drawdown = the longest run of consecutive trades whose E_k is strictly
//   below the running peak (in trades, as metrics' duration counts steps);
//   ruined = E_k <= ruin_fraction * E_0 after some trade (k >= 1).
// - Percentiles: linear interpolation (statistics.h, numpy's default) over
//   the paths. Histograms: `histogram_bins` equal-width bins from the
//   smallest to the largest value (statistics.h). probability_of_ruin = the
//   share of paths ruined; probability_below_initial = the share with
//   E_n < E_0.
// - Fan: for trade indexes k = 0..n (k = 0 is the start), the chosen
//   percentiles of E_k across paths. With more than fan_points indexes, only
//   k_j = floor(j * n / (fan_points - 1)) for j = 0..fan_points-1 (the first
//   and last always in, evenly spaced).
#ifndef SEED_RESEARCH_MONTE_CARLO_H_
#define SEED_RESEARCH_MONTE_CARLO_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "backtest/v1/orders.pb.h"
#include "research/statistics.h"

namespace seed::research {

// Most paths one analysis may draw: the fan keeps fan_points equities per
// path (100,000 x 200 doubles = 160 MB at the limit).
inline constexpr int64_t kMaxMonteCarloPaths = 100'000;
// Ruin, unless asked otherwise: losing half of the initial equity, the loss
// past which few traders keep a strategy running (set 0 for "equity gone").
inline constexpr double kDefaultRuinFraction = 0.5;

struct TradeOutcome {
  double net_pnl = 0;
  double equity_before = 0;  // the return basis divides by it
};

enum class Resampling { kReshuffle, kBootstrap };
enum class Basis { kPnl, kReturn };

struct MonteCarloSpec {
  Resampling resampling = Resampling::kReshuffle;
  Basis basis = Basis::kPnl;
  int64_t paths = 1000;
  uint64_t seed = 0;
  // Each in [0, 100]; also the fan's.
  std::vector<double> percentiles = {5, 25, 50, 75, 95};
  double ruin_fraction = kDefaultRuinFraction;  // in [0, 1]
  int histogram_bins = 20;                      // in [1, 1000]
  int fan_points = 200;                         // in [2, 10000]
};

struct PathStats {
  double final_equity = 0;
  double max_drawdown = 0;
  int64_t longest_drawdown = 0;  // trades
  bool ruined = false;
};

struct Distribution {
  std::vector<double> percentiles;  // at spec.percentiles, in their order
  double mean = 0;
  double min = 0;
  double max = 0;
  Histogram histogram;
};

struct FanPoint {
  int64_t trade = 0;           // E after this many trades
  std::vector<double> equity;  // at spec.percentiles, in their order
};

struct MonteCarloResult {
  // The trades in their own order, through the same arithmetic.
  PathStats original;
  Distribution final_equity;
  Distribution max_drawdown;
  Distribution longest_drawdown;
  double probability_of_ruin = 0;
  double probability_below_initial = 0;
  std::vector<FanPoint> fan;
};

// The analysis of `trades` (in closing order) from `initial_equity`, or
// INVALID_ARGUMENT saying what to fix: no trades, an initial equity that is
// not finite and positive, a spec value out of its range, a P&L that is not
// finite, or (return basis) an equity_before that is not finite and
// positive or a trade that lost more than it (its return below -1).
// Example:
//   MonteCarloSpec spec;
//   spec.paths = 10000;
//   spec.seed = 7;
//   absl::StatusOr<MonteCarloResult> result =
//       RunMonteCarlo(ClosedTradeOutcomes(trades, 100000), 100000, spec);
absl::StatusOr<MonteCarloResult> RunMonteCarlo(
    absl::Span<const TradeOutcome> trades, double initial_equity,
    const MonteCarloSpec& spec);

// A run's closed trades (in closing order) as outcomes: each trade's
// net_pnl, and as equity_before the closed-trade equity, initial_equity plus
// the exact sum of the earlier trades' net P&L: the account the path model
// compounds (it knows trades, not the marks of positions held meanwhile).
std::vector<TradeOutcome> ClosedTradeOutcomes(
    absl::Span<const backtest::v1::Trade> trades, double initial_equity);

}  // namespace seed::research

#endif  // SEED_RESEARCH_MONTE_CARLO_H_
