#include "services/results/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "common/time.h"

namespace seed::results {
namespace {

using ::backtest::v1::EquityPoint;
using ::backtest::v1::Metrics;

int64_t CalendarDay(int64_t time) {
  // Floor division so that times before 1970 land on their own day.
  int64_t day = time / kSecondsPerDay;
  if (time % kSecondsPerDay < 0) --day;
  return day;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t middle = values.size() / 2;
  if (values.size() % 2 == 1) return values[middle];
  return (values[middle - 1] + values[middle]) / 2;
}

double PeriodsPerYear(absl::Span<const EquityPoint> equity,
                      int64_t interval_seconds) {
  if (interval_seconds >= kSecondsPerDay) {
    return kTradingDaysPerYear * kSecondsPerDay / interval_seconds;
  }
  if (equity.empty()) return kTradingDaysPerYear;
  std::map<int64_t, double> points_per_day;
  for (const EquityPoint& point : equity)
    ++points_per_day[CalendarDay(point.time())];
  std::vector<double> counts;
  counts.reserve(points_per_day.size());
  for (const auto& [day, count] : points_per_day) counts.push_back(count);
  return kTradingDaysPerYear * Median(std::move(counts));
}

std::vector<double> Returns(absl::Span<const EquityPoint> equity) {
  std::vector<double> returns;
  for (size_t i = 1; i < equity.size(); ++i) {
    const double previous = equity[i - 1].equity();
    if (previous == 0) continue;
    returns.push_back(equity[i].equity() / previous - 1);
  }
  return returns;
}

void SetReturnStatistics(const std::vector<double>& returns,
                         double periods_per_year, Metrics& metrics) {
  if (returns.size() < 2) return;
  double sum = 0;
  for (double r : returns) sum += r;
  const double mean = sum / returns.size();
  double squares = 0;
  for (double r : returns) squares += (r - mean) * (r - mean);
  const double stdev = std::sqrt(squares / (returns.size() - 1));
  const double annualizer = std::sqrt(periods_per_year);
  metrics.set_annual_volatility(stdev * annualizer);
  if (stdev > 0) metrics.set_sharpe(mean / stdev * annualizer);
}

void SetDrawdown(absl::Span<const EquityPoint> equity, Metrics& metrics) {
  double peak = 0;
  double max_drawdown = 0;
  int64_t run = 0;
  int64_t longest_run = 0;
  for (size_t i = 0; i < equity.size(); ++i) {
    const double value = equity[i].equity();
    if (i == 0 || value >= peak) {
      peak = value;
      run = 0;
      continue;
    }
    ++run;
    longest_run = std::max(longest_run, run);
    if (peak > 0) max_drawdown = std::max(max_drawdown, 1 - value / peak);
  }
  metrics.set_max_drawdown(max_drawdown);
  metrics.set_max_drawdown_duration_steps(longest_run);
}

void SetTradeStatistics(const MetricsInput& input, Metrics& metrics) {
  metrics.set_trades(input.closed_trades.size());
  metrics.set_open_trades(input.open_trades.size());
  int64_t winners = 0;
  int64_t losers = 0;
  double gains = 0;
  double losses = 0;
  for (const backtest::v1::Trade& trade : input.closed_trades) {
    if (trade.net_pnl() > 0) {
      ++winners;
      gains += trade.net_pnl();
    } else if (trade.net_pnl() < 0) {
      ++losers;
      losses += trade.net_pnl();
    }
  }
  if (!input.closed_trades.empty()) {
    metrics.set_win_rate(static_cast<double>(winners) /
                         input.closed_trades.size());
  }
  if (losers > 0) metrics.set_profit_factor(gains / std::abs(losses));
}

void SetExposure(absl::Span<const EquityPoint> equity, Metrics& metrics) {
  if (equity.empty()) return;
  int64_t invested = 0;
  for (const EquityPoint& point : equity) {
    const double tolerance =
        kExposureTolerance * std::max(1.0, std::abs(point.equity()));
    if (std::abs(point.equity() - point.cash()) > tolerance) ++invested;
  }
  metrics.set_exposure(static_cast<double>(invested) / equity.size());
}

}  // namespace

Metrics ComputeMetrics(const MetricsInput& input) {
  Metrics metrics;
  const double initial = input.initial_cash;
  const double final_equity =
      input.equity.empty() ? initial : input.equity.back().equity();
  metrics.set_initial_equity(initial);
  metrics.set_final_equity(final_equity);
  if (initial > 0) metrics.set_total_return(final_equity / initial - 1);

  const double periods_per_year =
      PeriodsPerYear(input.equity, input.interval_seconds);
  metrics.set_periods_per_year(periods_per_year);

  if (!input.equity.empty() && initial > 0 && final_equity > 0) {
    const double years = static_cast<double>(input.equity.back().time() -
                                             input.equity.front().time()) /
                         (kDaysPerYear * kSecondsPerDay);
    if (years > 0) {
      metrics.set_cagr(std::pow(final_equity / initial, 1 / years) - 1);
    }
  }

  SetReturnStatistics(Returns(input.equity), periods_per_year, metrics);
  SetDrawdown(input.equity, metrics);
  SetTradeStatistics(input, metrics);
  metrics.set_total_commission(input.total_commission);
  SetExposure(input.equity, metrics);
  return metrics;
}

}  // namespace seed::results
