#include "services/strategy/strategies/ema_cross.h"

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

// fast = EMA(2) (alpha 2/3), slow = EMA(3) (alpha 1/2), each seeded with the
// mean of its first closes; d = fast - slow (4 decimals).
//   bar close  fast     slow     d        event
//    0   10     -        -        -
//    1    9    9.5       -        -
//    2    8    8.5      9       -0.5      first bar with both: never a cross
//    3    9    8.8333   9       -0.1667
//    4   11   10.2778  10       +0.2778   crosses above: BUY (flat)
//    5   12   11.4259  11       +0.4259   (BUY fills, long)
//    6   10   10.4753  10.5     -0.0247   crosses below: CLOSE (SMAs: bar 7)
//    7    9    9.4918   9.75    -0.2582   (CLOSE fills, flat)
//    8    8    8.4973   8.875   -0.3777
//    9    8    8.1658   8.4375  -0.2717
//   10    9    8.7219   8.7188  +0.0032   crosses above: BUY
//   11    6    6.9073   7.3594  -0.4521   (BUY filled, long) crosses below
//   12    6    6.3024   6.6797  -0.3773   (CLOSE fills, flat)
//   13    9    8.1008   7.8398  +0.2610   crosses above: BUY
const std::vector<double> kDownUpDown = {10, 9, 8, 9, 11, 12, 10,
                                         9,  8, 8, 9, 6,  6,  9};
const TestParams kFastTwoSlowThree = {{"fast", 2}, {"slow", 3}};

TEST(EmaCrossTest, BuysOnCrossAboveAndClosesOnCrossBelow) {
  EXPECT_THAT(RunCloses(EmaCross::Definition(), kFastTwoSlowThree, kDownUpDown),
              ElementsAre("BUY@4", "CLOSE@6", "BUY@10", "CLOSE@11", "BUY@13"));
}

TEST(EmaCrossTest, RunsThroughTheEngine) {
  EXPECT_EQ(
      FirstIntentThroughEngine("ema_cross", kFastTwoSlowThree, kDownUpDown),
      "BUY@4: ema 2 crossed above ema 3");
}

TEST(EmaCrossTest, ListedWithItsDefaults) {
  const std::optional<backtest::v1::StrategyInfo> info =
      ListedInfo("ema_cross");
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->params_size(), 3);  // and direction
  EXPECT_EQ(info->params(0).name(), "fast");
  EXPECT_EQ(info->params(0).type(), "int");
  EXPECT_EQ(info->params(0).default_value().number(), 10);
  EXPECT_EQ(info->params(0).min(), 1);
  EXPECT_EQ(info->params(0).max(), 1000);
  EXPECT_EQ(info->params(1).name(), "slow");
  EXPECT_EQ(info->params(1).default_value().number(), 30);
  EXPECT_EQ(info->params(1).min(), 2);
  EXPECT_EQ(info->params(1).max(), 5000);
}

TEST(EmaCrossTest, BadParamsAreReportedByField) {
  EXPECT_THAT(InvalidParamFields("ema_cross", {{"fast", 30}, {"slow", 10}}),
              ElementsAre("strategy.params.fast"));
  EXPECT_THAT(InvalidParamFields("ema_cross", {{"slow", 1}}),
              ElementsAre("strategy.params.slow"));
}

}  // namespace
}  // namespace seed::strategy
