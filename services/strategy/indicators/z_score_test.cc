#include "services/strategy/indicators/z_score.h"

#include <cmath>

#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

TEST(ZScoreTest, DistanceFromTheWindowMeanInPopulationDeviations) {
  ZScore z(3);
  EXPECT_EQ(z.period(), 3);
  z.Add(1.0);
  z.Add(2.0);
  EXPECT_FALSE(z.value().has_value());
  z.Add(6.0);  // mean 3, variance (4 + 1 + 9) / 3
  ASSERT_TRUE(z.value().has_value());
  EXPECT_DOUBLE_EQ(*z.value(), 3.0 / std::sqrt(14.0 / 3.0));
  z.Add(0.0);  // {2, 6, 0}: mean 8 / 3, variance (4 + 100 + 64) / 27
  EXPECT_DOUBLE_EQ(*z.value(), (0.0 - 8.0 / 3.0) / std::sqrt(168.0 / 27.0));
}

TEST(ZScoreTest, UndefinedWhileTheWindowHasNoSpread) {
  ZScore z(2);
  z.Add(1.0);
  z.Add(3.0);  // mean 2, deviation 1
  EXPECT_EQ(*z.value(), 1.0);
  z.Add(3.0);  // {3, 3}
  EXPECT_FALSE(z.value().has_value());
  z.Add(1.0);  // {3, 1}
  EXPECT_EQ(*z.value(), -1.0);
}

}  // namespace
}  // namespace seed::strategy
