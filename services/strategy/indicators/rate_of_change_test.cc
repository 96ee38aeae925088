#include "services/strategy/indicators/rate_of_change.h"

#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

TEST(RateOfChangeTest, RatioToTheValuePeriodBarsAgoMinusOne) {
  RateOfChange roc(2);
  EXPECT_EQ(roc.period(), 2);
  roc.Add(100.0);
  roc.Add(90.0);
  EXPECT_FALSE(roc.value().has_value());
  roc.Add(110.0);  // against 100
  ASSERT_TRUE(roc.value().has_value());
  EXPECT_EQ(*roc.value(), 110.0 / 100.0 - 1);
  roc.Add(45.0);  // against 90
  EXPECT_EQ(*roc.value(), -0.5);
}

TEST(RateOfChangeTest, UndefinedAgainstZero) {
  RateOfChange roc(1);
  roc.Add(0.0);
  roc.Add(5.0);
  EXPECT_FALSE(roc.value().has_value());
  roc.Add(6.0);
  EXPECT_DOUBLE_EQ(*roc.value(), 0.2);
}

}  // namespace
}  // namespace seed::strategy
