#include "services/strategy/strategies/donchian_breakout.h"

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

// entry_bars 3, exit_bars 2, atr_length 2, atr_stop 1. Channels are of the
// bars before the current one; ATR(2) is Wilder's, seeded with the mean of
// the first two true ranges (TR = max(high, prev close) - min(low, prev
// close)).
//   bar  open  high  low   close  TR    ATR     entry high  exit low
//    0   10    10.5   9.5  10.0   -      -        -           -
//    1   10.1  10.6   9.6  10.2   1.0    -        -           -
//    2   10.2  10.4   9.8  10.0   0.6    0.8      -           9.5
//    3   10.2  11.2  10.1  11.0   1.2    1.0     10.6         9.6
//    4   11.1  11.5  10.8  11.3   0.7    0.85    11.2         9.8
//    5   11.3  11.6  11.0  11.4   0.6    0.725   11.5        10.1
//    6   11.2  11.4  10.2  10.3   1.2    0.9625  11.6        10.8
// Bar 3: close 11 > 10.6: BUY, initial stop 11 - 1 x 1.0 = 10. It fills at
// bar 4's open: the stop goes in at bar 4 (10 <= close 11.3). Bar 6: close
// 10.3 < 10.8: cancel the stop, close the position.
const std::vector<Ohlc> kBreakout = {
    {10, 10.5, 9.5, 10.0},    {10.1, 10.6, 9.6, 10.2},
    {10.2, 10.4, 9.8, 10.0},  {10.2, 11.2, 10.1, 11.0},
    {11.1, 11.5, 10.8, 11.3}, {11.3, 11.6, 11.0, 11.4},
    {11.2, 11.4, 10.2, 10.3}};

TestParams Params(const char* direction = "long") {
  return {{"entry_bars", 3},
          {"exit_bars", 2},
          {"atr_length", 2},
          {"atr_stop", 1},
          {"direction", direction}};
}

TEST(DonchianBreakoutTest, EntersOnTheBreakoutStopsAndExitsOnTheChannel) {
  BarHarness harness(DonchianBreakout::Definition(), Params());
  for (int t = 0; t < 3; ++t) EXPECT_THAT(harness.Bar(kBreakout[t]), IsEmpty());
  EXPECT_THAT(harness.Bar(kBreakout[3]),
              ElementsAre("BUY MARKET initial_stop 10 [entry]"));
  harness.Hold(100);  // filled at bar 4's open
  EXPECT_THAT(harness.Bar(kBreakout[4]),
              ElementsAre("SELL STOP stop 10 [stop]"));
  harness.Working(7, "stop");
  EXPECT_THAT(harness.Bar(kBreakout[5]), IsEmpty());
  EXPECT_THAT(harness.Bar(kBreakout[6]),
              ElementsAre("CANCEL #7 [stop]", "CLOSE MARKET [exit]"));
}

TEST(DonchianBreakoutTest, DirectionShortMirrorsIt) {
  BarHarness harness(DonchianBreakout::Definition(), Params("short"));
  for (int t = 0; t < 3; ++t) {
    EXPECT_THAT(harness.Bar(Reflected(kBreakout[t], 20)), IsEmpty());
  }
  // Close 9 < 20 - 10.6 = 9.4; stop 9 + 1.0 = 10.
  EXPECT_THAT(harness.Bar(Reflected(kBreakout[3], 20)),
              ElementsAre("SHORT MARKET initial_stop 10 [entry]"));
  harness.Hold(-100);
  EXPECT_THAT(harness.Bar(Reflected(kBreakout[4], 20)),
              ElementsAre("COVER STOP stop 10 [stop]"));
  harness.Working(7, "stop");
  EXPECT_THAT(harness.Bar(Reflected(kBreakout[5], 20)), IsEmpty());
  // Close 9.7 > 20 - 10.8 = 9.2.
  EXPECT_THAT(harness.Bar(Reflected(kBreakout[6], 20)),
              ElementsAre("CANCEL #7 [stop]", "COVER MARKET [exit]"));
}

// Bar 4 closes at 9.9, below the initial stop 10 before the stop could
// work: a sell stop above the close is no stop, so the position is closed.
TEST(DonchianBreakoutTest, ClosesWhenTheFillBarEndsBeyondTheStop) {
  BarHarness harness(DonchianBreakout::Definition(), Params());
  for (int t = 0; t < 4; ++t) harness.Bar(kBreakout[t]);
  harness.Hold(100);
  EXPECT_THAT(harness.Bar(10.5, 10.9, 9.85, 9.9),
              ElementsAre(HasSubstr("CLOSE MARKET [exit]")));
}

// An entry not yet filled (a working order that is not the stop) is waited
// for; once flat, a stop left working is cancelled.
TEST(DonchianBreakoutTest, WaitsForItsOrdersAndCancelsALeftoverStop) {
  BarHarness harness(DonchianBreakout::Definition(), Params());
  for (int t = 0; t < 4; ++t) harness.Bar(kBreakout[t]);
  harness.Working(5, "entry");
  EXPECT_THAT(harness.Bar(kBreakout[4]), IsEmpty());
  harness.Forget(5);
  harness.Working(8, "stop");
  EXPECT_THAT(harness.Bar(kBreakout[5]), ElementsAre("CANCEL #8 [stop]"));
}

// With both, the flat bar after the exit (bar 7: close 10.0 < the 3-bar low
// 10.2 of bars 4 to 6) enters short, stop 10 + ATR 0.73125.
TEST(DonchianBreakoutTest, DirectionBothTakesTheShortBreakout) {
  BarHarness harness(DonchianBreakout::Definition(), Params("both"));
  for (const Ohlc& bar : kBreakout) harness.Bar(bar);
  EXPECT_THAT(harness.Bar(10.3, 10.4, 9.9, 10.0),
              ElementsAre(HasSubstr("SHORT MARKET initial_stop 10.73")));
}

TEST(DonchianBreakoutTest, ListedWithItsDefaults) {
  const std::optional<backtest::v1::StrategyInfo> info =
      ListedInfo("donchian_breakout");
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->params_size(), 5);
  EXPECT_EQ(info->params(0).name(), "entry_bars");
  EXPECT_EQ(info->params(0).default_value().number(), 20);
  EXPECT_EQ(info->params(1).name(), "exit_bars");
  EXPECT_EQ(info->params(1).default_value().number(), 10);
  EXPECT_EQ(info->params(2).name(), "atr_length");
  EXPECT_EQ(info->params(2).default_value().number(), 14);
  EXPECT_EQ(info->params(3).name(), "atr_stop");
  EXPECT_EQ(info->params(3).default_value().number(), 2.0);
  EXPECT_EQ(info->params(4).name(), "direction");
  EXPECT_THAT(InvalidParamFields("donchian_breakout", {{"atr_stop", 0}}),
              ElementsAre("strategy.params.atr_stop"));
}

}  // namespace
}  // namespace seed::strategy
