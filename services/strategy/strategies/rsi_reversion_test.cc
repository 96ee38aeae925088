#include "services/strategy/strategies/rsi_reversion.h"

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

// period 2, oversold 30, overbought 70. up / down: Wilder averages of the up
// and down moves (seeded with the mean of the first 2 moves, then
// avg = move / 2 + avg / 2); RSI = 100 * up / (up + down).
//   bar close  move  up        down      RSI      event
//    0   10     -     -         -         -
//    1   11    +1     -         -         -        one move: undefined
//    2   10    -1    0.5       0.5       50
//    3    9    -1    0.25      0.75      25       < 30 while flat: BUY
//    4    8    -1    0.125     0.875     12.5     (long) still oversold
//    5    9    +1    0.5625    0.4375    56.25
//    6   11    +2    1.28125   0.21875   85.4167  > 70 while long: CLOSE
//    7   12    +1    1.140625  0.109375  91.25    (flat)
//    8   11    -1    0.5703    0.5547    50.6944
//    9    9    -2    0.2852    1.2773    18.25    < 30: BUY
//   10   10    +1    0.6426    0.6387    50.1524
//   11   12    +2    1.3213    0.3193    80.5357  > 70: CLOSE
const std::vector<double> kCloses = {10, 11, 10, 9, 8,  9,
                                     11, 12, 11, 9, 10, 12};
const TestParams kPeriodTwo = {{"period", 2}};

TEST(RsiReversionTest, BuysOversoldAndClosesOverbought) {
  EXPECT_THAT(RunCloses(RsiReversion::Definition(), kPeriodTwo, kCloses),
              ElementsAre("BUY@3", "CLOSE@6", "BUY@9", "CLOSE@11"));
}

// Oversold 20: bar 3's 25 is no longer an entry; bar 4's 12.5 is.
TEST(RsiReversionTest, LevelsAreParams) {
  EXPECT_THAT(RunCloses(RsiReversion::Definition(),
                        {{"period", 2}, {"oversold", 20}}, kCloses),
              ElementsAre("BUY@4", "CLOSE@6", "BUY@9", "CLOSE@11"));
}

TEST(RsiReversionTest, RunsThroughTheEngine) {
  EXPECT_EQ(FirstIntentThroughEngine("rsi_reversion", kPeriodTwo, kCloses),
            "BUY@3: rsi 2 below 30");
}

TEST(RsiReversionTest, ListedWithItsDefaults) {
  const std::optional<backtest::v1::StrategyInfo> info =
      ListedInfo("rsi_reversion");
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->params_size(), 4);  // and direction
  EXPECT_EQ(info->params(0).name(), "period");
  EXPECT_EQ(info->params(0).default_value().number(), 14);
  EXPECT_EQ(info->params(0).min(), 2);
  EXPECT_EQ(info->params(0).max(), 1000);
  EXPECT_EQ(info->params(1).name(), "oversold");
  EXPECT_EQ(info->params(1).default_value().number(), 30);
  EXPECT_EQ(info->params(2).name(), "overbought");
  EXPECT_EQ(info->params(2).default_value().number(), 70);
}

TEST(RsiReversionTest, BadParamsAreReportedByField) {
  EXPECT_THAT(InvalidParamFields("rsi_reversion",
                                 {{"oversold", 80}, {"overbought", 60}}),
              ElementsAre("strategy.params.oversold"));
  EXPECT_THAT(InvalidParamFields("rsi_reversion", {{"oversold", 0}}),
              ElementsAre("strategy.params.oversold"));
  EXPECT_THAT(InvalidParamFields("rsi_reversion", {{"overbought", 100}}),
              ElementsAre("strategy.params.overbought"));
  EXPECT_THAT(InvalidParamFields("rsi_reversion", {{"period", 1}}),
              ElementsAre("strategy.params.period"));
}

}  // namespace
}  // namespace seed::strategy
