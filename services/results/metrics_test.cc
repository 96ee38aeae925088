#include "services/results/metrics.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "common/time.h"
#include "gtest/gtest.h"

namespace seed::results {
namespace {

using ::backtest::v1::ConfidenceInterval;
using ::backtest::v1::EquityPoint;
using ::backtest::v1::Fill;
using ::backtest::v1::MetricsSpec;
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

Trade TradeWithR(double net_pnl, double r_multiple) {
  Trade trade = ClosedTrade(net_pnl);
  trade.set_r_multiple(r_multiple);
  return trade;
}

Fill MakeFill(double quantity, double price, double commission,
              double slippage) {
  Fill fill;
  fill.set_quantity(quantity);
  fill.set_price(price);
  fill.set_commission(commission);
  fill.set_slippage(slippage);
  return fill;
}

EquityPoint PointAt(const std::string& time, double equity) {
  EquityPoint point;
  point.set_time(*ParseTime(time));
  point.set_cash(equity);
  point.set_equity(equity);
  return point;
}

MetricsSpec Bootstrap(int resamples, uint64_t seed) {
  MetricsSpec spec;
  spec.set_bootstrap_resamples(resamples);
  spec.set_bootstrap_seed(seed);
  return spec;
}

TEST(ComputeMetricsTest, HandCheckedDailySeries) {
  // Equity 100, 110, 99, 121; cash shows a position held at steps 1 and 2.
  const std::vector<EquityPoint> equity =
      Curve({100, 110, 99, 121}, kDay, {100, 50, 50, 121});
  const std::vector<Trade> closed = {ClosedTrade(10), ClosedTrade(-5),
                                     ClosedTrade(20), ClosedTrade(0)};
  const std::vector<Trade> open = {ClosedTrade(3)};
  const std::vector<Fill> fills = {MakeFill(10, 5, 3, 0.5),
                                   MakeFill(10, 6, 4.5, 0.25)};
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.equity = equity,
                      .closed_trades = closed,
                      .open_trades = open,
                      .fills = fills,
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

  // Risk-free rate 0: the excess returns are the returns. Only -0.1 is below
  // 0: downside deviation sqrt(0.01 / 3) = 0.1 / sqrt(3). Sortino = (2/27) /
  // (0.1 / sqrt(3)) * sqrt(252) = (20/27) * sqrt(756) = 40 * sqrt(21) / 9
  // = 20.36700.
  ASSERT_TRUE(metrics.has_sortino());
  EXPECT_NEAR(metrics.sortino(), 40 * std::sqrt(21.0) / 9, 1e-12);
  EXPECT_NEAR(metrics.sortino(), 20.36700, 1e-5);
  // Calmar = CAGR / 0.1.
  ASSERT_TRUE(metrics.has_calmar());
  EXPECT_NEAR(metrics.calmar() / (10 * (std::pow(1.21, 365.25 / 3) - 1)), 1,
              1e-12);
  // The drawdown: peak 110 on day 1 (2020-01-07), trough 99 on day 2,
  // recovered by 121 on day 3: 2 calendar days from peak to recovery.
  ASSERT_TRUE(metrics.has_max_drawdown_detail());
  EXPECT_EQ(metrics.max_drawdown_detail().peak_time(), "2020-01-07");
  EXPECT_EQ(metrics.max_drawdown_detail().trough_time(), "2020-01-08");
  EXPECT_EQ(metrics.max_drawdown_detail().recovery_time(), "2020-01-09");
  EXPECT_EQ(metrics.max_drawdown_detail().duration_days(), 2);
  // Trades 10, -5, 20, 0: mean 25 / 4; winners 10, 20 -> 15; loser -5;
  // sorted -5, 0, 10, 20 -> median (0 + 10) / 2 = 5; 4 trades are too few
  // to drop the top 5; no R.
  ASSERT_TRUE(metrics.has_expectancy());
  EXPECT_DOUBLE_EQ(metrics.expectancy(), 6.25);
  ASSERT_TRUE(metrics.has_average_win());
  EXPECT_DOUBLE_EQ(metrics.average_win(), 15);
  ASSERT_TRUE(metrics.has_average_loss());
  EXPECT_DOUBLE_EQ(metrics.average_loss(), -5);
  ASSERT_TRUE(metrics.has_median_trade());
  EXPECT_DOUBLE_EQ(metrics.median_trade(), 5);
  EXPECT_FALSE(metrics.has_expectancy_without_top5());
  EXPECT_FALSE(metrics.has_average_r());
  EXPECT_EQ(metrics.r_distribution_size(), 0);
  // Fills: slippage 0.5 + 0.25; traded 10 * 5 + 10 * 6 = 110; mean equity
  // (100 + 110 + 99 + 121) / 4 = 107.5; 3 days = 3 / 365.25 years:
  // 110 / 107.5 / (3 / 365.25) = 40177.5 / 322.5 = 124.5814.
  EXPECT_DOUBLE_EQ(metrics.total_slippage(), 0.75);
  EXPECT_EQ(metrics.total_borrow_fees(), 0);
  ASSERT_TRUE(metrics.has_turnover());
  EXPECT_NEAR(metrics.turnover(), 40177.5 / 322.5, 1e-9);
  EXPECT_NEAR(metrics.turnover(), 124.5814, 1e-4);
  // All in January 2020: 121 / 100 - 1 for the month and the year.
  ASSERT_EQ(metrics.monthly_returns_size(), 1);
  EXPECT_EQ(metrics.monthly_returns(0).period(), "2020-01");
  EXPECT_NEAR(metrics.monthly_returns(0).value(), 0.21, 1e-12);
  ASSERT_EQ(metrics.yearly_returns_size(), 1);
  EXPECT_EQ(metrics.yearly_returns(0).period(), "2020");
  EXPECT_NEAR(metrics.yearly_returns(0).value(), 0.21, 1e-12);
  // No resamples asked for: no intervals.
  EXPECT_FALSE(metrics.has_sharpe_ci());
  EXPECT_FALSE(metrics.has_expectancy_ci());
}

TEST(ComputeMetricsTest, SharpeAndSortinoAgainstTheRiskFreeRate) {
  // Bars of 63 days: 252 / 63 = 4 periods a year. An annual rate of
  // 1.1^4 - 1 = 0.4641 is 0.1 per period.
  const std::vector<EquityPoint> equity =
      Curve({100, 120, 108, 135}, 63 * kDay);
  MetricsSpec spec;
  spec.set_risk_free_rate(0.4641);
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.equity = equity,
                      .initial_cash = 100,
                      .interval_seconds = 63 * kDay,
                      .spec = spec});
  EXPECT_DOUBLE_EQ(metrics.periods_per_year(), 4);
  // Returns 0.2, -0.1, 0.25; excess 0.1, -0.2, 0.15, mean 1/60. Deviations
  // from the mean return 7/60: 5/60, -13/60, 8/60; squares 258/3600, sample
  // variance 129/3600, sd sqrt(129)/60. Sharpe = (1/60) / (sqrt(129)/60) *
  // sqrt(4) = 2 / sqrt(129) = 0.176090.
  ASSERT_TRUE(metrics.has_sharpe());
  EXPECT_NEAR(metrics.sharpe(), 2 / std::sqrt(129.0), 1e-9);
  EXPECT_NEAR(metrics.sharpe(), 0.176090, 1e-6);
  // Only -0.2 is below 0: downside deviation sqrt(0.04 / 3) = 0.2 /
  // sqrt(3). Sortino = (1/60) / (0.2 / sqrt(3)) * 2 = sqrt(3) / 6 = 0.288675.
  ASSERT_TRUE(metrics.has_sortino());
  EXPECT_NEAR(metrics.sortino(), std::sqrt(3.0) / 6, 1e-9);
  EXPECT_NEAR(metrics.sortino(), 0.288675, 1e-6);
  // Volatility ignores the rate: sqrt(129)/60 * 2 = 0.378594.
  EXPECT_NEAR(metrics.annual_volatility(), std::sqrt(129.0) / 30, 1e-12);
}

TEST(ComputeMetricsTest, NoLossesLeaveSortinoCalmarAndDrawdownDetailUnset) {
  // Returns 0.1 and 0.2: no downside, no drawdown.
  const std::vector<EquityPoint> equity = Curve({100, 110, 132}, kDay);
  const backtest::v1::Metrics metrics = ComputeMetrics(
      {.equity = equity, .initial_cash = 100, .interval_seconds = kDay});
  EXPECT_TRUE(metrics.has_sharpe());
  EXPECT_FALSE(metrics.has_sortino());
  EXPECT_TRUE(metrics.has_cagr());
  EXPECT_EQ(metrics.max_drawdown(), 0);
  EXPECT_FALSE(metrics.has_calmar());
  EXPECT_FALSE(metrics.has_max_drawdown_detail());
}

TEST(ComputeMetricsTest, DrawdownDetailPeakIsTheLastHighBeforeTheTrough) {
  // 120 on day 1 and again on day 3; the deepest drawdown, 1 - 90/120 =
  // 0.25, comes on day 4 from the day 3 high, and 100 on day 5 never
  // recovers it: duration to the last point, day 5 - day 3 = 2.
  const std::vector<EquityPoint> equity =
      Curve({100, 120, 110, 120, 90, 100}, kDay);
  const backtest::v1::Metrics metrics = ComputeMetrics(
      {.equity = equity, .initial_cash = 100, .interval_seconds = kDay});
  EXPECT_NEAR(metrics.max_drawdown(), 0.25, 1e-12);
  const backtest::v1::Drawdown& detail = metrics.max_drawdown_detail();
  EXPECT_EQ(detail.peak_time(), "2020-01-09");
  EXPECT_EQ(detail.trough_time(), "2020-01-10");
  EXPECT_EQ(detail.recovery_time(), "");
  EXPECT_EQ(detail.duration_days(), 2);
}

TEST(ComputeMetricsTest, DrawdownDetailOfTheDeepestEpisode) {
  // 100 -> 90 (0.1) recovered on day 2; 110 -> 80 (1 - 80/110 = 0.2727) is
  // deeper: peak day 3, trough day 4, recovered by 120 on day 5.
  std::vector<EquityPoint> equity = Curve({100, 90, 100, 110, 80, 120}, kDay);
  backtest::v1::Metrics metrics = ComputeMetrics(
      {.equity = equity, .initial_cash = 100, .interval_seconds = kDay});
  EXPECT_NEAR(metrics.max_drawdown(), 1 - 80.0 / 110, 1e-12);
  EXPECT_EQ(metrics.max_drawdown_detail().peak_time(), "2020-01-09");
  EXPECT_EQ(metrics.max_drawdown_detail().trough_time(), "2020-01-10");
  EXPECT_EQ(metrics.max_drawdown_detail().recovery_time(), "2020-01-11");
  EXPECT_EQ(metrics.max_drawdown_detail().duration_days(), 2);

  // Two drawdowns of 0.1: the first is reported; equity back at exactly
  // the peak (day 2) counts as recovered.
  equity = Curve({100, 90, 100, 90}, kDay);
  metrics = ComputeMetrics(
      {.equity = equity, .initial_cash = 100, .interval_seconds = kDay});
  EXPECT_EQ(metrics.max_drawdown_detail().peak_time(), "2020-01-06");
  EXPECT_EQ(metrics.max_drawdown_detail().trough_time(), "2020-01-07");
  EXPECT_EQ(metrics.max_drawdown_detail().recovery_time(), "2020-01-08");
  EXPECT_EQ(metrics.max_drawdown_detail().duration_days(), 2);
}

TEST(ComputeMetricsTest, IntradayDrawdownDurationCountsCalendarDays) {
  // Peak Monday 15:00, trough Wednesday, back at the peak Friday 09:30:
  // January 10 - January 6 = 4 calendar days, though under 4 * 24 hours.
  const std::vector<EquityPoint> equity = {
      PointAt("2020-01-06T10:00", 100), PointAt("2020-01-06T15:00", 104),
      PointAt("2020-01-08T11:00", 78), PointAt("2020-01-10T09:30", 104),
      PointAt("2020-01-10T10:30", 103)};
  const backtest::v1::Metrics metrics = ComputeMetrics(
      {.equity = equity, .initial_cash = 100, .interval_seconds = 3600});
  EXPECT_NEAR(metrics.max_drawdown(), 0.25, 1e-12);  // 1 - 78/104
  EXPECT_EQ(metrics.max_drawdown_detail().peak_time(), "2020-01-06T15:00:00");
  EXPECT_EQ(metrics.max_drawdown_detail().trough_time(), "2020-01-08T11:00:00");
  EXPECT_EQ(metrics.max_drawdown_detail().recovery_time(),
            "2020-01-10T09:30:00");
  EXPECT_EQ(metrics.max_drawdown_detail().duration_days(), 4);
}

TEST(ComputeMetricsTest, TradeStatisticsAndTheRDistribution) {
  // Net P&L (R): 10 (1), -4 (-1), 7 (0.7), -2 (-0.5), 30 (3), 1 (none),
  // -8 (-2), 15 (none).
  const std::vector<Trade> closed = {TradeWithR(10, 1),  TradeWithR(-4, -1),
                                     TradeWithR(7, 0.7), TradeWithR(-2, -0.5),
                                     TradeWithR(30, 3),  ClosedTrade(1),
                                     TradeWithR(-8, -2), ClosedTrade(15)};
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.closed_trades = closed, .initial_cash = 100});
  // Sorted: -8, -4, -2, 1, 7, 10, 15, 30; sum 49.
  EXPECT_DOUBLE_EQ(metrics.expectancy(), 49.0 / 8);
  EXPECT_DOUBLE_EQ(metrics.median_trade(), 4);  // (1 + 7) / 2
  // Without 30, 15, 10, 7 and 1: (-8 - 4 - 2) / 3.
  ASSERT_TRUE(metrics.has_expectancy_without_top5());
  EXPECT_DOUBLE_EQ(metrics.expectancy_without_top5(), -14.0 / 3);
  // Winners 10, 7, 30, 1, 15 = 63 / 5; losers -4, -2, -8 = -14 / 3.
  EXPECT_DOUBLE_EQ(metrics.average_win(), 12.6);
  EXPECT_DOUBLE_EQ(metrics.average_loss(), -14.0 / 3);
  EXPECT_DOUBLE_EQ(metrics.win_rate(), 5.0 / 8);
  EXPECT_DOUBLE_EQ(metrics.profit_factor(), 4.5);  // 63 / 14
  // R: 1 - 1 + 0.7 - 0.5 + 3 - 2 = 1.2 over 6 trades.
  ASSERT_TRUE(metrics.has_average_r());
  EXPECT_NEAR(metrics.average_r(), 0.2, 1e-12);
  // From floor(-2) to ceil(3) by 0.5: 10 buckets; 3 (the top edge) goes in
  // the last.
  const std::vector<std::vector<double>> expected = {
      {-2, -1.5, 1}, {-1.5, -1, 0}, {-1, -0.5, 1}, {-0.5, 0, 1}, {0, 0.5, 0},
      {0.5, 1, 1},   {1, 1.5, 1},   {1.5, 2, 0},   {2, 2.5, 0},  {2.5, 3, 1}};
  ASSERT_EQ(metrics.r_distribution_size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(metrics.r_distribution(i).from(), expected[i][0]) << i;
    EXPECT_EQ(metrics.r_distribution(i).to(), expected[i][1]) << i;
    EXPECT_EQ(metrics.r_distribution(i).trades(), expected[i][2]) << i;
  }
}

TEST(ComputeMetricsTest, RDistributionHasAtLeastOneBucket) {
  // floor(2) = ceil(2): one bucket [2, 2.5). An infinite R (no risk at
  // entry) is no R.
  const std::vector<Trade> closed = {
      TradeWithR(5, 2), TradeWithR(6, 2),
      TradeWithR(7, std::numeric_limits<double>::infinity())};
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.closed_trades = closed, .initial_cash = 100});
  EXPECT_DOUBLE_EQ(metrics.average_r(), 2);
  ASSERT_EQ(metrics.r_distribution_size(), 1);
  EXPECT_EQ(metrics.r_distribution(0).from(), 2);
  EXPECT_EQ(metrics.r_distribution(0).to(), 2.5);
  EXPECT_EQ(metrics.r_distribution(0).trades(), 2);
}

TEST(ComputeMetricsTest, MonthlyAndYearlyReturnsCompound) {
  // Initial cash 100. December 2019 ends at 105 (+5%); January 2020 at 94.5
  // (94.5 / 105 - 1 = -10%), its last point one second before February;
  // February 2020 at 99.225 (+5%); no point in March; April ends at 89.3025
  // (89.3025 / 99.225 - 1 = -10%). Years: 2019 105 / 100 - 1 = 0.05; 2020
  // 89.3025 / 105 - 1 = -0.1495.
  const std::vector<EquityPoint> equity = {
      PointAt("2019-12-30", 102),          PointAt("2019-12-31T16:00", 105),
      PointAt("2020-01-15", 84),           PointAt("2020-01-31T23:59:59", 94.5),
      PointAt("2020-02-01T00:00", 99.225), PointAt("2020-04-02", 89.3025)};
  const backtest::v1::Metrics metrics = ComputeMetrics(
      {.equity = equity, .initial_cash = 100, .interval_seconds = 0});
  const std::vector<std::pair<std::string, double>> months = {
      {"2019-12", 0.05},
      {"2020-01", -0.1},
      {"2020-02", 0.05},
      {"2020-04", -0.1}};
  ASSERT_EQ(metrics.monthly_returns_size(), months.size());
  for (size_t i = 0; i < months.size(); ++i) {
    EXPECT_EQ(metrics.monthly_returns(i).period(), months[i].first);
    EXPECT_NEAR(metrics.monthly_returns(i).value(), months[i].second, 1e-12);
  }
  ASSERT_EQ(metrics.yearly_returns_size(), 2);
  EXPECT_EQ(metrics.yearly_returns(0).period(), "2019");
  EXPECT_NEAR(metrics.yearly_returns(0).value(), 0.05, 1e-12);
  EXPECT_EQ(metrics.yearly_returns(1).period(), "2020");
  EXPECT_NEAR(metrics.yearly_returns(1).value(), -0.1495, 1e-12);
}

TEST(ComputeMetricsTest, TurnoverNeedsTime) {
  const std::vector<EquityPoint> equity = Curve({100}, kDay);
  const std::vector<Fill> fills = {MakeFill(1, 50, 0, 0)};
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.equity = equity,
                      .fills = fills,
                      .initial_cash = 100,
                      .interval_seconds = kDay});
  EXPECT_FALSE(metrics.has_turnover());
}

TEST(ComputeMetricsTest, BorrowFeesAddUpOverClosedAndOpenTrades) {
  // Two closed shorts charged 1.25 and 2.5, an open one 0.75 so far, and a
  // long that is never charged: 1.25 + 2.5 + 0.75 = 4.5.
  std::vector<Trade> closed = {ClosedTrade(-3), ClosedTrade(10),
                               ClosedTrade(4)};
  closed[0].set_borrow_fees(1.25);
  closed[1].set_borrow_fees(2.5);
  std::vector<Trade> open = {ClosedTrade(0)};
  open[0].set_borrow_fees(0.75);
  const backtest::v1::Metrics metrics = ComputeMetrics(
      {.closed_trades = closed, .open_trades = open, .initial_cash = 100});
  EXPECT_DOUBLE_EQ(metrics.total_borrow_fees(), 4.5);
}

// A bumpy series of `count` daily returns, from a fixed formula.
std::vector<EquityPoint> Bumpy(int count) {
  std::vector<double> equity = {100};
  for (int i = 1; i <= count; ++i) {
    equity.push_back(equity.back() * (1 + 0.01 * std::sin(i * 1.7) + 0.002));
  }
  return Curve(equity, kDay);
}

std::vector<Trade> BumpyTrades(int count) {
  std::vector<Trade> trades;
  for (int i = 0; i < count; ++i) {
    trades.push_back(ClosedTrade(100 * std::sin(i * 2.3) + 10));
  }
  return trades;
}

void ExpectSameInterval(const ConfidenceInterval& a,
                        const ConfidenceInterval& b) {
  EXPECT_EQ(a.low(), b.low());
  EXPECT_EQ(a.high(), b.high());
  EXPECT_EQ(a.resamples(), b.resamples());
  EXPECT_EQ(a.defined(), b.defined());
}

TEST(ComputeMetricsTest, BootstrapIsDeterministicPerSeed) {
  const std::vector<EquityPoint> equity = Bumpy(60);
  const std::vector<Trade> trades = BumpyTrades(40);
  auto compute = [&](uint64_t seed) {
    return ComputeMetrics({.equity = equity,
                           .closed_trades = trades,
                           .initial_cash = 100,
                           .interval_seconds = kDay,
                           .spec = Bootstrap(500, seed)});
  };
  const backtest::v1::Metrics first = compute(7);
  const backtest::v1::Metrics again = compute(7);
  const backtest::v1::Metrics other = compute(8);
  for (const ConfidenceInterval* ci :
       {&first.sharpe_ci(), &first.expectancy_ci()}) {
    EXPECT_TRUE(ci->defined());
    EXPECT_EQ(ci->resamples(), 500);
    EXPECT_DOUBLE_EQ(ci->level(), 0.95);
    EXPECT_LT(ci->low(), ci->high());
  }
  ExpectSameInterval(first.sharpe_ci(), again.sharpe_ci());
  ExpectSameInterval(first.expectancy_ci(), again.expectancy_ci());
  EXPECT_TRUE(first.sharpe_ci().low() != other.sharpe_ci().low() ||
              first.sharpe_ci().high() != other.sharpe_ci().high());
  EXPECT_TRUE(first.expectancy_ci().low() != other.expectancy_ci().low() ||
              first.expectancy_ci().high() != other.expectancy_ci().high());
  // The point estimates lie inside their intervals.
  EXPECT_LE(first.sharpe_ci().low(), first.sharpe());
  EXPECT_GE(first.sharpe_ci().high(), first.sharpe());
  EXPECT_LE(first.expectancy_ci().low(), first.expectancy());
  EXPECT_GE(first.expectancy_ci().high(), first.expectancy());
}

TEST(ComputeMetricsTest, ExpectancyIntervalOfTwoTrades) {
  // 2 trades: blocks of floor(sqrt(2)) = 1, a plain bootstrap. A resample's
  // mean is 0 (both draws 0), 0.5 or 1 (both 1), with chance 1/4, 1/2, 1/4:
  // of 1000 sorted means about 250 are 0 and 250 are 1, so positions
  // floor(0.025 * 999) = 24 and ceil(0.975 * 999) = 975 hold 0 and 1.
  const std::vector<Trade> trades = {ClosedTrade(0), ClosedTrade(1)};
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.closed_trades = trades,
                      .initial_cash = 100,
                      .spec = Bootstrap(1000, 3)});
  const ConfidenceInterval& ci = metrics.expectancy_ci();
  EXPECT_TRUE(ci.defined());
  EXPECT_EQ(ci.low(), 0);
  EXPECT_EQ(ci.high(), 1);
  EXPECT_EQ(ci.resamples(), 1000);
  EXPECT_DOUBLE_EQ(ci.level(), 0.95);
}

TEST(ComputeMetricsTest, SharpeIntervalResamplesBlocks) {
  // 9 returns repeating 0.1, -0.05, 0.02: blocks of floor(sqrt(9)) = 3, and
  // every 3 consecutive returns are those three in some order, so every
  // resample has the series' mean and spread: low = high = the Sharpe.
  // Mean 0.07 / 3 = 7/300; deviations 23/300, -22/300, -1/300 (each 3
  // times): squares 3 * 1014 / 90000, sample variance / 8 = 380.25 / 90000,
  // sd 19.5 / 300. Sharpe = 7 / 19.5 * sqrt(252) = 0.358974 * 15.874508
  // = 5.69854.
  std::vector<double> equity = {100};
  const double cycle[] = {0.1, -0.05, 0.02};
  for (int i = 0; i < 9; ++i)
    equity.push_back(equity.back() * (1 + cycle[i % 3]));
  const std::vector<EquityPoint> points = Curve(equity, kDay);
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.equity = points,
                      .initial_cash = 100,
                      .interval_seconds = kDay,
                      .spec = Bootstrap(300, 11)});
  const double sharpe = 7 / 19.5 * std::sqrt(252.0);
  EXPECT_NEAR(sharpe, 5.69854, 1e-5);
  EXPECT_NEAR(metrics.sharpe(), sharpe, 1e-9);
  const ConfidenceInterval& ci = metrics.sharpe_ci();
  EXPECT_TRUE(ci.defined());
  EXPECT_EQ(ci.resamples(), 300);
  EXPECT_NEAR(ci.low(), sharpe, 1e-9);
  EXPECT_NEAR(ci.high(), sharpe, 1e-9);
}

TEST(ComputeMetricsTest, ResamplesWithoutSpreadAreLeftOut) {
  // Returns 0.1 and 0.2, blocks of 1: half the resamples draw one return
  // twice and have no Sharpe; the others hold both, whose Sharpe is 0.15 /
  // (0.05 * sqrt(2)) * sqrt(252) = 3 * sqrt(126) = 33.675.
  const std::vector<EquityPoint> equity = Curve({100, 110, 132}, kDay);
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.equity = equity,
                      .initial_cash = 100,
                      .interval_seconds = kDay,
                      .spec = Bootstrap(400, 5)});
  const ConfidenceInterval& ci = metrics.sharpe_ci();
  EXPECT_TRUE(ci.defined());
  EXPECT_GT(ci.resamples(), 100);
  EXPECT_LT(ci.resamples(), 300);
  EXPECT_NEAR(ci.low(), 3 * std::sqrt(126.0), 1e-9);
  EXPECT_NEAR(ci.high(), 3 * std::sqrt(126.0), 1e-9);
}

TEST(ComputeMetricsTest, TooLittleDataLeavesIntervalsUndefined) {
  // One return and one trade.
  const std::vector<EquityPoint> equity = Curve({100, 110}, kDay);
  const std::vector<Trade> trades = {ClosedTrade(5)};
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.equity = equity,
                      .closed_trades = trades,
                      .initial_cash = 100,
                      .interval_seconds = kDay,
                      .spec = Bootstrap(100, 1)});
  ASSERT_TRUE(metrics.has_sharpe_ci());
  EXPECT_FALSE(metrics.sharpe_ci().defined());
  ASSERT_TRUE(metrics.has_expectancy_ci());
  EXPECT_FALSE(metrics.expectancy_ci().defined());
  EXPECT_EQ(metrics.expectancy_ci().resamples(), 0);
  // A flat curve has returns but no resample with a Sharpe.
  const std::vector<EquityPoint> flat = Curve({100, 100, 100, 100}, kDay);
  EXPECT_FALSE(ComputeMetrics({.equity = flat,
                               .initial_cash = 100,
                               .interval_seconds = kDay,
                               .spec = Bootstrap(100, 1)})
                   .sharpe_ci()
                   .defined());
}

TEST(ComputeMetricsTest, AMillionPointsWithIntervals) {
  // Minute bars, 390 a day: the whole computation, bootstrap included, in
  // one call (the test's time limit catches a quadratic slip).
  constexpr int kPoints = 1'000'000;
  std::vector<EquityPoint> equity;
  equity.reserve(kPoints);
  double value = 100000;
  for (int i = 0; i < kPoints; ++i) {
    EquityPoint& point = equity.emplace_back();
    point.set_time(kStart + (i / 390) * kDay + 34200 + (i % 390) * 60);
    value *= 1 + 0.001 * std::sin(i * 0.61) + 0.00001;
    point.set_equity(value);
    point.set_cash(value);
  }
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.equity = equity,
                      .initial_cash = 100000,
                      .interval_seconds = 60,
                      .spec = Bootstrap(1000, 42)});
  EXPECT_DOUBLE_EQ(metrics.periods_per_year(), 252 * 390);
  ASSERT_TRUE(metrics.sharpe_ci().defined());
  EXPECT_EQ(metrics.sharpe_ci().resamples(), 1000);
  EXPECT_LE(metrics.sharpe_ci().low(), metrics.sharpe());
  EXPECT_GE(metrics.sharpe_ci().high(), metrics.sharpe());
  // 2565 consecutive days from 2020-01-06: 85 calendar months.
  EXPECT_GT(metrics.monthly_returns_size(), 80);
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
  const backtest::v1::Metrics metrics = ComputeMetrics({.initial_cash = 1000});
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
  EXPECT_FALSE(metrics.has_sortino());
  EXPECT_FALSE(metrics.has_calmar());
  EXPECT_FALSE(metrics.has_max_drawdown_detail());
  EXPECT_FALSE(metrics.has_expectancy());
  EXPECT_FALSE(metrics.has_average_win());
  EXPECT_FALSE(metrics.has_average_loss());
  EXPECT_FALSE(metrics.has_median_trade());
  EXPECT_FALSE(metrics.has_average_r());
  EXPECT_FALSE(metrics.has_turnover());
  EXPECT_EQ(metrics.total_slippage(), 0);
  EXPECT_EQ(metrics.monthly_returns_size(), 0);
  EXPECT_EQ(metrics.yearly_returns_size(), 0);
  EXPECT_FALSE(metrics.has_sharpe_ci());
  EXPECT_FALSE(metrics.has_expectancy_ci());
}

TEST(ComputeMetricsTest, OnlyWinnersLeaveProfitFactorUnset) {
  const std::vector<Trade> closed = {ClosedTrade(4), ClosedTrade(6)};
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.closed_trades = closed, .initial_cash = 100});
  ASSERT_TRUE(metrics.has_win_rate());
  EXPECT_DOUBLE_EQ(metrics.win_rate(), 1);
  EXPECT_FALSE(metrics.has_profit_factor());
}

// A benchmark's bars: the time and close columns of a BarSeries.
struct Bars {
  std::vector<int64_t> time;
  std::vector<double> close;
};

// One bar a day from kStart, like Curve's points with a step of kDay.
Bars DailyBars(const std::vector<double>& closes) {
  Bars bars;
  for (size_t i = 0; i < closes.size(); ++i) {
    bars.time.push_back(kStart + static_cast<int64_t>(i) * kDay);
    bars.close.push_back(closes[i]);
  }
  return bars;
}

backtest::v1::Metrics DailyWithBenchmark(const std::vector<double>& equity,
                                         const Bars& bars,
                                         const MetricsSpec& spec = {}) {
  const std::vector<EquityPoint> curve = Curve(equity, kDay);
  return ComputeMetrics({.equity = curve,
                         .initial_cash = equity.front(),
                         .interval_seconds = kDay,
                         .spec = spec,
                         .benchmark_time = bars.time,
                         .benchmark_close = bars.close});
}

TEST(BenchmarkComparisonTest, HandCheckedDailySeries) {
  MetricsSpec spec;
  spec.set_benchmark("SPY");
  const backtest::v1::Metrics metrics = DailyWithBenchmark(
      {100, 110, 99, 121}, DailyBars({50, 55, 55, 66}), spec);
  EXPECT_EQ(metrics.benchmark(), "SPY");
  // 66 / 50 - 1.
  ASSERT_TRUE(metrics.has_benchmark_return());
  EXPECT_NEAR(metrics.benchmark_return(), 0.32, 1e-12);
  // Strategy s = 0.1, -0.1, 2/9 (mean 2/27, deviations 7/270, -47/270,
  // 40/270); benchmark b = 0.1, 0, 0.2 (mean 0.1, deviations 0, -0.1, 0.1).
  // Sum of products 0.47/27 + 0.4/27 = 0.87/27; b's squares 0.02.
  // beta = 0.87 / 0.54 = 29/18 = 1.61111.
  ASSERT_TRUE(metrics.has_beta());
  EXPECT_NEAR(metrics.beta(), 29.0 / 18, 1e-12);
  // alpha = (2/27 - 29/18 * 0.1) * 252 = (-47/540) * 252 = -329/15.
  ASSERT_TRUE(metrics.has_alpha());
  EXPECT_NEAR(metrics.alpha(), -329.0 / 15, 1e-9);
  EXPECT_NEAR(metrics.alpha(), -21.93333, 1e-5);
  // s's squares 3858/72900: correlation = (0.87/27) / sqrt(3858/72900 *
  // 0.02) = 43.5 / sqrt(1929) = 0.990428.
  ASSERT_TRUE(metrics.has_correlation());
  EXPECT_NEAR(metrics.correlation(), 43.5 / std::sqrt(1929.0), 1e-12);
  EXPECT_NEAR(metrics.correlation(), 0.990428, 1e-6);
}

TEST(BenchmarkComparisonTest, AlphaIsMeasuredAgainstTheRiskFreeRate) {
  // Bars of 63 days: 4 periods a year; an annual 0.4641 is 0.1 per period.
  const std::vector<EquityPoint> equity =
      Curve({100, 120, 108, 135}, 63 * kDay);
  Bars bars;
  for (int i = 0; i < 4; ++i) bars.time.push_back(kStart + i * 63 * kDay);
  bars.close = {10, 11, 11, 12.1};
  MetricsSpec spec;
  spec.set_risk_free_rate(0.4641);
  const backtest::v1::Metrics metrics =
      ComputeMetrics({.equity = equity,
                      .initial_cash = 100,
                      .interval_seconds = 63 * kDay,
                      .spec = spec,
                      .benchmark_time = bars.time,
                      .benchmark_close = bars.close});
  EXPECT_EQ(metrics.benchmark(), "");
  EXPECT_NEAR(metrics.benchmark_return(), 0.21, 1e-12);
  // s = 0.2, -0.1, 0.25 (mean 7/60, deviations 5/60, -13/60, 8/60); b = 0.1,
  // 0, 0.1 (mean 1/15, deviations 1/30, -2/30, 1/30). Sum of products
  // 39/1800, b's squares 6/900: beta = 3.25.
  ASSERT_TRUE(metrics.has_beta());
  EXPECT_NEAR(metrics.beta(), 3.25, 1e-12);
  // alpha = ((7/60 - 0.1) - 3.25 * (1/15 - 0.1)) * 4 = (1/60 + 6.5/60) * 4
  // = 0.5; with no risk-free rate it would be (7/60 - 3.25/15) * 4 = -0.4.
  ASSERT_TRUE(metrics.has_alpha());
  EXPECT_NEAR(metrics.alpha(), 0.5, 1e-9);
  // s's squares 258/3600: correlation = (39/1800) / sqrt(258/3600 * 6/900)
  // = 6.5 / sqrt(43) = 0.991241; the rate does not enter it.
  ASSERT_TRUE(metrics.has_correlation());
  EXPECT_NEAR(metrics.correlation(), 6.5 / std::sqrt(43.0), 1e-12);
}

TEST(BenchmarkComparisonTest, AlignsTheLastCloseAtOrBeforeEachPoint) {
  // Points on days 0-4. Bars: day 1 (20), day 2 at noon (30, never the last
  // bar at a point), day 3 (24, exactly at a point), day 10 (99, after the
  // curve). Aligned closes: none, 20, 20, 24, 24; day 0 is left out.
  Bars bars;
  bars.time = {kStart + kDay, kStart + 2 * kDay + kDay / 2, kStart + 3 * kDay,
               kStart + 10 * kDay};
  bars.close = {20, 30, 24, 99};
  const backtest::v1::Metrics metrics =
      DailyWithBenchmark({100, 100, 110, 110, 121}, bars);
  // 24 / 20 - 1 over the points that have a close.
  EXPECT_NEAR(metrics.benchmark_return(), 0.2, 1e-12);
  // Pairs from day 1 on: s = 0.1, 0, 0.1 and b = 0, 0.2, 0 (both means 1/15;
  // deviations 1/30, -2/30, 1/30 and -1/15, 2/15, -1/15). Sum of products
  // -6/450, b's squares 6/225: beta = -0.5.
  ASSERT_TRUE(metrics.has_beta());
  EXPECT_NEAR(metrics.beta(), -0.5, 1e-12);
  // alpha = (1/15 + 0.5 * 1/15) * 252 = 25.2.
  EXPECT_NEAR(metrics.alpha(), 25.2, 1e-9);
  // s = 0.1 - b / 2 exactly: correlation -1, never beyond it.
  ASSERT_TRUE(metrics.has_correlation());
  EXPECT_NEAR(metrics.correlation(), -1, 1e-12);
  EXPECT_GE(metrics.correlation(), -1);
}

TEST(BenchmarkComparisonTest, StepsFromZeroEquityAreLeftOut) {
  // The step from 0 to 50 has no strategy return; the benchmark's 5 -> 20
  // (3.0) is left out with it. s = -1, 1, -0.5 (mean -1/6, deviations -5/6,
  // 7/6, -1/3); b = -0.5, 1, -0.5 (mean 0). Sum of products 7/4, b's
  // squares 1.5, s's 13/6.
  const backtest::v1::Metrics metrics =
      DailyWithBenchmark({100, 0, 50, 100, 50}, DailyBars({10, 5, 20, 40, 20}));
  EXPECT_NEAR(metrics.benchmark_return(), 1, 1e-12);
  EXPECT_NEAR(metrics.beta(), 7.0 / 6, 1e-12);
  EXPECT_NEAR(metrics.alpha(), -1.0 / 6 * 252, 1e-9);
  EXPECT_NEAR(metrics.correlation(), 7 / (2 * std::sqrt(13.0)), 1e-12);
}

TEST(BenchmarkComparisonTest, NoBenchmarkLeavesTheComparisonUnset) {
  const backtest::v1::Metrics metrics =
      DailyWithBenchmark({100, 110, 99, 121}, Bars());
  EXPECT_EQ(metrics.benchmark(), "");
  EXPECT_FALSE(metrics.has_benchmark_return());
  EXPECT_FALSE(metrics.has_beta());
  EXPECT_FALSE(metrics.has_alpha());
  EXPECT_FALSE(metrics.has_correlation());

  // Named, but no bar at or before the last point: only the name.
  MetricsSpec spec;
  spec.set_benchmark("SPY");
  Bars later;
  later.time = {kStart + 4 * kDay};
  later.close = {10};
  const backtest::v1::Metrics named =
      DailyWithBenchmark({100, 110, 99, 121}, later, spec);
  EXPECT_EQ(named.benchmark(), "SPY");
  EXPECT_FALSE(named.has_benchmark_return());
  EXPECT_FALSE(named.has_beta());
  EXPECT_FALSE(named.has_correlation());
}

TEST(BenchmarkComparisonTest, OnePairedReturnIsTooFew) {
  // The first bar comes with the last two points: one paired return.
  Bars bars;
  bars.time = {kStart + 2 * kDay, kStart + 3 * kDay};
  bars.close = {10, 12};
  const backtest::v1::Metrics metrics =
      DailyWithBenchmark({100, 110, 99, 121}, bars);
  EXPECT_NEAR(metrics.benchmark_return(), 0.2, 1e-12);
  EXPECT_FALSE(metrics.has_beta());
  EXPECT_FALSE(metrics.has_alpha());
  EXPECT_FALSE(metrics.has_correlation());

  // A single aligned point: a return of 0 over no time, nothing else.
  bars.time = {kStart + 3 * kDay};
  bars.close = {10};
  const backtest::v1::Metrics last =
      DailyWithBenchmark({100, 110, 99, 121}, bars);
  ASSERT_TRUE(last.has_benchmark_return());
  EXPECT_EQ(last.benchmark_return(), 0);
  EXPECT_FALSE(last.has_beta());
}

TEST(BenchmarkComparisonTest, ABenchmarkWithoutVarianceHasNoBeta) {
  // Flat, and growing 10% every day: returns all equal (the second only up
  // to rounding) have no variance.
  for (const std::vector<double>& closes :
       {std::vector<double>{10, 10, 10, 10},
        std::vector<double>{10, 11, 12.1, 13.31}}) {
    const backtest::v1::Metrics metrics =
        DailyWithBenchmark({100, 110, 99, 121}, DailyBars(closes));
    EXPECT_NEAR(metrics.benchmark_return(), closes.back() / 10 - 1, 1e-12);
    EXPECT_FALSE(metrics.has_beta()) << closes[1];
    EXPECT_FALSE(metrics.has_alpha()) << closes[1];
    EXPECT_FALSE(metrics.has_correlation()) << closes[1];
  }
}

TEST(BenchmarkComparisonTest, AFlatStrategyHasBetaButNoCorrelation) {
  const backtest::v1::Metrics metrics =
      DailyWithBenchmark({100, 100, 100, 100}, DailyBars({50, 55, 55, 66}));
  ASSERT_TRUE(metrics.has_beta());
  EXPECT_EQ(metrics.beta(), 0);
  // (0 - 0 * 0.1) * 252 with no risk-free rate.
  ASSERT_TRUE(metrics.has_alpha());
  EXPECT_EQ(metrics.alpha(), 0);
  EXPECT_FALSE(metrics.has_correlation());
}

// Attribution in a run of two strategies.

backtest::v1::StrategySpec Sleeve(const std::string& id,
                                  const std::string& name, double allocation) {
  backtest::v1::StrategySpec spec;
  spec.set_id(id);
  spec.set_name(name);
  spec.set_allocation(allocation);
  return spec;
}

Trade SleeveTrade(const std::string& strategy, int64_t entry_day,
                  int64_t exit_day, double net_pnl, double borrow_fees = 0) {
  Trade trade = ClosedTrade(net_pnl);
  trade.set_strategy(strategy);
  trade.set_entry_time(kStart + entry_day * kDay);
  trade.set_exit_time(exit_day < 0 ? 0 : kStart + exit_day * kDay);
  trade.set_borrow_fees(borrow_fees);
  return trade;
}

Fill SleeveFill(int strategy, double commission) {
  Fill fill = MakeFill(10, 50, commission, 0);
  fill.set_strategy(strategy);
  return fill;
}

// Two sleeves of an account of 1000 (allocations 0.6 and 0.4, nothing left
// unallocated) over four daily points, days 0..3:
//   fast: equity 600, 660, 630, 690; trades ORCL days 1..3 (+95, borrow
//         0.5), NVDA days 1..2 (0, overlapping it), ORCL open from day 3
//         (borrow 0.25); fills' commission 1.5 + 2.
//   slow: equity 400, 380, 420, 410; trades days 0..1 (-5) and 2..3 (-2,
//         borrow 0.125); fills' commission 0.75 + 0.25 + 1.
// The account's equity is their sum: 1000, 1040, 1050, 1100.
struct TwoSleeves {
  std::vector<EquityPoint> equity =
      Curve({1000, 1040, 1050, 1100}, kDay, {1000, 500, 500, 700});
  std::vector<Trade> closed = {
      SleeveTrade("slow", 0, 1, -5), SleeveTrade("fast", 1, 2, 0),
      SleeveTrade("fast", 1, 3, 95, 0.5), SleeveTrade("slow", 2, 3, -2, 0.125)};
  std::vector<Trade> open = {SleeveTrade("fast", 3, -1, 4, 0.25)};
  std::vector<Fill> fills = {SleeveFill(0, 1.5), SleeveFill(1, 0.75),
                             SleeveFill(1, 0.25), SleeveFill(0, 2),
                             SleeveFill(1, 1)};
  std::vector<backtest::v1::StrategySpec> strategies = {
      Sleeve("fast", "sma_cross", 0.6), Sleeve("slow", "momentum", 0.4)};

  TwoSleeves() {
    const std::vector<std::vector<double>> sleeves = {{600, 660, 630, 690},
                                                      {400, 380, 420, 410}};
    for (size_t i = 0; i < equity.size(); ++i) {
      for (const std::vector<double>& sleeve : sleeves) {
        equity[i].add_strategy_equity(sleeve[i]);
      }
    }
  }

  backtest::v1::Metrics Compute() const {
    return ComputeMetrics({.equity = equity,
                           .closed_trades = closed,
                           .open_trades = open,
                           .fills = fills,
                           .initial_cash = 1000,
                           .interval_seconds = kDay,
                           .strategies = strategies});
  }
};

TEST(StrategyAttributionTest, HandCheckedTwoSleeves) {
  const backtest::v1::Metrics metrics = TwoSleeves().Compute();
  ASSERT_EQ(metrics.strategies_size(), 2);

  const backtest::v1::StrategyAttribution& fast = metrics.strategies(0);
  EXPECT_EQ(fast.id(), "fast");
  EXPECT_EQ(fast.name(), "sma_cross");
  EXPECT_DOUBLE_EQ(fast.allocation(), 0.6);
  EXPECT_DOUBLE_EQ(fast.initial_equity(), 600);  // 0.6 * 1000
  EXPECT_DOUBLE_EQ(fast.final_equity(), 690);
  EXPECT_DOUBLE_EQ(fast.net_pnl(), 90);         // 690 - 600
  EXPECT_DOUBLE_EQ(fast.total_return(), 0.15);  // 90 / 600
  // 1 - 630 / 660 = 1/22.
  EXPECT_NEAR(fast.max_drawdown(), 1.0 / 22, 1e-15);
  EXPECT_EQ(fast.trades(), 2);
  EXPECT_EQ(fast.open_trades(), 1);
  // +95 wins, a break-even trade does not: 1 / 2.
  ASSERT_TRUE(fast.has_win_rate());
  EXPECT_DOUBLE_EQ(fast.win_rate(), 0.5);
  EXPECT_DOUBLE_EQ(fast.total_commission(), 3.5);    // 1.5 + 2
  EXPECT_DOUBLE_EQ(fast.total_borrow_fees(), 0.75);  // 0.5 + 0.25
  // Held at days 1 and 2 (two overlapping trades count once) and day 3 (the
  // open trade entered then; the closed one exited then): 3 / 4.
  ASSERT_TRUE(fast.has_exposure());
  EXPECT_DOUBLE_EQ(fast.exposure(), 0.75);

  const backtest::v1::StrategyAttribution& slow = metrics.strategies(1);
  EXPECT_EQ(slow.id(), "slow");
  EXPECT_EQ(slow.name(), "momentum");
  EXPECT_DOUBLE_EQ(slow.initial_equity(), 400);  // 0.4 * 1000
  EXPECT_DOUBLE_EQ(slow.final_equity(), 410);
  EXPECT_DOUBLE_EQ(slow.net_pnl(), 10);
  EXPECT_DOUBLE_EQ(slow.total_return(), 0.025);  // 10 / 400
  // 1 - 380 / 400 = 0.05, deeper than 1 - 410 / 420 later.
  EXPECT_NEAR(slow.max_drawdown(), 0.05, 1e-15);
  EXPECT_EQ(slow.trades(), 2);
  EXPECT_EQ(slow.open_trades(), 0);
  EXPECT_DOUBLE_EQ(slow.win_rate(), 0);
  EXPECT_DOUBLE_EQ(slow.total_commission(), 2);  // 0.75 + 0.25 + 1
  EXPECT_DOUBLE_EQ(slow.total_borrow_fees(), 0.125);
  // Held at days 0 and 2 only: 2 / 4.
  EXPECT_DOUBLE_EQ(slow.exposure(), 0.5);

  // Everything allocated: the sleeves' net P&L sum to the account's,
  // 90 + 10 = 1100 - 1000.
  EXPECT_DOUBLE_EQ(metrics.final_equity() - metrics.initial_equity(), 100);
  EXPECT_DOUBLE_EQ(fast.net_pnl() + slow.net_pnl(),
                   metrics.final_equity() - metrics.initial_equity());
  // The account's own metrics are those of the whole run.
  EXPECT_EQ(metrics.trades(), 4);
  EXPECT_EQ(metrics.open_trades(), 1);
  EXPECT_DOUBLE_EQ(metrics.total_commission(), 5.5);
}

TEST(StrategyAttributionTest, ARunOfOneHasNone) {
  TwoSleeves run;
  run.strategies.clear();
  EXPECT_EQ(run.Compute().strategies_size(), 0);
}

// What no sleeve was allocated stays in the account as cash and earns
// nothing here: the sleeves' net P&L still sum to the account's.
TEST(StrategyAttributionTest, UnallocatedCashIsNobodysPart) {
  TwoSleeves run;
  // Each point also holds 100 of cash no sleeve owns; the sleeves start with
  // 0.5 and 0.4 of 1000 = 500 and 400 (their curves minus 100 and 0).
  run.strategies[0].set_allocation(0.5);
  for (EquityPoint& point : run.equity) {
    point.set_strategy_equity(0, point.strategy_equity(0) - 100);
  }
  const backtest::v1::Metrics metrics = run.Compute();
  ASSERT_EQ(metrics.strategies_size(), 2);
  EXPECT_DOUBLE_EQ(metrics.strategies(0).initial_equity(), 500);
  EXPECT_DOUBLE_EQ(metrics.strategies(0).final_equity(), 590);
  EXPECT_DOUBLE_EQ(metrics.strategies(0).total_return(), 0.18);  // 90 / 500
  // 90 + 10 = 100 = 1100 - 1000: the 100 unallocated did not move.
  EXPECT_DOUBLE_EQ(metrics.strategies(0).net_pnl(), 90);  // 590 - 500
  EXPECT_DOUBLE_EQ(metrics.strategies(1).net_pnl(), 10);  // 410 - 400
  EXPECT_DOUBLE_EQ(metrics.final_equity() - metrics.initial_equity(), 100);
  EXPECT_DOUBLE_EQ(
      metrics.strategies(0).net_pnl() + metrics.strategies(1).net_pnl(),
      metrics.final_equity() - metrics.initial_equity());
}

// Records stored before the strategies' equity, or a run that failed before
// its first point: no curve, so nothing gained and no drawdown.
TEST(StrategyAttributionTest, WithoutItsCurveASleeveStaysAtItsAllocation) {
  TwoSleeves run;
  for (EquityPoint& point : run.equity) point.clear_strategy_equity();
  const backtest::v1::Metrics metrics = run.Compute();
  ASSERT_EQ(metrics.strategies_size(), 2);
  const backtest::v1::StrategyAttribution& fast = metrics.strategies(0);
  EXPECT_EQ(fast.id(), "fast");
  EXPECT_DOUBLE_EQ(fast.final_equity(), 600);
  EXPECT_EQ(fast.net_pnl(), 0);
  EXPECT_EQ(fast.total_return(), 0);
  EXPECT_EQ(fast.max_drawdown(), 0);
  // Its trades still count, and say when it held something.
  EXPECT_EQ(fast.trades(), 2);
  EXPECT_DOUBLE_EQ(fast.exposure(), 0.75);

  run.equity.clear();
  const backtest::v1::StrategyAttribution none = run.Compute().strategies(1);
  EXPECT_DOUBLE_EQ(none.final_equity(), 400);
  EXPECT_FALSE(none.has_exposure());
  EXPECT_EQ(none.trades(), 2);
}

}  // namespace
}  // namespace seed::results
