#include "services/strategy/indicators/rsi.h"

#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

TEST(RsiTest, WilderAveragesOfUpAndDownMoves) {
  Rsi rsi(2);
  EXPECT_EQ(rsi.period(), 2);
  rsi.Add(10.0);
  rsi.Add(12.0);  // one move: not enough
  EXPECT_FALSE(rsi.value().has_value());
  rsi.Add(11.0);  // moves +2, -1: up (2 + 0) / 2 = 1, down (0 + 1) / 2 = 0.5
  ASSERT_TRUE(rsi.value().has_value());
  EXPECT_DOUBLE_EQ(*rsi.value(), 100.0 * 1.0 / 1.5);
  rsi.Add(13.0);  // +2: up 2 * 0.5 + 1 * 0.5 = 1.5, down 0.5 * 0.5 = 0.25
  EXPECT_DOUBLE_EQ(*rsi.value(), 100.0 * 1.5 / 1.75);
  rsi.Add(12.0);  // -1: up 0.75, down 1 * 0.5 + 0.25 * 0.5 = 0.625
  EXPECT_DOUBLE_EQ(*rsi.value(), 100.0 * 0.75 / 1.375);
}

TEST(RsiTest, OnlyRisesIsOneHundredAndOnlyFallsIsZero) {
  Rsi rising(3);
  Rsi falling(3);
  for (int i = 0; i < 10; ++i) {
    rising.Add(10.0 + i);
    falling.Add(10.0 - i);
  }
  EXPECT_EQ(*rising.value(), 100.0);
  EXPECT_EQ(*falling.value(), 0.0);
}

// TTR divides 0 by 0 there (NaN): no move at all has no strength.
TEST(RsiTest, UndefinedWhileThePriceHasNotMoved) {
  Rsi rsi(2);
  for (int i = 0; i < 5; ++i) rsi.Add(5.0);
  EXPECT_FALSE(rsi.value().has_value());
  rsi.Add(6.0);  // up 1 * 0.5 + 0 * 0.5 = 0.5, down 0
  ASSERT_TRUE(rsi.value().has_value());
  EXPECT_EQ(*rsi.value(), 100.0);
}

}  // namespace
}  // namespace seed::strategy
