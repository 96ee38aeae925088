#include "services/strategy/strategies/trend_pullback.h"

#include <optional>
#include <string>
#include <vector>

#include "backtest/v1/strategy.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/strategy/strategies/strategy_test_util.h"

namespace seed::strategy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// trend_length 4, pullback_length 2, swing_bars 3, target_r 2.
//   bar  high  low   close  SMA(4)   SMA(2)  setup
//    0   10.2   9.8  10      -        -
//    1   11.2  10.8  11      -       10.5
//    2   12.2  11.8  12      -       11.5
//    3   13.2  12.8  13     11.5     12.5    uptrend, above SMA(2)
//    4   13.0  12.2  12.4   12.1     12.7    uptrend, below SMA(2): armed
//    5   13.6  12.3  13.5   12.725   12.95   uptrend, back above: BUY
// Bar 5's bracket: stop at the lowest low of bars 3 to 5, min(12.8, 12.2,
// 12.3) = 12.2; take-profit 2R from the fill.
// Each bar opens at its close.
const std::vector<Ohlc> kPullback = {
    {10, 10.2, 9.8, 10},  {11, 11.2, 10.8, 11},     {12, 12.2, 11.8, 12},
    {13, 13.2, 12.8, 13}, {12.4, 13.0, 12.2, 12.4}, {13.5, 13.6, 12.3, 13.5}};

TestParams Params(const char* direction = "long") {
  return {{"trend_length", 4},
          {"pullback_length", 2},
          {"swing_bars", 3},
          {"target_r", 2},
          {"direction", direction}};
}

TEST(TrendPullbackTest, BuysTheResumptionWithABracketAtTheSwingLow) {
  BarHarness harness(TrendPullback::Definition(), Params());
  for (int t = 0; t < 5; ++t) EXPECT_THAT(harness.Bar(kPullback[t]), IsEmpty());
  EXPECT_THAT(harness.Bar(kPullback[5]),
              ElementsAre("BUY MARKET bracket stop 12.2 r 2 [entry]"));
  // In the trade the bracket is the only exit: nothing, whatever the bars.
  harness.Hold(100);
  harness.Working(11, "entry");
  EXPECT_THAT(harness.Bar(13, 13.1, 12.0, 12.1), IsEmpty());
  EXPECT_THAT(harness.Bar(12, 14, 11.9, 13.9), IsEmpty());
}

TEST(TrendPullbackTest, DirectionShortSellsTheRallyInADowntrend) {
  BarHarness harness(TrendPullback::Definition(), Params("short"));
  for (int t = 0; t < 5; ++t) {
    EXPECT_THAT(harness.Bar(Reflected(kPullback[t], 30)), IsEmpty());
  }
  // Stop at the highest high of bars 3 to 5: 30 - 12.2 = 17.8.
  EXPECT_THAT(harness.Bar(Reflected(kPullback[5], 30)),
              ElementsAre("SHORT MARKET bracket stop 17.8 r 2 [entry]"));
}

// Bar 4 closes at 11.9, below SMA(4) 11.975: no uptrend, so no pullback is
// armed, and bar 5's close above SMA(2) (12.7) is no resumption.
TEST(TrendPullbackTest, APullbackThatBreaksTheTrendDisarms) {
  BarHarness harness(TrendPullback::Definition(), Params());
  for (int t = 0; t < 4; ++t) harness.Bar(kPullback[t]);
  EXPECT_THAT(harness.Bar(11.9, 13.0, 11.8, 11.9), IsEmpty());
  EXPECT_THAT(harness.Bar(kPullback[5]), IsEmpty());
}

TEST(TrendPullbackTest, ListedWithItsDefaults) {
  const std::optional<backtest::v1::StrategyInfo> info =
      ListedInfo("trend_pullback");
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->params_size(), 5);
  EXPECT_EQ(info->params(0).name(), "trend_length");
  EXPECT_EQ(info->params(0).default_value().number(), 50);
  EXPECT_EQ(info->params(1).name(), "pullback_length");
  EXPECT_EQ(info->params(1).default_value().number(), 5);
  EXPECT_EQ(info->params(2).name(), "swing_bars");
  EXPECT_EQ(info->params(2).default_value().number(), 5);
  EXPECT_EQ(info->params(3).name(), "target_r");
  EXPECT_EQ(info->params(3).default_value().number(), 2.0);
  EXPECT_EQ(info->params(4).name(), "direction");
  EXPECT_THAT(InvalidParamFields("trend_pullback",
                                 {{"trend_length", 5}, {"pullback_length", 5}}),
              ElementsAre("strategy.params.pullback_length"));
}

}  // namespace
}  // namespace seed::strategy
