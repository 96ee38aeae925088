#include "services/strategy/strategies/bollinger_reversion.h"

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

// period 3, width 1: middle = SMA(3) of the closes, lower = middle - 1
// population sd of the same 3 closes (4 decimals).
//   bar close  middle   sd      lower    event
//    0   10     -        -       -
//    1   10     -        -       -
//    2   10    10       0      10        10 is not below 10: nothing
//    3    7     9       1.4142  7.5858   < lower while flat: BUY
//    4    8     8.3333  1.2472  7.0861   (long) below the middle: keep
//    5    7.5   7.5     0.4082  7.0918   at the middle (exactly): CLOSE
//    6   12     9.1667  2.0138  7.1528   (flat)
//    7   10     9.8333  1.8409  7.9924
//    8    4     8.6667  3.3993  5.2673   < lower: BUY
//    9    6     6.6667  2.4944  4.1722   (long) below the middle: keep
//   10    8     6       1.6330  4.3670   above the middle: CLOSE
const std::vector<double> kCloses = {10, 10, 10, 7, 8, 7.5, 12, 10, 4, 6, 8};
const TestParams kPeriodThreeWidthOne = {{"period", 3}, {"width", 1}};

TEST(BollingerReversionTest, BuysBelowTheLowerBandAndClosesAtTheMiddle) {
  EXPECT_THAT(RunCloses(BollingerReversion::Definition(), kPeriodThreeWidthOne,
                        kCloses),
              ElementsAre("BUY@3", "CLOSE@5", "BUY@8", "CLOSE@10"));
}

// Width 2: lower = middle - 2 sd is 6.1716 at bar 3 and 1.8680 at bar 8; no
// close gets below it.
TEST(BollingerReversionTest, WiderBandsEnterLess) {
  EXPECT_THAT(RunCloses(BollingerReversion::Definition(),
                        {{"period", 3}, {"width", 2}}, kCloses),
              ::testing::IsEmpty());
}

TEST(BollingerReversionTest, RunsThroughTheEngine) {
  EXPECT_EQ(FirstIntentThroughEngine("bollinger_reversion",
                                     kPeriodThreeWidthOne, kCloses),
            "BUY@3: close below lower bollinger band 3, 1");
}

TEST(BollingerReversionTest, ListedWithItsDefaults) {
  const std::optional<backtest::v1::StrategyInfo> info =
      ListedInfo("bollinger_reversion");
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->params_size(), 3);  // and direction
  EXPECT_EQ(info->params(0).name(), "period");
  EXPECT_EQ(info->params(0).default_value().number(), 20);
  EXPECT_EQ(info->params(0).min(), 2);
  EXPECT_EQ(info->params(0).max(), 1000);
  EXPECT_EQ(info->params(1).name(), "width");
  EXPECT_EQ(info->params(1).type(), "number");
  EXPECT_EQ(info->params(1).default_value().number(), 2.0);
  EXPECT_EQ(info->params(1).max(), 10);
}

TEST(BollingerReversionTest, BadParamsAreReportedByField) {
  EXPECT_THAT(InvalidParamFields("bollinger_reversion", {{"width", 0}}),
              ElementsAre("strategy.params.width"));
  EXPECT_THAT(InvalidParamFields("bollinger_reversion", {{"period", 1}}),
              ElementsAre("strategy.params.period"));
}

}  // namespace
}  // namespace seed::strategy
