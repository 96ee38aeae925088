#include "services/strategy/strategies/beta_target.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/strategy/strategies/cross_section_test_util.h"
#include "services/strategy/strategies/strategy_test_util.h"

namespace seed::strategy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Benchmark IDX; period 2 (beta over the last 2 returns), target 0.5, band
// 0.1. Returns r = p_t / p_{t-1} - 1:
//   t  IDX     AAA     BBB     r IDX  r AAA  r BBB  beta AAA  beta BBB
//   0  100     100     100
//   1  110     110     120     +0.1   +0.1   +0.2
//   2   99      99      96     -0.1   -0.1   -0.2   1         2
//   3  108.9   108.9   115.2   +0.1   +0.1   +0.2   1         2
//   4   98.01   98.01  103.68  -0.1   -0.1   -0.1   1         1.5
//   5  107.811 107.811 103.68  +0.1   +0.1    0     1         0.5
// beta BBB at t4: returns (+0.2, -0.1) against (+0.1, -0.1): means 0.05 and
// 0; cov = ((0.15)(0.1) + (-0.15)(-0.1)) / 2 = 0.015; var = 0.01 -> 1.5.
// At t5: (-0.1, 0) against (-0.1, +0.1): cov = ((-0.05)(-0.1) +
// (0.05)(0.1)) / 2 = 0.005 -> 0.5.
//
// With B the sum of the betas and k = 2: weight w = min(0.5 / B, 1 / 2).
//   t2: B = 3, w = 1/6, aim 0.5; held beta 0: off by 0.5 > 0.1: rebalance
//   t3: B = 3; held beta 1/6 * 1 + 1/6 * 2 = 0.5: on target
//   t4: B = 2.5, aim 0.5; held 1/6 * 1 + 1/6 * 1.5 = 0.4167: off by 0.083,
//       inside the band: nothing
//   t5: B = 1.5, w = 1/3, aim 0.5; held 1/6 * 1 + 1/6 * 0.5 = 0.25: off by
//       0.25: rebalance to 1/3 each
CrossSectionRun ExampleRun() {
  CrossSectionRun run;
  run.strategy = "beta_target";
  run.symbols = {"IDX", "AAA", "BBB"};
  run.texts = {{"benchmark", "IDX"}};
  run.numbers = {{"period", 2}, {"target_beta", 0.5}, {"band", 0.1}};
  run.closes = {{100, 100, 100},        {110, 110, 120},
                {99, 99, 96},           {108.9, 108.9, 115.2},
                {98.01, 98.01, 103.68}, {107.811, 107.811, 103.68}};
  run.times = DailyTimes(run.closes.size());
  return run;
}

TEST(BetaTargetTest, ScalesEqualWeightsToTheTargetAndWaitsInsideTheBand) {
  // The benchmark is never traded.
  EXPECT_THAT(RunCrossSection(ExampleRun()),
              ElementsAre("2: AAA=0.166667 BBB=0.166667",
                          "5: AAA=0.333333 BBB=0.333333"));
}

TEST(BetaTargetTest, MaxExposureCapsTheWeightsAndTheAimFollows) {
  // target 3 at t2: w = min(3 / 3, 1 / 2) = 1/2, aim 1.5; at t3 the held
  // beta is 1.5, the aim: nothing, although the target is not reached.
  CrossSectionRun run = ExampleRun();
  run.numbers["target_beta"] = 3;
  run.closes.resize(4);
  run.times.resize(4);
  EXPECT_THAT(RunCrossSection(run), ElementsAre("2: AAA=0.5 BBB=0.5"));
}

TEST(BetaTargetTest, TheBenchmarkMustBeOneOfTheRunsSymbols) {
  CrossSectionRun run = ExampleRun();
  run.texts["benchmark"] = "SPY";
  std::vector<std::string> lines = RunCrossSection(run);
  ASSERT_EQ(lines.size(), 1);
  EXPECT_THAT(lines[0], HasSubstr("strategy.params.benchmark: 'SPY' is not: "
                                  "name one of the run's symbols (IDX, AAA, "
                                  "BBB)"));
  run.texts.clear();
  lines = RunCrossSection(run);
  ASSERT_EQ(lines.size(), 1);
  EXPECT_THAT(lines[0], HasSubstr("strategy.params.benchmark: required"));
}

TEST(BetaTargetTest, ListedWithItsDefaults) {
  const std::optional<backtest::v1::StrategyInfo> info =
      ListedInfo("beta_target");
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->params_size(), 5);
  EXPECT_EQ(info->params(0).name(), "benchmark");
  EXPECT_EQ(info->params(0).type(), "string");
  EXPECT_EQ(info->params(1).name(), "target_beta");
  EXPECT_EQ(info->params(1).default_value().number(), 0.5);
  EXPECT_EQ(info->params(2).name(), "period");
  EXPECT_EQ(info->params(2).default_value().number(), 60);
  EXPECT_EQ(info->params(3).name(), "band");
  EXPECT_EQ(info->params(4).name(), "max_exposure");
  EXPECT_THAT(InvalidParamFields("beta_target", {{"max_exposure", 0}}),
              ElementsAre("strategy.params.max_exposure"));
}

}  // namespace
}  // namespace seed::strategy
