#include "services/strategy/strategies/atr_trailing_stop.h"

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
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// sma_length 3, atr_length 2, atr_multiple 2. ATR(2) is Wilder's, seeded
// with the mean of the first two true ranges.
//   bar  open  high  low   close  TR    ATR     SMA(3)   close - SMA
//    0   10    10.5   9.5  10.0    -     -        -
//    1   10    10.4   9.6   9.8   0.8    -        -
//    2    9.8  10.0   9.4   9.6   0.6   0.7     9.8      -0.2 (first: no cross)
//    3    9.7  10.8   9.6  10.6   1.2   0.95   10.0      +0.6 cross above
//    4   10.7  11.0  10.5  10.9   0.5   0.725  10.3667   +0.5333
//    5   10.8  10.9   9.4   9.5   1.5   1.1125 10.3333   -0.8333 cross below
// Bar 3: BUY, initial stop 10.6 - 2 x 0.95 = 8.7. It fills at bar 4's open;
// at bar 4 the trailing stop goes in with the ATR as of bar 4, 0.725. The
// cross below at bar 5 is no exit (only the trailing stop exits), except
// with direction both, which reverses: stop 9.5 + 2 x 1.1125 = 11.725.
const std::vector<Ohlc> kBars = {
    {10, 10.5, 9.5, 10.0},  {10, 10.4, 9.6, 9.8},     {9.8, 10.0, 9.4, 9.6},
    {9.7, 10.8, 9.6, 10.6}, {10.7, 11.0, 10.5, 10.9}, {10.8, 10.9, 9.4, 9.5}};

TestParams Params(const char* direction = "long") {
  return {{"sma_length", 3},
          {"atr_length", 2},
          {"atr_multiple", 2},
          {"direction", direction}};
}

// Runs bars 0 to 5: the entry at 3 fills at 4, the trailing stop (order 9)
// works from 5. Returns what bar 5 made.
std::vector<std::string> RunToBarFive(BarHarness& harness,
                                      std::vector<std::string>* before) {
  for (int t = 0; t < 5; ++t) {
    if (t == 4) harness.Hold(100);
    for (std::string& intent : harness.Bar(kBars[t])) {
      before->push_back(std::to_string(t) + ": " + intent);
    }
  }
  harness.Working(9, "trail");
  return harness.Bar(kBars[5]);
}

TEST(AtrTrailingStopTest, EntersOnTheCrossAndTrailsAtTheFillBar) {
  BarHarness harness(AtrTrailingStop::Definition(), Params());
  std::vector<std::string> before;
  EXPECT_THAT(RunToBarFive(harness, &before), IsEmpty());
  EXPECT_THAT(before, ElementsAre("3: BUY MARKET initial_stop 8.7 [entry]",
                                  "4: SELL TRAILING_STOP trail 2 x atr 0.725/2 "
                                  "[trail]"));
}

TEST(AtrTrailingStopTest, DirectionBothReversesOnTheOppositeCross) {
  BarHarness harness(AtrTrailingStop::Definition(), Params("both"));
  std::vector<std::string> before;
  EXPECT_THAT(RunToBarFive(harness, &before),
              ElementsAre("CANCEL #9 [trail]", "CLOSE MARKET [exit]",
                          HasSubstr("SHORT MARKET initial_stop 11.72")));
}

// Short only: the cross above at bar 3 is no signal; the cross below at bar
// 5 shorts, and the fill bar gets a COVER trailing stop.
TEST(AtrTrailingStopTest, DirectionShortMirrorsIt) {
  BarHarness harness(AtrTrailingStop::Definition(), Params("short"));
  for (int t = 0; t < 5; ++t) EXPECT_THAT(harness.Bar(kBars[t]), IsEmpty());
  EXPECT_THAT(harness.Bar(kBars[5]),
              ElementsAre(HasSubstr("SHORT MARKET initial_stop 11.72")));
  harness.Hold(-100);
  EXPECT_THAT(harness.Bar(9.4, 9.6, 9.0, 9.2),
              ElementsAre(HasSubstr("COVER TRAILING_STOP trail 2 x atr")));
}

TEST(AtrTrailingStopTest, ListedWithItsDefaults) {
  const std::optional<backtest::v1::StrategyInfo> info =
      ListedInfo("atr_trailing_stop");
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->params_size(), 4);
  EXPECT_EQ(info->params(0).name(), "sma_length");
  EXPECT_EQ(info->params(0).default_value().number(), 50);
  EXPECT_EQ(info->params(1).name(), "atr_length");
  EXPECT_EQ(info->params(1).default_value().number(), 14);
  EXPECT_EQ(info->params(2).name(), "atr_multiple");
  EXPECT_EQ(info->params(2).default_value().number(), 3.0);
  EXPECT_EQ(info->params(3).name(), "direction");
  EXPECT_THAT(InvalidParamFields("atr_trailing_stop", {{"atr_multiple", 0}}),
              ElementsAre("strategy.params.atr_multiple"));
}

}  // namespace
}  // namespace seed::strategy
