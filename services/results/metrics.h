// Performance metrics of one run, computed from what the results stage stored:
// the equity curve, the trades and the fills' commissions. Each metric has
// exactly one definition, written here beside the code and in docs/metrics.md.
// Thread-safe: a pure function.
#ifndef SEED_SERVICES_RESULTS_METRICS_H_
#define SEED_SERVICES_RESULTS_METRICS_H_

#include <cstdint>

#include "absl/types/span.h"
#include "backtest/v1/orders.pb.h"
#include "backtest/v1/run.pb.h"

namespace seed::results {

// Trading days in a year: the convention for annualizing daily returns.
inline constexpr double kTradingDaysPerYear = 252.0;
// Length of the year used for CAGR, in days (the Julian year: leap years
// included on average).
inline constexpr double kDaysPerYear = 365.25;
// Below this relative size, equity minus cash is rounding noise rather than a
// position (exposure).
inline constexpr double kExposureTolerance = 1e-9;

struct MetricsInput {
  // One point per step, in time order.
  absl::Span<const backtest::v1::EquityPoint> equity;
  absl::Span<const backtest::v1::Trade> closed_trades;
  absl::Span<const backtest::v1::Trade> open_trades;
  // Sum of every fill's commission.
  double total_commission = 0;
  double initial_cash = 0;
  // Bar interval of the data; 0 when unknown (treated as intraday below).
  int64_t interval_seconds = 0;
};

// Definitions (E_i = equity of point i, i = 0..n-1):
// - initial_equity = initial cash; final_equity = E_{n-1} (initial when n = 0);
//   total_return = final / initial - 1 (0 when initial <= 0).
// - returns r_i = E_i / E_{i-1} - 1 for i >= 1; a step whose E_{i-1} is 0 has
//   no defined return and is left out.
// - periods_per_year: interval >= 1 day -> 252 * 86400 / interval; otherwise
//   (intraday or unknown) -> 252 * the median number of equity points per
//   calendar day (day = floor(time / 86400) on the data's clock; the mean of
//   the two middle counts when the number of days is even; 252 when n = 0).
// - cagr = (final / initial)^(1 / years) - 1 with years = (time of E_{n-1} -
//   time of E_0) / (365.25 * 86400); unset when years <= 0, initial <= 0 or
//   final <= 0.
// - annual_volatility = sample standard deviation (n - 1) of r *
//   sqrt(periods_per_year); unset with fewer than 2 returns (0 for a flat
//   curve).
// - sharpe = mean(r) / stdev(r) * sqrt(periods_per_year), risk-free rate 0;
//   unset with fewer than 2 returns or when stdev(r) == 0.
// - max_drawdown = max over t of (1 - E_t / max_{s<=t} E_s), a positive
//   fraction (0 with no points; points whose running peak is <= 0 are left
//   out). max_drawdown_duration_steps = the longest run of consecutive points
//   strictly below their running peak (from the peak to the recovery, or to
//   the end when never recovered).
// - trades = closed trades; open_trades = trades still open at the end.
// - win_rate = winners / closed trades, a winner has net_pnl > 0; unset when
//   no trade closed.
// - profit_factor = sum of winners' net_pnl / |sum of losers' net_pnl| (a
//   loser has net_pnl < 0); unset when no trade lost.
// - total_commission = sum of all fills' commissions.
// - exposure = fraction of points where |E_t - cash_t| > 1e-9 * max(1, |E_t|),
//   i.e. some position was held; unset with no points.
backtest::v1::Metrics ComputeMetrics(const MetricsInput& input);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_METRICS_H_
