#include "services/strategy/strategies/cross_sectional_momentum.h"

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

constexpr int64_t kDay = 86400;
constexpr int64_t kDec30th2019 = 1577664000;

// lookback 3, skip 1, top_n 2: score = close_{t-1} / close_{t-3} - 1, needing
// 4 bars; scored only at a month's first step.
//   t  date        AAA  BBB  CCC  event
//   0  2019-12-30  100  100  100  run's first step: never a month's first
//   1  2019-12-31  102  101  100
//   2  2020-01-02  104  103   90  January's first, 3 bars only: nothing
//   3  2020-01-03  106  110   80
//   4  2020-02-03   50  112   85  February's first:
//        AAA 106/102 - 1 = +0.0392 (its drop to 50 at t is skipped)
//        BBB 110/101 - 1 = +0.0891, CCC 80/100 - 1 = -0.2
//        best two: BBB, AAA -> 1/2 each
//   5  2020-02-04   50  100  100  not a month's first
//   6  2020-03-02   50   90  120  March's first:
//        AAA 50/106 - 1 = -0.528, BBB 100/110 - 1 = -0.0909,
//        CCC 100/80 - 1 = +0.25 -> CCC, BBB; AAA to 0
CrossSectionRun ExampleRun() {
  CrossSectionRun run;
  run.strategy = "cross_sectional_momentum";
  run.symbols = {"AAA", "BBB", "CCC"};
  run.numbers = {{"lookback", 3}, {"skip", 1}, {"top_n", 2}};
  const int days[] = {0, 1, 3, 4, 35, 36, 63};  // from 2019-12-30
  for (int day : days) run.times.push_back(kDec30th2019 + day * kDay);
  run.closes = {{100, 100, 100}, {102, 101, 100}, {104, 103, 90},
                {106, 110, 80},  {50, 112, 85},   {50, 100, 100},
                {50, 90, 120}};
  return run;
}

TEST(CrossSectionalMomentumTest, HoldsTheTopNAtEachMonthsFirstStep) {
  EXPECT_THAT(RunCrossSection(ExampleRun()),
              ElementsAre("4: AAA=0.5 BBB=0.5", "6: AAA=0 BBB=0.5 CCC=0.5"));
}

TEST(CrossSectionalMomentumTest, TopNLargerThanTheScoredHoldsAllOfThem) {
  CrossSectionRun run = ExampleRun();
  run.numbers["top_n"] = 10;
  EXPECT_THAT(RunCrossSection(run),
              ElementsAre("4: AAA=0.333333 BBB=0.333333 CCC=0.333333",
                          "6: AAA=0.333333 BBB=0.333333 CCC=0.333333"));
}

TEST(CrossSectionalMomentumTest, ListedWithItsDefaults) {
  const std::optional<backtest::v1::StrategyInfo> info =
      ListedInfo("cross_sectional_momentum");
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->params_size(), 3);
  EXPECT_EQ(info->params(0).name(), "lookback");
  EXPECT_EQ(info->params(0).default_value().number(), 252);
  EXPECT_EQ(info->params(1).name(), "skip");
  EXPECT_EQ(info->params(1).default_value().number(), 21);
  EXPECT_EQ(info->params(2).name(), "top_n");
  EXPECT_EQ(info->params(2).default_value().number(), 10);
}

TEST(CrossSectionalMomentumTest, SkipMustBeBelowLookback) {
  EXPECT_THAT(InvalidParamFields("cross_sectional_momentum",
                                 {{"lookback", 21}, {"skip", 21}}),
              ElementsAre("strategy.params.skip"));
  EXPECT_THAT(InvalidParamFields("cross_sectional_momentum", {{"top_n", 0}}),
              ElementsAre("strategy.params.top_n"));
}

}  // namespace
}  // namespace seed::strategy
