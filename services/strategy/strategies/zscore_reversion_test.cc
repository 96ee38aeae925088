#include "services/strategy/strategies/zscore_reversion.h"

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
using ::testing::UnorderedElementsAre;

// period 3, entry_z 1: z = (close - mean) / population sd of the last 3
// closes (4 decimals).
//   bar close  mean     sd      z         event (exit_z 0)   (exit_z 1.3)
//    0   10     -        -       -
//    1   10     -        -       -
//    2   10    10       0        -        no spread: undefined
//    3    7     9       1.4142  -1.4142   < -1: BUY          BUY
//    4    8     8.3333  1.2472  -0.2673   (long) keep        keep
//    5    9     8       0.8165  +1.2247   >= 0: CLOSE        keep
//    6   12     9.6667  1.6997  +1.3728   (flat)             >= 1.3: CLOSE
//    7   10    10.3333  1.2472  -0.2673
//    8    4     8.6667  3.3993  -1.3728   < -1: BUY          BUY
//    9    6     6.6667  2.4944  -0.2673   (long) keep        keep
//   10    8     6       1.6330  +1.2247   >= 0: CLOSE        keep
//   11    9     7.6667  1.2472  +1.0690   (flat)             keep
const std::vector<double> kCloses = {10, 10, 10, 7, 8, 9, 12, 10, 4, 6, 8, 9};

TEST(ZScoreReversionTest, EntersBelowMinusEntryZAndExitsAtTheMean) {
  EXPECT_THAT(RunCloses(ZScoreReversion::Definition(),
                        {{"period", 3}, {"entry_z", 1}}, kCloses),
              ElementsAre("BUY@3", "CLOSE@5", "BUY@8", "CLOSE@10"));
}

TEST(ZScoreReversionTest, ExitZAboveTheMeanHoldsLonger) {
  EXPECT_THAT(
      RunCloses(ZScoreReversion::Definition(),
                {{"period", 3}, {"entry_z", 1}, {"exit_z", 1.3}}, kCloses),
      ElementsAre("BUY@3", "CLOSE@6", "BUY@8"));
}

TEST(ZScoreReversionTest, RunsThroughTheEngine) {
  EXPECT_EQ(FirstIntentThroughEngine("zscore_reversion",
                                     {{"period", 3}, {"entry_z", 1}}, kCloses),
            "BUY@3: z-score over 3 bars below -1");
}

TEST(ZScoreReversionTest, ListedWithItsDefaults) {
  const std::optional<backtest::v1::StrategyInfo> info =
      ListedInfo("zscore_reversion");
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->params_size(), 4);  // and direction
  EXPECT_EQ(info->params(0).name(), "period");
  EXPECT_EQ(info->params(0).default_value().number(), 20);
  EXPECT_EQ(info->params(0).min(), 2);
  EXPECT_EQ(info->params(0).max(), 1000);
  EXPECT_EQ(info->params(1).name(), "entry_z");
  EXPECT_EQ(info->params(1).default_value().number(), 2.0);
  EXPECT_EQ(info->params(1).max(), 10);
  EXPECT_EQ(info->params(2).name(), "exit_z");
  EXPECT_EQ(info->params(2).default_value().number(), 0.0);
  EXPECT_EQ(info->params(2).min(), -10);
  EXPECT_EQ(info->params(2).max(), 10);
}

TEST(ZScoreReversionTest, BadParamsAreReportedByField) {
  EXPECT_THAT(InvalidParamFields("zscore_reversion", {{"entry_z", 0}}),
              ElementsAre("strategy.params.entry_z"));
  EXPECT_THAT(
      InvalidParamFields("zscore_reversion", {{"period", 1}, {"exit_z", 11}}),
      UnorderedElementsAre("strategy.params.exit_z", "strategy.params.period"));
}

// The short side mirrors the long one around the mean (not "short on the
// long exit"): short when z > +entry_z, cover when z <= -exit_z. period 3,
// entry_z 1, exit_z 0 (z to 4 decimals):
//   bar close  z         long          short         both
//    0   10     -
//    1   11     -
//    2   12    +1.2247                 SHORT         SHORT
//    3   13    +1.2247                 (short)       (short)
//    4   12    -0.7071                 <= 0: COVER   COVER
//    5   10    -1.3363   < -1: BUY     (flat)        BUY
//    6   14    +1.2247   >= 0: CLOSE   > 1: SHORT    CLOSE, then SHORT
const std::vector<double> kUpDownUp = {10, 11, 12, 13, 12, 10, 14};

TEST(ZScoreReversionTest, DirectionShortAndBothMirrorAroundTheMean) {
  const TestParams params = {{"period", 3}, {"entry_z", 1}};
  TestParams short_only = params;
  short_only.insert({"direction", "short"});
  TestParams both = params;
  both.insert({"direction", "both"});
  EXPECT_THAT(RunCloses(ZScoreReversion::Definition(), params, kUpDownUp),
              ElementsAre("BUY@5", "CLOSE@6"));
  EXPECT_THAT(RunCloses(ZScoreReversion::Definition(), short_only, kUpDownUp),
              ElementsAre("SHORT@2", "COVER@4", "SHORT@6"));
  EXPECT_THAT(RunCloses(ZScoreReversion::Definition(), both, kUpDownUp),
              ElementsAre("SHORT@2", "COVER@4", "BUY@5", "CLOSE@6", "SHORT@6"));
  EXPECT_EQ(FirstIntentThroughEngine("zscore_reversion", short_only, kUpDownUp),
            "SHORT@2: z-score over 3 bars above +1");
}

}  // namespace
}  // namespace seed::strategy
