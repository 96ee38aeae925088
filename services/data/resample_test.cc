#include "services/data/resample.h"

#include <string>
#include <vector>

#include "common/stage_error.h"
#include "common/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kMinute = 60;
constexpr int64_t kHour = 3600;

int64_t T(const std::string& text) { return ParseTime(text).value(); }

// Bars whose open, high, low and close are given per bar; volume 1 + index.
struct Row {
  std::string time;
  double open, high, low, close;
};

BarColumns Bars(const std::vector<Row>& rows) {
  BarColumns bars;
  for (size_t i = 0; i < rows.size(); ++i) {
    bars.Append(T(rows[i].time), rows[i].open, rows[i].high, rows[i].low,
                rows[i].close, 1.0 + i);
  }
  return bars;
}

ResampledBars ResampleAll(const BarColumns& bars, int64_t timeframe) {
  return Resample(bars, 0, bars.size(), timeframe);
}

TEST(ResampleTest, AggregatesFirstOpenHighestHighLowestLowLastCloseSumVolume) {
  // Five one-minute bars ending 09:01..09:05 make the 5m bar (09:00, 09:05].
  const BarColumns bars = Bars({{"2006-01-02T09:01", 10, 11, 9.5, 10.5},
                                {"2006-01-02T09:02", 10.5, 12, 10, 11},
                                {"2006-01-02T09:03", 11, 11.5, 8, 9},
                                {"2006-01-02T09:04", 9, 10, 8.5, 9.5},
                                {"2006-01-02T09:05", 9.5, 10.5, 9, 10.25}});
  const ResampledBars out = ResampleAll(bars, 5 * kMinute);
  ASSERT_EQ(out.bars.size(), 1u);
  EXPECT_EQ(out.bars.time[0], T("2006-01-02T09:05"));
  EXPECT_EQ(out.close_time[0], T("2006-01-02T09:05"));
  EXPECT_EQ(out.bars.open[0], 10);      // the first bar's open
  EXPECT_EQ(out.bars.high[0], 12);      // max(11, 12, 11.5, 10, 10.5)
  EXPECT_EQ(out.bars.low[0], 8);        // min(9.5, 10, 8, 8.5, 9)
  EXPECT_EQ(out.bars.close[0], 10.25);  // the last bar's close
  EXPECT_EQ(out.bars.volume[0], 15);    // 1 + 2 + 3 + 4 + 5
}

TEST(ResampleTest, ABarEndingOnTheHourBelongsToTheHourItEnds) {
  // Bar times are interval ends: 10:00 closes (09:00, 10:00]; 10:01 opens
  // (10:00, 11:00].
  const BarColumns bars = Bars({{"2006-01-02T09:59", 1, 2, 1, 2},
                                {"2006-01-02T10:00", 2, 3, 2, 3},
                                {"2006-01-02T10:01", 3, 4, 3, 4}});
  const ResampledBars out = ResampleAll(bars, kHour);
  EXPECT_THAT(out.bars.time,
              ElementsAre(T("2006-01-02T10:00"), T("2006-01-02T11:00")));
  EXPECT_EQ(out.close_time, out.bars.time);  // intraday: labelled by the end
  EXPECT_THAT(out.bars.close, ElementsAre(3, 4));
  EXPECT_THAT(out.bars.volume, ElementsAre(3, 3));  // 1 + 2; 3
}

TEST(ResampleTest, NightsAndWeekendsMakeNoEmptyBars) {
  // Friday 21:59 and 22:00, then Monday 09:01: two 1h bars, none between.
  const BarColumns bars = Bars({{"2006-01-06T21:59", 5, 6, 4, 5},
                                {"2006-01-06T22:00", 5, 7, 5, 6},
                                {"2006-01-09T09:01", 8, 9, 7, 8}});
  const ResampledBars out = ResampleAll(bars, kHour);
  EXPECT_THAT(out.bars.time,
              ElementsAre(T("2006-01-06T22:00"), T("2006-01-09T10:00")));
  // The Monday bar opens at its own open, not at Friday's close.
  EXPECT_THAT(out.bars.open, ElementsAre(5, 8));
  EXPECT_THAT(out.bars.high, ElementsAre(7, 9));
}

TEST(ResampleTest, DailyBarsAreLabelledWithTheirSessionDate) {
  // A bar stamped at midnight ends the day before: (00:00 Jan 2, 00:00 Jan 3].
  const BarColumns bars = Bars({{"2006-01-02T09:01", 10, 12, 9, 11},
                                {"2006-01-02T22:00", 11, 13, 10, 12},
                                {"2006-01-03T00:00", 12, 12, 11, 11.5},
                                {"2006-01-03T09:01", 20, 21, 19, 20}});
  const ResampledBars out = ResampleAll(bars, kSecondsPerDay);
  EXPECT_THAT(out.bars.time, ElementsAre(T("2006-01-02"), T("2006-01-03")));
  EXPECT_THAT(out.close_time, ElementsAre(T("2006-01-03"), T("2006-01-04")));
  EXPECT_THAT(out.bars.open, ElementsAre(10, 20));
  EXPECT_THAT(out.bars.high, ElementsAre(13, 21));
  EXPECT_THAT(out.bars.low, ElementsAre(9, 19));
  EXPECT_THAT(out.bars.close, ElementsAre(11.5, 20));
  EXPECT_THAT(out.bars.volume, ElementsAre(6, 4));  // 1 + 2 + 3; 4
}

TEST(ResampleTest, FourHourBucketsAlignToMidnight) {
  // (08:00, 12:00] and (12:00, 16:00], whatever time the data starts.
  const BarColumns bars = Bars({{"2006-01-02T09:01", 1, 1, 1, 1},
                                {"2006-01-02T12:00", 2, 2, 2, 2},
                                {"2006-01-02T12:01", 3, 3, 3, 3},
                                {"2006-01-02T15:30", 4, 4, 4, 4}});
  const ResampledBars out = ResampleAll(bars, 4 * kHour);
  EXPECT_THAT(out.close_time,
              ElementsAre(T("2006-01-02T12:00"), T("2006-01-02T16:00")));
  EXPECT_THAT(out.bars.close, ElementsAre(2, 4));
}

TEST(ResampleTest, OnlyTheBarsInsideTheRangeCount) {
  // bars[1, 3): 09:02 and 09:03; 09:01 and 09:04 are outside the range.
  const BarColumns bars = Bars({{"2006-01-02T09:01", 1, 9, 1, 1},
                                {"2006-01-02T09:02", 2, 2, 2, 2},
                                {"2006-01-02T09:03", 3, 3, 3, 3},
                                {"2006-01-02T09:04", 4, 4, 0.5, 4}});
  const ResampledBars out = Resample(bars, 1, 3, 5 * kMinute);
  ASSERT_EQ(out.bars.size(), 1u);
  EXPECT_EQ(out.bars.open[0], 2);
  EXPECT_EQ(out.bars.high[0], 3);
  EXPECT_EQ(out.bars.low[0], 2);
  EXPECT_EQ(out.bars.close[0], 3);
  EXPECT_EQ(out.bars.volume[0], 5);  // 2 + 3
  EXPECT_EQ(Resample(bars, 2, 2, kHour).bars.size(), 0u);  // an empty range
}

TEST(ResampleTest, BarsBefore1970FallIntoTheirOwnBuckets) {
  // t < 0: the bucket is rounded toward minus infinity, not toward zero.
  const BarColumns bars = Bars(
      {{"1969-12-31T23:30", 1, 1, 1, 1}, {"1970-01-01T00:30", 2, 2, 2, 2}});
  const ResampledBars hourly = ResampleAll(bars, kHour);
  EXPECT_THAT(hourly.bars.time, ElementsAre(0, kHour));
  const ResampledBars daily = ResampleAll(bars, kSecondsPerDay);
  EXPECT_THAT(daily.bars.time, ElementsAre(T("1969-12-31"), T("1970-01-01")));
  EXPECT_THAT(daily.close_time, ElementsAre(0, kSecondsPerDay));
}

TEST(CheckTimeframeTest, AcceptsWholeMultiplesThatDivideADay) {
  EXPECT_TRUE(CheckTimeframe(kHour, kMinute, "MIN001").ok());
  EXPECT_TRUE(CheckTimeframe(4 * kHour, kMinute, "MIN001").ok());
  EXPECT_TRUE(CheckTimeframe(kSecondsPerDay, kMinute, "MIN001").ok());
  EXPECT_TRUE(CheckTimeframe(kSecondsPerDay, kHour, "H").ok());
  // A file of one bar has no interval to check against.
  EXPECT_TRUE(CheckTimeframe(kHour, 0, "ONE").ok());
}

// The error names the field, the symbol, its interval and what is allowed.
void ExpectRefused(int64_t timeframe, int64_t interval,
                   const std::string& problem, const std::string& allowed) {
  const absl::Status status = CheckTimeframe(timeframe, interval, "MIN001");
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  const backtest::v1::StageError error = ToStageError(status, "test");
  EXPECT_EQ(error.stage(), "data");
  EXPECT_EQ(error.reason(), "INVALID_TIMEFRAME");
  EXPECT_EQ(error.symbol(), "MIN001");
  EXPECT_THAT(error.message(), HasSubstr("timeframe_seconds"));
  EXPECT_THAT(error.message(), HasSubstr(problem));
  EXPECT_THAT(error.message(), HasSubstr(allowed));
}

TEST(CheckTimeframeTest, RefusesATimeframeNotLargerThanTheBars) {
  ExpectRefused(kSecondsPerDay, kSecondsPerDay,
                "is not larger than MIN001's bar interval, 86400 s (1d)",
                "allowed for MIN001: none: bars 86400 s (1d) apart have no "
                "higher timeframe within a day");
  ExpectRefused(kMinute, kMinute,
                "is not larger than MIN001's bar interval, 60 s (1m)",
                "allowed for MIN001: 2m, 3m, 4m, 5m, 6m, 8m, 9m, 10m, 12m, "
                "15m, 16m, 18m, 20m, 24m, 30m, 32m, 36m, 40m, 45m, 48m, 1h, "
                "72m, 80m, 90m, 96m, 2h, 144m, 160m, 3h, 4h, 288m, 6h, 8h, "
                "12h, 1d (s = 1, m = 60, h = 3600, d = 86400 seconds)");
}

TEST(CheckTimeframeTest, RefusesATimeframeThatIsNotAWholeMultiple) {
  // 1h from 7-minute bars: 3600 / 420 is not whole, and 420 s does not
  // divide a day (86400 / 420 = 205.7), so nothing is allowed.
  ExpectRefused(kHour, 7 * kMinute,
                "is not a whole multiple of MIN001's bar interval, 420 s (7m)",
                "none: the bar interval 420 s (7m) does not divide a day");
  ExpectRefused(150, kMinute, "is not a whole multiple", "20m, 24m, 30m");
}

TEST(CheckTimeframeTest, RefusesATimeframeThatDoesNotDivideADay) {
  // 7h: buckets would drift across midnight from day to day.
  ExpectRefused(7 * kHour, kMinute, "does not divide a day", "6h, 8h, 12h");
  ExpectRefused(2 * kSecondsPerDay, kMinute, "does not divide a day",
                "12h, 1d");
  ExpectRefused(0, kMinute, "does not divide a day", ", 1h, ");
  ExpectRefused(-kHour, kMinute, "does not divide a day", ", 4h, ");
  // One-second bars allow 95 timeframes: the shortest 20, then the longest.
  ExpectRefused(7 * kHour, 1, "does not divide a day",
                "allowed for MIN001: 2s, 3s, 4s, 5s, 6s, 8s, 9s, 10s, 12s, "
                "15s, 16s, 18s, 20s, 24s, 25s, 27s, 30s, 32s, 36s, 40s, ..., "
                "40m, 45m, 48m, 3200s, 3456s, 1h");
}

}  // namespace
}  // namespace seed::data
