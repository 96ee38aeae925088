#include "common/time.h"

#include "gtest/gtest.h"

namespace seed {
namespace {

TEST(TimeTest, ParsesDatesAsMidnight) {
  const absl::StatusOr<int64_t> time = ParseTime("1995-01-03");
  ASSERT_TRUE(time.ok()) << time.status();
  EXPECT_EQ(*time, 789091200);
  EXPECT_EQ(FormatTime(*time), "1995-01-03");
}

TEST(TimeTest, ParsesDateTimesWithAndWithoutSeconds) {
  EXPECT_EQ(*ParseTime("2006-01-02T09:01:00"), *ParseTime("2006-01-02 09:01"));
  EXPECT_EQ(FormatTime(*ParseTime("2006-01-02T09:01:05")),
            "2006-01-02T09:01:05");
}

TEST(TimeTest, RejectsMalformedAndImpossibleDates) {
  EXPECT_FALSE(ParseTime("1995/01/03").ok());
  EXPECT_FALSE(ParseTime("1995-02-30").ok());
  EXPECT_FALSE(ParseTime("1995-01-03T25:00").ok());
  EXPECT_FALSE(ParseTime("").ok());
}

}  // namespace
}  // namespace seed
