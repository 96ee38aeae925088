#include "services/coordinator/timeframe.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::coordinator {
namespace {

using ::testing::HasSubstr;

TEST(TimeframeSecondsTest, ReadsMinutesHoursAndTheDay) {
  EXPECT_EQ(TimeframeSeconds("1m").value(), 60);
  EXPECT_EQ(TimeframeSeconds("15m").value(), 900);
  EXPECT_EQ(TimeframeSeconds("90m").value(), 5400);  // 1440 / 90 = 16
  EXPECT_EQ(TimeframeSeconds("1h").value(), 3600);
  EXPECT_EQ(TimeframeSeconds("4h").value(), 14400);
  EXPECT_EQ(TimeframeSeconds("12h").value(), 43200);
  EXPECT_EQ(TimeframeSeconds("1d").value(), 86400);
}

void ExpectRefused(absl::string_view name, absl::string_view why) {
  const absl::StatusOr<int64_t> seconds = TimeframeSeconds(name);
  ASSERT_EQ(seconds.status().code(), absl::StatusCode::kInvalidArgument)
      << name;
  EXPECT_THAT(seconds.status().message(), HasSubstr(why)) << name;
  // Every refusal says what is allowed.
  EXPECT_THAT(seconds.status().message(),
              HasSubstr("use <n>m with n dividing 1440 (e.g. 5m, 15m, 30m), "
                        "<n>h with n in 1, 2, 3, 4, 6, 8, 12, or 1d"))
      << name;
}

TEST(TimeframeSecondsTest, RefusesWhatIsNotATimeframe) {
  for (absl::string_view name :
       {"", "h", "1", "1s", "2d", "1w", "-1h", "+1h", " 1h", "1.5h", "1H"}) {
    ExpectRefused(name, "is not <n>m, <n>h or 1d");
  }
  ExpectRefused("99999999999999999999m", "is not <n>m, <n>h or 1d");
}

TEST(TimeframeSecondsTest, RefusesLengthsThatDoNotDivideADay) {
  ExpectRefused("7m", "does not divide a day");  // 1440 / 7 is not whole
  ExpectRefused("5h", "does not divide a day");  // 24 / 5 is not whole
  ExpectRefused("0h", "is not more than zero and less than a day");
  ExpectRefused(
      "24h", "is not more than zero and less than a day (for a day, use 1d)");
  ExpectRefused("1440m", "is not more than zero and less than a day");
  ExpectRefused("9223372036854775807h",
                "is not more than zero and less than a day");
}

google::protobuf::RepeatedPtrField<std::string> Names(
    std::initializer_list<const char*> names) {
  google::protobuf::RepeatedPtrField<std::string> repeated;
  for (const char* name : names) *repeated.Add() = name;
  return repeated;
}

TEST(AddTimeframesTest, KeepsTheOrderDropsRepeatsAndNamesBadEntries) {
  std::vector<Timeframe> timeframes;
  std::vector<FieldProblem> problems;
  AddTimeframes(Names({"1d", "1h", "7m", "1d"}), "strategy", timeframes,
                problems);
  // A second strategy of the run: its 1h is read once for both.
  AddTimeframes(Names({"4h", "1h", "25h"}), "strategies[1]", timeframes,
                problems);
  ASSERT_EQ(timeframes.size(), 3u);
  EXPECT_EQ(timeframes[0].name, "1d");
  EXPECT_EQ(timeframes[0].seconds, 86400);
  EXPECT_EQ(timeframes[1].name, "1h");
  EXPECT_EQ(timeframes[1].seconds, 3600);
  EXPECT_EQ(timeframes[2].name, "4h");
  EXPECT_EQ(timeframes[2].seconds, 14400);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].field, "strategy.timeframes[2]");
  EXPECT_THAT(problems[0].description, HasSubstr("timeframe '7m'"));
  EXPECT_EQ(problems[1].field, "strategies[1].timeframes[2]");
  EXPECT_THAT(problems[1].description, HasSubstr("timeframe '25h'"));
}

}  // namespace
}  // namespace seed::coordinator
