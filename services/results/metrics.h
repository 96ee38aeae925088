// Performance metrics of one run, computed from what the results stage stored
// (the equity curve, the trades and the fills) and, for the benchmark
// comparison, the benchmark's bars, measured as the run's MetricsSpec asks;
// in a run of several strategies, each strategy's part as well.
// Each metric has exactly one definition, written here beside the code and in
// docs/metrics.md. Thread-safe: a pure function.
#ifndef SEED_SERVICES_RESULTS_METRICS_H_
#define SEED_SERVICES_RESULTS_METRICS_H_

#include <cstdint>

#include "absl/types/span.h"
#include "backtest/v1/orders.pb.h"
#include "backtest/v1/run.pb.h"
#include "backtest/v1/spec.pb.h"

namespace seed::results {

// Trading days in a year: the convention for annualizing daily returns.
inline constexpr double kTradingDaysPerYear = 252.0;
// Length of the year used for CAGR, in days (the Julian year: leap years
// included on average).
inline constexpr double kDaysPerYear = 365.25;
// Below this relative size, equity minus cash is rounding noise rather than a
// position (exposure).
inline constexpr double kExposureTolerance = 1e-9;
// Width of an r_distribution bucket, in R: fine enough to tell a 1R from a
// 1.5R outcome, coarse enough that a few dozen trades fill the buckets.
inline constexpr double kRBucketWidth = 0.5;
// How many of the largest trades expectancy_without_top5 removes.
inline constexpr int kTopTradesRemoved = 5;
// The confidence intervals' level, in thousandths (95%). Integer, so that
// the percentile positions below are exact.
inline constexpr int64_t kConfidencePerMille = 950;
// Most block starts one confidence interval may draw: bounds the bootstrap's
// cost (a few tenths of a second) whatever the length of the run.
inline constexpr int64_t kMaxBootstrapDraws = 20'000'000;
// Most resamples one interval may take (the coordinator's limit too): the
// draw cap above then still leaves every resample at least 200 blocks.
inline constexpr int kMaxBootstrapResamples = 100'000;
// A resample whose squared deviations sum to at most this fraction of the
// whole series' has no spread: what is left is rounding of the prefix sums.
inline constexpr double kNoSpreadTolerance = 1e-9;
// A series of returns whose squared deviations from their mean sum to at most
// this fraction of the sum of their squares has no variance (beta,
// correlation): returns that are all equal still differ by rounding, a few
// ulps each, far below this even over millions of returns.
inline constexpr double kNoVarianceTolerance = 1e-12;

struct MetricsInput {
  // One point per step, in time order.
  absl::Span<const backtest::v1::EquityPoint> equity;
  // In the order they closed.
  absl::Span<const backtest::v1::Trade> closed_trades;
  absl::Span<const backtest::v1::Trade> open_trades;
  absl::Span<const backtest::v1::Fill> fills;
  double initial_cash = 0;
  // Bar interval of the data; 0 when unknown (treated as intraday below).
  int64_t interval_seconds = 0;
  // Risk-free rate (finite, > -1) and bootstrap settings (resamples in
  // [0, kMaxBootstrapResamples]); ResultsEngine::BeginRun refuses others.
  backtest::v1::MetricsSpec spec;
  // The benchmark's bars (FinishRunRequest.benchmark): times strictly
  // increasing, one finite positive close each (the same sizes);
  // ResultsEngine::FinishRun refuses others. Empty without a benchmark.
  absl::Span<const int64_t> benchmark_time;
  absl::Span<const double> benchmark_close;
  // A run of several strategies: its spec's `strategies` with the defaults
  // filled in (id, name, allocation), by strategy index, which is what the
  // fills' strategy and the points' strategy_equity count by; the trades
  // name theirs by id. Empty for a run of one.
  absl::Span<const backtest::v1::StrategySpec> strategies;
};

// Definitions (E_i = equity of point i, i = 0..n-1, T_i its time; "day" is a
// calendar day floor(T / 86400) on the data's clock):
// - initial_equity = initial cash; final_equity = E_{n-1} (initial when n = 0);
//   total_return = final / initial - 1 (0 when initial <= 0).
// - returns r_i = E_i / E_{i-1} - 1 for i >= 1; a step whose E_{i-1} is 0 has
//   no defined return and is left out. N = the number of returns.
// - periods_per_year (ppy): interval >= 1 day -> 252 * 86400 / interval;
//   otherwise (intraday or unknown) -> 252 * the median number of equity
//   points per day (the mean of the two middle counts when the number of days
//   is even; 252 when n = 0).
// - years = (T_{n-1} - T_0) / (365.25 * 86400).
// - cagr = (final / initial)^(1 / years) - 1; unset when years <= 0,
//   initial <= 0 or final <= 0.
// - annual_volatility = sample standard deviation (N - 1) of r * sqrt(ppy);
//   unset when N < 2 (0 for a flat curve).
// - excess returns x_i = r_i - rf with the per-period risk-free rate
//   rf = (1 + spec.risk_free_rate)^(1 / ppy) - 1 (0 when the rate is 0).
// - sharpe = mean(x) / sd(x) * sqrt(ppy), sd with N - 1 (= sd(r)); unset when
//   N < 2 or sd == 0.
// - sortino = mean(x) / DD * sqrt(ppy), DD = sqrt(sum(min(x_i, 0)^2) / N) over
//   all N returns; unset when N < 2 or DD == 0.
// - max_drawdown = max over t of (1 - E_t / max_{s<=t} E_s), a positive
//   fraction (0 with no points; points whose running peak is <= 0 are left
//   out). max_drawdown_duration_steps = the longest run of consecutive points
//   strictly below their running peak (from the peak to the recovery, or to
//   the end when never recovered).
// - max_drawdown_detail, of the deepest drawdown (the first, on a tie); unset
//   when max_drawdown is 0: peak_time = the last point at the running peak
//   before the trough, trough_time = the point of the deepest drawdown,
//   recovery_time = the first later point with E >= the peak's equity (empty
//   when none), duration_days = day of the recovery (or of the last point
//   when none) - day of the peak. Times are seed::FormatTime.
// - calmar = cagr / max_drawdown; unset when cagr is unset or max_drawdown is
//   0.
// - trades = closed trades; open_trades = trades still open at the end.
//   Everything below about trades is over closed trades and their net_pnl.
// - win_rate = winners / closed trades, a winner has net_pnl > 0; unset when
//   no trade closed.
// - profit_factor = sum of winners' net_pnl / |sum of losers' net_pnl| (a
//   loser has net_pnl < 0); unset when no trade lost.
// - expectancy = mean net_pnl; median_trade = the median net_pnl (the mean of
//   the two middle values for an even count); both unset with no trade.
// - average_win = mean net_pnl of winners (unset with none); average_loss =
//   mean net_pnl of losers, a negative number (unset with none).
// - expectancy_without_top5 = mean net_pnl of the trades left after removing
//   the 5 with the largest net_pnl; unset with 5 trades or fewer.
// - average_r = mean r_multiple over the trades that have a finite one; unset
//   with none. r_distribution, from those same R values: buckets
//   [from, from + 0.5) from floor(min R) up to ceil(max R) (at least one
//   bucket), every bucket listed even when empty; an R equal to the top edge
//   goes in the last bucket. Empty with no R.
// - total_commission = sum of fills' commission; total_slippage = sum of
//   fills' slippage; total_borrow_fees = sum of the closed and open trades'
//   borrow_fees.
// - turnover = sum over fills of |quantity| * price / mean(E) / years; unset
//   when years <= 0 or mean(E) <= 0.
// - exposure = fraction of points where |E_t - cash_t| > 1e-9 * max(1, |E_t|),
//   i.e. some position was held; unset with no points.
// - monthly_returns / yearly_returns: for each calendar month ("YYYY-MM") /
//   year ("YYYY") with at least one point, in time order, last E of the
//   period / base - 1, base = the last E of the previous listed period (the
//   initial cash for the first). A period whose base is 0 is left out.
// - sharpe_ci (over r with the sharpe statistic) and expectancy_ci (over the
//   trades' net_pnl, in closing order, with the mean): unset when
//   spec.bootstrap_resamples is 0; defined = false with fewer than 2 values.
//   Moving-block bootstrap: block length L = max(floor(sqrt(m)),
//   ceil(m / floor(2e7 / B))), at most m, for m values and B resamples (the
//   second term only matters when B * sqrt(m) > 2e7 draws). Each of the B
//   resamples joins blocks of L consecutive values, each block starting at a
//   uniform index in [0, m - L] (drawn from std::mt19937_64 seeded with
//   spec.bootstrap_seed, by rejection: a 64-bit output below the largest
//   multiple of m - L + 1 that fits, modulo m - L + 1), until m values (the
//   last block cut short). The statistic of each resample is kept when
//   defined (a Sharpe needs a spread: squared deviations summing to more
//   than 1e-9 of the whole series'); the kept K values are sorted, low =
//   value[floor(0.025 * (K - 1))], high = value[ceil(0.975 * (K - 1))],
//   level = 0.95, resamples = K; defined = false when K = 0.
// Benchmark comparison (B = the benchmark's bars, in time order):
// - benchmark = spec.benchmark (empty without one).
// - aligned closes: A_i = the close of the last bar of B with time <= T_i;
//   undefined for the points before B's first bar (and for every point when B
//   is empty), which are left out of the comparison.
// - benchmark_return = A_last / A_first - 1 over the first and last points
//   with an aligned close; unset when no point has one.
// - paired returns, for each i >= 1 with A_{i-1} defined and E_{i-1} != 0:
//   s_j = E_i / E_{i-1} - 1 and b_j = A_i / A_{i-1} - 1 (0 over a step where
//   B has no new bar). M = their number.
// - beta = cov(s, b) / var(b); correlation = cov(s, b) / sqrt(var(s) *
//   var(b)), clamped to [-1, 1] against rounding; cov and var both with
//   divisor M - 1. alpha = (mean(s - rf) - beta * mean(b - rf)) * ppy, Jensen's
//   alpha annualized, rf the per-period risk-free rate of sharpe. All three
//   unset when M < 2 or b has no variance; correlation also unset when s has
//   none. A series has no variance when its squared deviations from its mean
//   sum to at most 1e-12 of the sum of its squares (all equal but for
//   rounding, or all 0).
// Attribution, in a run of several strategies (input.strategies not empty):
// one StrategyAttribution per strategy, in index order. For strategy i with
// spec s, its curve S_t is strategy_equity[i] of each point (a point with
// fewer values is left out), its fills those whose strategy is i, its trades
// (closed and open) those whose strategy is its id:
// - id = s.id; name = s.name; allocation = s.allocation.
// - initial_equity = allocation * initial cash; final_equity = the last S
//   (initial_equity when no point has one); net_pnl = final - initial;
//   total_return = net_pnl / initial_equity (0 when initial <= 0). The
//   strategies' net_pnl sum to the account's final - initial equity when
//   the allocations sum to 1 (the account's equity is then the sum of the
//   sleeves').
// - max_drawdown = the account's definition above, over S.
// - trades, open_trades and win_rate as the account's, over its trades.
// - total_commission = sum of its fills' commission; total_borrow_fees = sum
//   of its closed and open trades' borrow_fees.
// - exposure = fraction of the run's points (all n) at whose time T one of
//   its trades was open: entry_time <= T < exit_time for a closed trade,
//   entry_time <= T for an open one (held at T's close: entered at or
//   before T, not yet exited). The sleeves' cash per point is not recorded,
//   so the account's definition (equity minus cash) cannot be used. Unset
//   with no points.
backtest::v1::Metrics ComputeMetrics(const MetricsInput& input);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_METRICS_H_
