#include "research/monte_carlo.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "research/statistics.h"

namespace seed::research {
namespace {

std::vector<TradeOutcome> Pnls(const std::vector<double>& pnls,
                               double initial) {
  std::vector<backtest::v1::Trade> trades;
  for (double pnl : pnls) {
    backtest::v1::Trade trade;
    trade.set_net_pnl(pnl);
    trades.push_back(trade);
  }
  return ClosedTradeOutcomes(trades, initial);
}

MonteCarloResult Analyze(const std::vector<TradeOutcome>& trades,
                         double initial, const MonteCarloSpec& spec) {
  absl::StatusOr<MonteCarloResult> result =
      RunMonteCarlo(trades, initial, spec);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : MonteCarloResult{};
}

TEST(MonteCarloTest, ClosedTradeEquityIsTheRunningSum) {
  const std::vector<TradeOutcome> outcomes = Pnls({10, -20, 5}, 100);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].equity_before, 100);
  EXPECT_EQ(outcomes[1].equity_before, 110);
  EXPECT_EQ(outcomes[2].equity_before, 90);
  EXPECT_EQ(outcomes[2].net_pnl, 5);
}

TEST(MonteCarloTest, HandCheckedReshuffleOfThreeTrades) {
  // The six orders of +10, -20, +5 from 100 (E_1, E_2, E_3; max drawdown;
  // longest drawdown in trades; ruined at 85):
  //   +10 -20 +5: 110  90  95   20/110  2  no
  //   +10 +5 -20: 110 115  95   20/115  1  no
  //   -20 +10 +5:  80  90  95   20/100  3  yes
  //   -20 +5 +10:  80  85  95   20/100  3  yes
  //   +5 +10 -20: 105 115  95   20/115  1  no
  //   +5 -20 +10: 105  85  95   20/105  2  yes
  MonteCarloSpec spec;
  spec.paths = 6000;
  spec.seed = 3;
  spec.ruin_fraction = 0.85;
  const MonteCarloResult result = Analyze(Pnls({10, -20, 5}, 100), 100, spec);
  EXPECT_EQ(result.original.final_equity, 95);
  EXPECT_DOUBLE_EQ(result.original.max_drawdown, 20.0 / 110);
  EXPECT_EQ(result.original.longest_drawdown, 2);
  EXPECT_FALSE(result.original.ruined);

  EXPECT_EQ(result.final_equity.min, 95);
  EXPECT_EQ(result.final_equity.max, 95);
  EXPECT_DOUBLE_EQ(result.max_drawdown.min, 20.0 / 115);
  EXPECT_DOUBLE_EQ(result.max_drawdown.max, 0.2);
  EXPECT_EQ(result.longest_drawdown.min, 1);
  EXPECT_EQ(result.longest_drawdown.max, 3);
  EXPECT_EQ(result.probability_below_initial, 1);
  // 3 of 6 orders go to 85 or below; each path's share has sd 0.0065.
  EXPECT_NEAR(result.probability_of_ruin, 0.5, 0.04);
  // The mean drawdown over the six orders, each about equally likely.
  EXPECT_NEAR(result.max_drawdown.mean,
              (2 * 20.0 / 115 + 20.0 / 110 + 0.4 + 20.0 / 105) / 6, 0.002);
  // The fan: k = 0..3, all from 100, all ending at 95.
  ASSERT_EQ(result.fan.size(), 4u);
  EXPECT_EQ(result.fan[0].trade, 0);
  EXPECT_EQ(result.fan[0].equity, std::vector<double>(5, 100));
  EXPECT_EQ(result.fan[3].equity, std::vector<double>(5, 95));
  // After one trade: 80 (a third), 105 (a third), 110 (a third): the 5th
  // percentile 80, the 95th 110.
  EXPECT_EQ(result.fan[1].equity.front(), 80);
  EXPECT_EQ(result.fan[1].equity.back(), 110);
}

// 500 P&L in cents from a fixed seed: their running double sums depend on
// the order of addition.
std::vector<double> CentsPnls() {
  std::mt19937_64 random(99);
  std::vector<double> pnls;
  for (int i = 0; i < 500; ++i) {
    const int64_t cents = static_cast<int64_t>(random() % 2000001) - 950000;
    pnls.push_back(static_cast<double>(cents) / 100);
  }
  return pnls;
}

TEST(MonteCarloTest, AReshuffleKeepsTheFinalEquityBitForBit) {
  const std::vector<double> pnls = CentsPnls();
  // Naive sums in another order end elsewhere: the exactness is needed.
  double forward = 1e6;
  for (double pnl : pnls) forward += pnl;
  double backward = 1e6;
  for (auto it = pnls.rbegin(); it != pnls.rend(); ++it) backward += *it;
  ASSERT_NE(forward, backward);

  MonteCarloSpec spec;
  spec.paths = 2000;
  spec.seed = 11;
  const MonteCarloResult result = Analyze(Pnls(pnls, 1e6), 1e6, spec);
  EXPECT_EQ(result.final_equity.min, result.original.final_equity);
  EXPECT_EQ(result.final_equity.max, result.original.final_equity);
  for (double value : result.final_equity.percentiles) {
    EXPECT_EQ(value, result.original.final_equity);
  }
  // Only the path changes.
  EXPECT_LT(result.max_drawdown.min, result.max_drawdown.max);
  EXPECT_LT(result.longest_drawdown.min, result.longest_drawdown.max);
  EXPECT_EQ(result.fan.back().equity,
            std::vector<double>(5, result.original.final_equity));
}

TEST(MonteCarloTest, TheSameSeedGivesTheSameNumbers) {
  const std::vector<TradeOutcome> trades = Pnls(CentsPnls(), 1e6);
  MonteCarloSpec spec;
  spec.resampling = Resampling::kBootstrap;
  spec.paths = 500;
  spec.seed = 5;
  spec.percentiles = {1, 5, 50, 95, 99};
  const MonteCarloResult first = Analyze(trades, 1e6, spec);
  const MonteCarloResult second = Analyze(trades, 1e6, spec);
  EXPECT_EQ(first.final_equity.percentiles, second.final_equity.percentiles);
  EXPECT_EQ(first.max_drawdown.percentiles, second.max_drawdown.percentiles);
  EXPECT_EQ(first.longest_drawdown.histogram.counts,
            second.longest_drawdown.histogram.counts);
  EXPECT_EQ(first.fan[100].equity, second.fan[100].equity);
  EXPECT_EQ(first.probability_of_ruin, second.probability_of_ruin);
  spec.seed = 6;
  const MonteCarloResult other = Analyze(trades, 1e6, spec);
  EXPECT_NE(first.final_equity.percentiles, other.final_equity.percentiles);
}

TEST(MonteCarloTest, BootstrapDrawsWithReplacement) {
  // Two trades, +1 and -1, from 100: the final equity is 98, 100 or 102 with
  // probability 1/4, 1/2, 1/4.
  MonteCarloSpec spec;
  spec.resampling = Resampling::kBootstrap;
  spec.paths = 40000;
  spec.seed = 1;
  spec.histogram_bins = 2;
  const MonteCarloResult result = Analyze(Pnls({1, -1}, 100), 100, spec);
  EXPECT_EQ(result.final_equity.min, 98);
  EXPECT_EQ(result.final_equity.max, 102);
  EXPECT_EQ(result.final_equity.percentiles[2], 100);  // the median
  // Shares with sd at most 0.0025: 8 sd either side.
  EXPECT_NEAR(result.probability_below_initial, 0.25, 0.02);
  const Histogram& histogram = result.final_equity.histogram;
  EXPECT_EQ(histogram.edges, (std::vector<double>{98, 100, 102}));
  EXPECT_NEAR(histogram.counts[0] / 40000.0, 0.25, 0.02);  // 98
  EXPECT_NEAR(histogram.counts[1] / 40000.0, 0.75, 0.02);  // 100 and 102
  EXPECT_NEAR(result.final_equity.mean, 100, 0.05);
}

TEST(MonteCarloTest, TheReturnBasisCompounds) {
  // +10% then -10%: 110 then 99; in any order 100 * 1.1 * 0.9.
  const std::vector<TradeOutcome> trades = {{10, 100}, {-11, 110}};
  MonteCarloSpec spec;
  spec.basis = Basis::kReturn;
  spec.paths = 200;
  const MonteCarloResult result = Analyze(trades, 100, spec);
  EXPECT_NEAR(result.original.final_equity, 99, 1e-12);
  EXPECT_NEAR(result.original.max_drawdown, 0.1, 1e-12);
  EXPECT_NEAR(result.final_equity.min, 99, 1e-12);
  EXPECT_NEAR(result.final_equity.max, 99, 1e-12);
  // -10% first: 90, then 99: a drawdown of 0.1 from 100 too.
  EXPECT_NEAR(result.max_drawdown.max, 0.1, 1e-12);
  // The pnl basis adds the same P&L: 99 in any order, exactly.
  spec.basis = Basis::kPnl;
  EXPECT_EQ(Analyze(trades, 100, spec).final_equity.max, 99);
}

TEST(MonteCarloTest, TheFanIsBoundedAndEvenlySpaced) {
  std::vector<double> pnls(1000);
  for (size_t i = 0; i < pnls.size(); ++i) pnls[i] = i % 3 == 0 ? -2 : 1.5;
  MonteCarloSpec spec;
  spec.paths = 300;
  spec.fan_points = 200;
  const MonteCarloResult result = Analyze(Pnls(pnls, 1000), 1000, spec);
  ASSERT_EQ(result.fan.size(), 200u);
  for (size_t j = 0; j < result.fan.size(); ++j) {
    EXPECT_EQ(result.fan[j].trade, static_cast<int64_t>(j * 1000 / 199));
  }
  EXPECT_EQ(result.fan.back().trade, 1000);
  EXPECT_EQ(result.fan.front().equity, std::vector<double>(5, 1000));
  // The last fan point is the final equity's distribution.
  EXPECT_EQ(result.fan.back().equity, result.final_equity.percentiles);
  // Percentiles are ordered at every point.
  for (const FanPoint& point : result.fan) {
    EXPECT_TRUE(std::is_sorted(point.equity.begin(), point.equity.end()));
  }
}

TEST(MonteCarloTest, RefusesWhatItCannotAnalyze) {
  const std::vector<TradeOutcome> trades = {{10, 100}, {-5, 110}};
  MonteCarloSpec spec;
  EXPECT_EQ(RunMonteCarlo({}, 100, spec).status().message(),
            "no closed trades: a Monte Carlo of trades needs at least one");
  EXPECT_EQ(RunMonteCarlo(trades, 0, spec).status().message(),
            "initial equity must be a finite number > 0, got 0");
  spec.paths = 0;
  EXPECT_EQ(RunMonteCarlo(trades, 100, spec).status().message(),
            "paths must be in [1, 100000], got 0");
  spec.paths = 10;
  spec.percentiles = {50, 101};
  EXPECT_EQ(RunMonteCarlo(trades, 100, spec).status().message(),
            "percentile 101 is not in [0, 100]");
  spec.percentiles = {50};
  spec.histogram_bins = 0;
  EXPECT_EQ(RunMonteCarlo(trades, 100, spec).status().message(),
            "histogram_bins must be in [1, 1000], got 0");
  spec.histogram_bins = 10;
  spec.basis = Basis::kReturn;
  const std::vector<TradeOutcome> broke = {{10, 100}, {-5, 0}};
  EXPECT_EQ(RunMonteCarlo(broke, 100, spec).status().message(),
            "trade 1 has equity_before 0: the return basis needs a finite "
            "equity > 0 before each trade");
  const std::vector<TradeOutcome> wiped = {{-150, 100}};
  EXPECT_EQ(RunMonteCarlo(wiped, 100, spec).status().message(),
            "trade 0 lost more than the equity before it (return -1.5): the "
            "return basis cannot compound it; use the pnl basis");
  spec.basis = Basis::kPnl;
  EXPECT_TRUE(RunMonteCarlo(wiped, 100, spec).ok());
}

}  // namespace
}  // namespace seed::research
