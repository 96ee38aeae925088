#include "services/strategy/indicators/ema.h"

#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

TEST(EmaTest, SeededWithTheMeanOfTheFirstPeriodValues) {
  Ema ema(3);  // alpha = 2 / (3 + 1) = 0.5
  EXPECT_EQ(ema.period(), 3);
  ema.Add(1.0);
  EXPECT_FALSE(ema.value().has_value());
  ema.Add(2.0);
  EXPECT_FALSE(ema.value().has_value());
  ema.Add(6.0);  // (1 + 2 + 6) / 3
  ASSERT_TRUE(ema.value().has_value());
  EXPECT_EQ(*ema.value(), 3.0);
  ema.Add(5.0);  // 5 * 0.5 + 3 * 0.5
  EXPECT_EQ(*ema.value(), 4.0);
  ema.Add(0.0);  // 0 * 0.5 + 4 * 0.5
  EXPECT_EQ(*ema.value(), 2.0);
}

TEST(EmaTest, AlphaIsTwoOverPeriodPlusOne) {
  Ema ema(4);  // alpha = 0.4
  for (double value : {1.0, 1.0, 1.0, 1.0}) ema.Add(value);
  ema.Add(11.0);  // 11 * 0.4 + 1 * 0.6
  EXPECT_DOUBLE_EQ(*ema.value(), 5.0);
}

TEST(EmaTest, WilderUsesOneOverPeriod) {
  Ema ema = Ema::Wilder(4);  // alpha = 0.25
  EXPECT_EQ(ema.period(), 4);
  for (double value : {4.0, 8.0, 0.0}) ema.Add(value);
  EXPECT_FALSE(ema.value().has_value());
  ema.Add(4.0);  // (4 + 8 + 0 + 4) / 4
  EXPECT_EQ(*ema.value(), 4.0);
  ema.Add(8.0);  // 8 * 0.25 + 4 * 0.75
  EXPECT_EQ(*ema.value(), 5.0);
  ema.Add(1.0);  // 1 * 0.25 + 5 * 0.75
  EXPECT_EQ(*ema.value(), 4.0);
}

TEST(EmaTest, PeriodOneIsTheLastValue) {
  Ema ema(1);  // alpha = 1
  ema.Add(2.5);
  EXPECT_EQ(*ema.value(), 2.5);
  ema.Add(-7.0);
  EXPECT_EQ(*ema.value(), -7.0);
}

}  // namespace
}  // namespace seed::strategy
