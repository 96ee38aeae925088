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

// The accumulators below each take the equity points one at a time, so that
// ComputeMetrics reads a curve of millions of points once.

// Points per calendar day, for the periods per year of intraday data.
class DayCounter {
 public:
  void Add(int64_t time) {
    const int64_t day = CalendarDay(time);
    // A time-ordered curve lists each day's points together: the map is
    // touched once per day rather than once per point.
    if (day != current_day_) Flush();
    current_day_ = day;
    ++current_points_;
  }

  // kTradingDaysPerYear * the median points per day; kTradingDaysPerYear
  // with no points.
  double PeriodsPerYear() {
    Flush();
    if (points_per_day_.empty()) return kTradingDaysPerYear;
    std::vector<double> counts;
    counts.reserve(points_per_day_.size());
    for (const auto& [day, count] : points_per_day_) counts.push_back(count);
    return kTradingDaysPerYear * Median(std::move(counts));
  }

 private:
  void Flush() {
    if (current_points_ > 0) points_per_day_[current_day_] += current_points_;
    current_points_ = 0;
  }

  std::map<int64_t, int64_t> points_per_day_;
  int64_t current_day_ = 0;
  int64_t current_points_ = 0;
};

// Step-to-step returns, then their volatility and Sharpe ratio.
class ReturnStatistics {
 public:
  void Add(double equity) {
    if (has_previous_ && previous_ != 0) {
      returns_.push_back(equity / previous_ - 1);
    }
    previous_ = equity;
    has_previous_ = true;
  }

  void Set(double periods_per_year, Metrics& metrics) const {
    if (returns_.size() < 2) return;
    double sum = 0;
    for (double r : returns_) sum += r;
    const double mean = sum / returns_.size();
    double squares = 0;
    for (double r : returns_) squares += (r - mean) * (r - mean);
    const double stdev = std::sqrt(squares / (returns_.size() - 1));
    const double annualizer = std::sqrt(periods_per_year);
    metrics.set_annual_volatility(stdev * annualizer);
    if (stdev > 0) metrics.set_sharpe(mean / stdev * annualizer);
  }

 private:
  std::vector<double> returns_;
  double previous_ = 0;
  bool has_previous_ = false;
};

class Drawdown {
 public:
  void Add(double equity) {
    if (first_ || equity >= peak_) {
      peak_ = equity;
      run_ = 0;
      first_ = false;
      return;
    }
    ++run_;
    longest_run_ = std::max(longest_run_, run_);
    if (peak_ > 0) max_drawdown_ = std::max(max_drawdown_, 1 - equity / peak_);
  }

  void Set(Metrics& metrics) const {
    metrics.set_max_drawdown(max_drawdown_);
    metrics.set_max_drawdown_duration_steps(longest_run_);
  }

 private:
  bool first_ = true;
  double peak_ = 0;
  double max_drawdown_ = 0;
  int64_t run_ = 0;
  int64_t longest_run_ = 0;
};

bool HoldsAPosition(const EquityPoint& point) {
  const double tolerance =
      kExposureTolerance * std::max(1.0, std::abs(point.equity()));
  return std::abs(point.equity() - point.cash()) > tolerance;
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

}  // namespace

Metrics ComputeMetrics(const MetricsInput& input) {
  Metrics metrics;
  const double initial = input.initial_cash;
  const double final_equity =
      input.equity.empty() ? initial : input.equity.back().equity();
  metrics.set_initial_equity(initial);
  metrics.set_final_equity(final_equity);
  if (initial > 0) metrics.set_total_return(final_equity / initial - 1);

  const bool intraday = input.interval_seconds < kSecondsPerDay;
  DayCounter days;
  ReturnStatistics returns;
  Drawdown drawdown;
  int64_t invested = 0;
  for (const EquityPoint& point : input.equity) {
    if (intraday) days.Add(point.time());
    returns.Add(point.equity());
    drawdown.Add(point.equity());
    if (HoldsAPosition(point)) ++invested;
  }

  const double periods_per_year =
      intraday ? days.PeriodsPerYear()
               : kTradingDaysPerYear * kSecondsPerDay / input.interval_seconds;
  metrics.set_periods_per_year(periods_per_year);

  if (!input.equity.empty() && initial > 0 && final_equity > 0) {
    const double years = static_cast<double>(input.equity.back().time() -
                                             input.equity.front().time()) /
                         (kDaysPerYear * kSecondsPerDay);
    if (years > 0) {
      metrics.set_cagr(std::pow(final_equity / initial, 1 / years) - 1);
    }
  }

  returns.Set(periods_per_year, metrics);
  drawdown.Set(metrics);
  SetTradeStatistics(input, metrics);
  metrics.set_total_commission(input.total_commission);
  if (!input.equity.empty()) {
    metrics.set_exposure(static_cast<double>(invested) / input.equity.size());
  }
  return metrics;
}

}  // namespace seed::results
