#include "services/results/metrics.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace seed::results {
namespace {

using ::backtest::v1::EquityPoint;
using ::backtest::v1::Trade;

constexpr int64_t kDay = 86400;
// 2020-01-06, a Monday: any start works, a real date reads better.
constexpr int64_t kStart = 1578268800;

std::vector<EquityPoint> Curve(const std::vector<double>& equity,
                               int64_t step_seconds,
                               const std::vector<double>& cash = {}) {
  std::vector<EquityPoint> points;
  for (size_t i = 0; i < equity.size(); ++i) {
    EquityPoint point;
    point.set_time(kStart + static_cast<int64_t>(i) * step_seconds);
    point.set_equity(equity[i]);
    point.set_cash(cash.empty() ? equity[i] : cash[i]);
    points.push_back(point);
  }
  return points;
}

Trade ClosedTrade(double net_pnl) {
  Trade trade;
  trade.set_symbol("ORCL");
  trade.set_net_pnl(net_pnl);
  return trade;
}

TEST(ComputeMetricsTest, HandCheckedDailySeries) {
  // Equity 100, 110, 99, 121; cash shows a position held at steps 1 and 2.
  const std::vector<EquityPoint> equity =
      Curve({100, 110, 99, 121}, kDay, {100, 50, 50, 121});
  const std::vector<Trade> closed = {ClosedTrade(10), ClosedTrade(-5),
                                     ClosedTrade(20), ClosedTrade(0)};
  const std::vector<Trade> open = {ClosedTrade(3)};
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.equity = equity,
                      .closed_trades = closed,
                      .open_trades = open,
                      .total_commission = 7.5,
                      .initial_cash = 100,
                      .interval_seconds = kDay});

  EXPECT_DOUBLE_EQ(metrics.initial_equity(), 100);
  EXPECT_DOUBLE_EQ(metrics.final_equity(), 121);
  // 121 / 100 - 1.
  EXPECT_NEAR(metrics.total_return(), 0.21, 1e-12);
  // Daily bars: 252 * 86400 / 86400.
  EXPECT_DOUBLE_EQ(metrics.periods_per_year(), 252);
  // Returns 1/10, -1/10, 22/99 = 2/9. Mean = (2/9) / 3 = 2/27.
  // Deviations 7/270, -47/270, 40/270; squares sum (49 + 2209 + 1600) / 72900
  // = 3858 / 72900; sample variance = 1929 / 72900, stdev = sqrt(1929) / 270
  // = 0.16266810...
  const double stdev = std::sqrt(1929.0) / 270;
  ASSERT_TRUE(metrics.has_annual_volatility());
  EXPECT_NEAR(metrics.annual_volatility(), stdev * std::sqrt(252.0), 1e-12);
  EXPECT_NEAR(metrics.annual_volatility(), 2.58227, 1e-5);
  // Sharpe = (2/27) / (sqrt(1929)/270) * sqrt(252) = 20 * sqrt(252 / 1929)
  // = 7.22877 (252 / 1929 = 0.1306376, sqrt 0.3614383).
  ASSERT_TRUE(metrics.has_sharpe());
  EXPECT_NEAR(metrics.sharpe(), 20 * std::sqrt(252.0 / 1929.0), 1e-12);
  EXPECT_NEAR(metrics.sharpe(), 7.22877, 1e-5);
  // Peak 110, trough 99: 1 - 99/110 = 0.1, one step below the peak.
  EXPECT_NEAR(metrics.max_drawdown(), 0.1, 1e-12);
  EXPECT_EQ(metrics.max_drawdown_duration_steps(), 1);
  // 3 days = 3 / 365.25 years: 1.21^(365.25 / 3) - 1.
  ASSERT_TRUE(metrics.has_cagr());
  EXPECT_NEAR(metrics.cagr() / (std::pow(1.21, 365.25 / 3) - 1), 1, 1e-12);
  // Winners 10 and 20 of 4 closed (0 is not a winner); 30 / |-5| = 6.
  EXPECT_EQ(metrics.trades(), 4);
  EXPECT_EQ(metrics.open_trades(), 1);
  ASSERT_TRUE(metrics.has_win_rate());
  EXPECT_DOUBLE_EQ(metrics.win_rate(), 0.5);
  ASSERT_TRUE(metrics.has_profit_factor());
  EXPECT_DOUBLE_EQ(metrics.profit_factor(), 6);
  EXPECT_DOUBLE_EQ(metrics.total_commission(), 7.5);
  // Equity differs from cash at 2 of 4 points.
  ASSERT_TRUE(metrics.has_exposure());
  EXPECT_DOUBLE_EQ(metrics.exposure(), 0.5);
}

TEST(ComputeMetricsTest, CagrOverTwoYears) {
  // 100 -> 121 over exactly 2 * 365.25 days: sqrt(1.21) - 1 = 0.1.
  std::vector<EquityPoint> equity =
      Curve({100, 121}, static_cast<int64_t>(2 * 365.25 * kDay));
  const backtest::v1::Metrics metrics = ComputeMetrics(
      {.equity = equity, .initial_cash = 100, .interval_seconds = kDay});
  ASSERT_TRUE(metrics.has_cagr());
  EXPECT_NEAR(metrics.cagr(), 0.1, 1e-12);
}

TEST(ComputeMetricsTest, CagrUnsetWhenEquityIsNotPositive) {
  std::vector<EquityPoint> equity = Curve({100, -5}, 365 * kDay);
  const backtest::v1::Metrics metrics = ComputeMetrics(
      {.equity = equity, .initial_cash = 100, .interval_seconds = kDay});
  EXPECT_FALSE(metrics.has_cagr());
  EXPECT_NEAR(metrics.total_return(), -1.05, 1e-12);
}

TEST(ComputeMetricsTest, LongestDrawdownRunsToTheEndWhenNotRecovered) {
  // 100, 90 (1 step below 100), 100 recovers, 120 new peak, then 90, 100, 110
  // all below 120: 3 steps, never recovered. Deepest: 1 - 90/120 = 0.25.
  std::vector<EquityPoint> equity =
      Curve({100, 90, 100, 120, 90, 100, 110}, kDay);
  const backtest::v1::Metrics metrics = ComputeMetrics(
      {.equity = equity, .initial_cash = 100, .interval_seconds = kDay});
  EXPECT_NEAR(metrics.max_drawdown(), 0.25, 1e-12);
  EXPECT_EQ(metrics.max_drawdown_duration_steps(), 3);
}

TEST(ComputeMetricsTest, PeriodsPerYearFromTheInterval) {
  std::vector<EquityPoint> equity = Curve({100, 101}, 7 * kDay);
  // Weekly bars: 252 * 86400 / 604800 = 36.
  EXPECT_DOUBLE_EQ(
      ComputeMetrics(
          {.equity = equity, .initial_cash = 100, .interval_seconds = 7 * kDay})
          .periods_per_year(),
      36);
}

TEST(ComputeMetricsTest, IntradayPeriodsPerYearFromTheMedianPointsPerDay) {
  // Day 1: 3 points, day 2: 3 points, day 3: 2 points -> median 3 -> 756.
  std::vector<EquityPoint> equity;
  for (int64_t day : {0, 0, 0, 1, 1, 1, 2, 2}) {
    EquityPoint point;
    point.set_time(kStart + day * kDay + 34200 + 60 * equity.size());
    point.set_equity(100);
    point.set_cash(100);
    equity.push_back(point);
  }
  EXPECT_DOUBLE_EQ(
      ComputeMetrics(
          {.equity = equity, .initial_cash = 100, .interval_seconds = 60})
          .periods_per_year(),
      756);
  // Two days with 2 and 4 points: the mean of the middle counts, 3 -> 756.
  equity.erase(equity.begin() + 6, equity.end());  // days 0 and 1: 3 and 3
  equity[2].set_time(equity[3].time() + 1);        // now 2 and 4
  EXPECT_DOUBLE_EQ(
      ComputeMetrics(
          {.equity = equity, .initial_cash = 100, .interval_seconds = 60})
          .periods_per_year(),
      756);
  // A day's points count together even when another day's come between
  // them: days 0, 1, 0, 0, 1, 2 -> 3, 2 and 1 points -> median 2 -> 504.
  const std::vector<int64_t> days = {0, 1, 0, 0, 1, 2};
  for (size_t i = 0; i < days.size(); ++i) {
    equity[i].set_time(kStart + days[i] * kDay + 34200 + 60 * i);
  }
  EXPECT_DOUBLE_EQ(
      ComputeMetrics(
          {.equity = equity, .initial_cash = 100, .interval_seconds = 60})
          .periods_per_year(),
      504);
}

TEST(ComputeMetricsTest, FlatCurveHasZeroVolatilityAndNoSharpe) {
  std::vector<EquityPoint> equity = Curve({100, 100, 100}, kDay);
  const backtest::v1::Metrics metrics = ComputeMetrics(
      {.equity = equity, .initial_cash = 100, .interval_seconds = kDay});
  ASSERT_TRUE(metrics.has_annual_volatility());
  EXPECT_EQ(metrics.annual_volatility(), 0);
  EXPECT_FALSE(metrics.has_sharpe());
  EXPECT_EQ(metrics.max_drawdown(), 0);
  ASSERT_TRUE(metrics.has_exposure());
  EXPECT_EQ(metrics.exposure(), 0);
}

TEST(ComputeMetricsTest, NothingRecordedLeavesRatiosUnset) {
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.total_commission = 0, .initial_cash = 1000});
  EXPECT_DOUBLE_EQ(metrics.final_equity(), 1000);
  EXPECT_EQ(metrics.total_return(), 0);
  EXPECT_DOUBLE_EQ(metrics.periods_per_year(), 252);
  EXPECT_FALSE(metrics.has_cagr());
  EXPECT_FALSE(metrics.has_annual_volatility());
  EXPECT_FALSE(metrics.has_sharpe());
  EXPECT_FALSE(metrics.has_win_rate());
  EXPECT_FALSE(metrics.has_profit_factor());
  EXPECT_FALSE(metrics.has_exposure());
  EXPECT_EQ(metrics.max_drawdown_duration_steps(), 0);
  EXPECT_EQ(metrics.trades(), 0);
}

TEST(ComputeMetricsTest, OnlyWinnersLeaveProfitFactorUnset) {
  const std::vector<Trade> closed = {ClosedTrade(4), ClosedTrade(6)};
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.closed_trades = closed, .initial_cash = 100});
  ASSERT_TRUE(metrics.has_win_rate());
  EXPECT_DOUBLE_EQ(metrics.win_rate(), 1);
  EXPECT_FALSE(metrics.has_profit_factor());
}

}  // namespace
}  // namespace seed::results
