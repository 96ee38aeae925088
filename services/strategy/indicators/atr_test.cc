#include "services/strategy/indicators/atr.h"

#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

TEST(AtrTest, WilderAverageOfTheTrueRange) {
  Atr atr(2);
  EXPECT_EQ(atr.period(), 2);
  atr.Add(11.0, 9.0, 10.0);   // no previous close: no true range
  atr.Add(12.0, 10.0, 11.0);  // 12 - 10 = 2
  EXPECT_FALSE(atr.value().has_value());
  atr.Add(14.0, 12.0, 13.0);  // gap up: 14 - previous close 11 = 3
  ASSERT_TRUE(atr.value().has_value());
  EXPECT_EQ(*atr.value(), 2.5);  // (2 + 3) / 2
  atr.Add(13.0, 12.5, 12.5);     // 13 - 12.5 = 0.5: 0.5 * 0.5 + 2.5 * 0.5
  EXPECT_EQ(*atr.value(), 1.5);
  atr.Add(11.0, 10.0, 10.5);     // gap down: previous close 12.5 - 10 = 2.5
  EXPECT_EQ(*atr.value(), 2.0);  // 2.5 * 0.5 + 1.5 * 0.5
}

TEST(AtrTest, TheFirstBarCountsOnlyAsAPreviousClose) {
  Atr atr(1);
  atr.Add(100.0, 1.0, 50.0);  // its own range of 99 is never used
  EXPECT_FALSE(atr.value().has_value());
  atr.Add(51.0, 49.0, 50.0);
  EXPECT_EQ(*atr.value(), 2.0);
}

}  // namespace
}  // namespace seed::strategy
