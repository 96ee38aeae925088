#include "services/execution/average_true_range.h"

#include "gtest/gtest.h"

namespace seed::execution {
namespace {

backtest::v1::Bar Bar(double high, double low, double close) {
  backtest::v1::Bar bar;
  bar.set_high(high);
  bar.set_low(low);
  bar.set_close(close);
  return bar;
}

TEST(AverageTrueRangeTest, StandsInUntilDefinedThenSmoothsLikeWilder) {
  AverageTrueRange atr(2);
  // No bar yet: the fill bar's own range, 13 - 10.
  EXPECT_DOUBLE_EQ(atr.ValueFor(Bar(13, 10, 12)), 3.0);
  atr.Add(Bar(11, 9, 10));
  // One bar, no true range yet: its range 11 - 9.
  EXPECT_DOUBLE_EQ(atr.ValueFor(Bar(13, 10, 12)), 2.0);
  atr.Add(Bar(12, 10, 11));  // true range max(12, 10) - min(10, 10) = 2
  EXPECT_DOUBLE_EQ(atr.ValueFor(Bar(13, 10, 12)), 2.0);
  atr.Add(Bar(14, 12, 13));  // true range 14 - 11 = 3; seed (2 + 3) / 2
  EXPECT_DOUBLE_EQ(atr.ValueFor(Bar(13, 10, 12)), 2.5);
  atr.Add(Bar(13, 8, 9));  // true range 13 - 8 = 5; (2.5 * 1 + 5) / 2
  EXPECT_DOUBLE_EQ(atr.ValueFor(Bar(13, 10, 12)), 3.75);
}

}  // namespace
}  // namespace seed::execution
