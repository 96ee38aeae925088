#include "services/strategy/strategies/momentum.h"

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

// lookback 2, threshold 0.1: r = close_t / close_{t-2} - 1 (4 decimals).
//   bar close  r         event
//    0  100     -
//    1  100     -
//    2  105    +0.05     inside (-0.1, 0.1): nothing
//    3  112    +0.12     > 0.1 while flat: BUY
//    4  110    +0.0476   (long) inside: keep
//    5  100    -0.1071   < -0.1 while long: CLOSE
//    6   95    -0.1364   (flat) below, but flat: nothing
//    7   99    -0.01
//    8  110    +0.1579   > 0.1: BUY
//    9  121    +0.2222   (long) above, but long: nothing
const std::vector<double> kCloses = {100, 100, 105, 112, 110,
                                     100, 95,  99,  110, 121};
const TestParams kLookbackTwo = {{"lookback", 2}, {"threshold", 0.1}};

TEST(MomentumTest, EntersAboveThresholdAndExitsBelowItsNegative) {
  EXPECT_THAT(RunCloses(Momentum::Definition(), kLookbackTwo, kCloses),
              ElementsAre("BUY@3", "CLOSE@5", "BUY@8"));
}

TEST(MomentumTest, RunsThroughTheEngine) {
  EXPECT_EQ(FirstIntentThroughEngine("momentum", kLookbackTwo, kCloses),
            "BUY@3: return over 2 bars above +0.1");
}

TEST(MomentumTest, ListedWithItsDefaults) {
  const std::optional<backtest::v1::StrategyInfo> info = ListedInfo("momentum");
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->params_size(), 3);  // and direction
  EXPECT_EQ(info->params(0).name(), "lookback");
  EXPECT_EQ(info->params(0).type(), "int");
  EXPECT_EQ(info->params(0).default_value().number(), 20);
  EXPECT_EQ(info->params(0).min(), 1);
  EXPECT_EQ(info->params(0).max(), 1000);
  EXPECT_EQ(info->params(1).name(), "threshold");
  EXPECT_EQ(info->params(1).type(), "number");
  EXPECT_EQ(info->params(1).default_value().number(), 0.05);
  EXPECT_EQ(info->params(1).max(), 1);
}

TEST(MomentumTest, BadParamsAreReportedByField) {
  EXPECT_THAT(InvalidParamFields("momentum", {{"threshold", 0}}),
              ElementsAre("strategy.params.threshold"));
  EXPECT_THAT(InvalidParamFields("momentum", {{"threshold", 1.5}}),
              ElementsAre("strategy.params.threshold"));
  EXPECT_THAT(InvalidParamFields("momentum", {{"lookback", 0}}),
              ElementsAre("strategy.params.lookback"));
  EXPECT_THAT(InvalidParamFields("momentum", {{"threshold", 1}}),
              ::testing::IsEmpty());
}

// Direction short is the mirror image: short when r < -threshold, cover when
// r > +threshold (the table above: r -0.1071 at bar 5, +0.1579 at bar 8).
// Both reverses on the same signals: bar 5 closes the long and shorts.
TEST(MomentumTest, DirectionShortMirrorsAndBothReverses) {
  TestParams short_only = kLookbackTwo;
  short_only.insert({"direction", "short"});
  TestParams both = kLookbackTwo;
  both.insert({"direction", "both"});
  EXPECT_THAT(RunCloses(Momentum::Definition(), short_only, kCloses),
              ElementsAre("SHORT@5", "COVER@8"));
  EXPECT_THAT(RunCloses(Momentum::Definition(), both, kCloses),
              ElementsAre("BUY@3", "CLOSE@5", "SHORT@5", "COVER@8", "BUY@8"));
  EXPECT_EQ(FirstIntentThroughEngine("momentum", short_only, kCloses),
            "SHORT@5: return over 2 bars below -0.1");
}

TEST(MomentumTest, DirectionMustBeOneOfItsChoices) {
  EXPECT_THAT(InvalidParamFields("momentum", {{"direction", "sideways"}}),
              ElementsAre("strategy.params.direction"));
}

}  // namespace
}  // namespace seed::strategy
