#include "research/walk_forward.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/time.h"
#include "gtest/gtest.h"

namespace seed::research {
namespace {

int64_t Time(const std::string& date) { return *ParseTime(date); }

// One bar a day at midnight for `count` days from `first`.
std::vector<int64_t> EveryDay(const std::string& first, int count) {
  std::vector<int64_t> times;
  for (int i = 0; i < count; ++i) {
    times.push_back(Time(first) + i * kSecondsPerDay);
  }
  return times;
}

// One bar each weekday from `first` to `last`, inclusive.
std::vector<int64_t> Weekdays(const std::string& first,
                              const std::string& last) {
  std::vector<int64_t> times;
  for (int64_t time = Time(first); time <= Time(last); time += kSecondsPerDay) {
    const absl::CivilDay day =
        absl::CivilDay(1970, 1, 1) + time / kSecondsPerDay;
    const absl::Weekday weekday = absl::GetWeekday(day);
    if (weekday != absl::Weekday::saturday &&
        weekday != absl::Weekday::sunday) {
      times.push_back(time);
    }
  }
  return times;
}

Length Bars(int64_t count) { return {count, LengthUnit::kBars}; }

struct Span {
  int64_t first;
  int64_t last;
  bool operator==(const Span& other) const {
    return first == other.first && last == other.last;
  }
};

std::vector<Span> InSample(const std::vector<Window>& windows) {
  std::vector<Span> spans;
  for (const Window& w : windows) {
    spans.push_back({w.in_sample_first, w.in_sample_last});
  }
  return spans;
}

std::vector<Span> OutOfSample(const std::vector<Window>& windows) {
  std::vector<Span> spans;
  for (const Window& w : windows) {
    spans.push_back({w.out_of_sample_first, w.out_of_sample_last});
  }
  return spans;
}

std::vector<std::string> OutOfSampleDates(const std::vector<Window>& windows) {
  std::vector<std::string> dates;
  for (const Window& w : windows) {
    dates.push_back(FormatTime(w.out_of_sample_start) + ".." +
                    FormatTime(w.out_of_sample_end));
  }
  return dates;
}

TEST(WalkForwardTest, RollingBarWindowsTileTheOutOfSample) {
  const std::vector<int64_t> times = EveryDay("2020-01-01", 20);
  WindowSpec spec;
  spec.in_sample = Bars(5);
  spec.out_of_sample = Bars(3);
  absl::StatusOr<std::vector<Window>> windows = MakeWindows(times, spec);
  ASSERT_TRUE(windows.ok()) << windows.status();
  EXPECT_EQ(InSample(*windows),
            (std::vector<Span>{{0, 4}, {3, 7}, {6, 10}, {9, 13}, {12, 16}}));
  EXPECT_EQ(OutOfSample(*windows),
            (std::vector<Span>{{5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}}));
  const Window& last = windows->back();
  EXPECT_EQ(last.index, 4);
  EXPECT_EQ(FormatTime(last.in_sample_start), "2020-01-13");
  EXPECT_EQ(FormatTime(last.in_sample_end), "2020-01-17");
  EXPECT_EQ(FormatTime(last.out_of_sample_start), "2020-01-18");
  EXPECT_EQ(FormatTime(last.out_of_sample_end), "2020-01-20");
  EXPECT_FALSE(last.partial);
}

TEST(WalkForwardTest, APartialLastWindowIsDroppedUnlessKept) {
  const std::vector<int64_t> times = EveryDay("2020-01-01", 21);
  WindowSpec spec;
  spec.in_sample = Bars(5);
  spec.out_of_sample = Bars(3);
  absl::StatusOr<std::vector<Window>> windows = MakeWindows(times, spec);
  ASSERT_TRUE(windows.ok()) << windows.status();
  EXPECT_EQ(windows->size(), 5u);

  spec.keep_partial = true;
  windows = MakeWindows(times, spec);
  ASSERT_TRUE(windows.ok()) << windows.status();
  ASSERT_EQ(windows->size(), 6u);
  EXPECT_EQ(InSample(*windows).back(), (Span{15, 19}));
  EXPECT_EQ(OutOfSample(*windows).back(), (Span{20, 20}));
  EXPECT_TRUE(windows->back().partial);
  EXPECT_FALSE((*windows)[4].partial);
}

TEST(WalkForwardTest, AnchoredWindowsGrowTheirInSample) {
  const std::vector<int64_t> times = EveryDay("2020-01-01", 20);
  WindowSpec spec;
  spec.kind = WindowKind::kAnchored;
  spec.in_sample = Bars(5);
  spec.out_of_sample = Bars(3);
  absl::StatusOr<std::vector<Window>> windows = MakeWindows(times, spec);
  ASSERT_TRUE(windows.ok()) << windows.status();
  EXPECT_EQ(InSample(*windows),
            (std::vector<Span>{{0, 4}, {0, 7}, {0, 10}, {0, 13}, {0, 16}}));
  EXPECT_EQ(OutOfSample(*windows)[4], (Span{17, 19}));
}

TEST(WalkForwardTest, AStepShorterThanTheOutOfSampleOverlaps) {
  const std::vector<int64_t> times = EveryDay("2020-01-01", 12);
  WindowSpec spec;
  spec.in_sample = Bars(5);
  spec.out_of_sample = Bars(3);
  spec.step = Bars(2);
  absl::StatusOr<std::vector<Window>> windows = MakeWindows(times, spec);
  ASSERT_TRUE(windows.ok()) << windows.status();
  EXPECT_EQ(OutOfSample(*windows),
            (std::vector<Span>{{5, 7}, {7, 9}, {9, 11}}));
}

TEST(WalkForwardTest, CalendarWindowsFollowTheDates) {
  const std::vector<int64_t> times = Weekdays("2020-01-01", "2021-12-31");
  WindowSpec spec;
  spec.in_sample = {1, LengthUnit::kYears};
  spec.out_of_sample = {3, LengthUnit::kMonths};
  absl::StatusOr<std::vector<Window>> windows = MakeWindows(times, spec);
  ASSERT_TRUE(windows.ok()) << windows.status();
  EXPECT_EQ(OutOfSampleDates(*windows),
            (std::vector<std::string>{
                "2021-01-01..2021-03-31", "2021-04-01..2021-06-30",
                "2021-07-01..2021-09-30", "2021-10-01..2021-12-31"}));
  EXPECT_EQ(FormatTime((*windows)[1].in_sample_start), "2020-04-01");
  EXPECT_EQ(FormatTime((*windows)[1].in_sample_end), "2021-03-31");

  // Data that stops 4 days short of the last period's end: that window is
  // partial, unless the data's range is said to reach the end of the year.
  // (Up to 3 days short, it counts as complete: see the next test.)
  const std::vector<int64_t> short_times = Weekdays("2020-01-01", "2021-12-27");
  windows = MakeWindows(short_times, spec);
  ASSERT_TRUE(windows.ok()) << windows.status();
  EXPECT_EQ(windows->size(), 3u);
  windows = MakeWindows(short_times, spec, Time("2021-12-31"));
  ASSERT_TRUE(windows.ok()) << windows.status();
  ASSERT_EQ(windows->size(), 4u);
  EXPECT_EQ(OutOfSampleDates(*windows)[3], "2021-10-01..2021-12-27");
  EXPECT_FALSE(windows->back().partial);
}

TEST(WalkForwardTest, MonthEndsClampAndWindowsStillTile) {
  // From Jan 31: the boundaries are Jan 31 + k months, each computed once,
  // so Feb 29 does not drag later ones to the 29th.
  const std::vector<int64_t> times = EveryDay("2020-01-31", 200);
  WindowSpec spec;
  spec.in_sample = {1, LengthUnit::kMonths};
  spec.out_of_sample = {1, LengthUnit::kMonths};
  absl::StatusOr<std::vector<Window>> windows = MakeWindows(times, spec);
  ASSERT_TRUE(windows.ok()) << windows.status();
  ASSERT_GE(windows->size(), 4u);
  EXPECT_EQ(OutOfSampleDates(*windows)[0], "2020-02-29..2020-03-30");
  EXPECT_EQ(OutOfSampleDates(*windows)[1], "2020-03-31..2020-04-29");
  EXPECT_EQ(OutOfSampleDates(*windows)[2], "2020-04-30..2020-05-30");
  for (size_t k = 0; k + 1 < windows->size(); ++k) {
    EXPECT_EQ((*windows)[k].out_of_sample_last + 1,
              (*windows)[k + 1].out_of_sample_first)
        << k;
  }
}

TEST(WalkForwardTest, UnitsMixAndWeeksAreSevenDays) {
  const std::vector<int64_t> times = Weekdays("2020-01-06", "2020-03-27");
  WindowSpec spec;
  spec.in_sample = Bars(10);
  spec.out_of_sample = {1, LengthUnit::kWeeks};
  absl::StatusOr<std::vector<Window>> windows = MakeWindows(times, spec);
  ASSERT_TRUE(windows.ok()) << windows.status();
  // 60 weekdays: out-of-sample weeks after the first 10 bars (two weeks).
  // The last week ends on Sunday Mar 29, two days after the last bar: it is
  // complete (a market closed on weekends has no bar to show for them).
  EXPECT_EQ(windows->size(), 10u);
  for (const Window& window : *windows) {
    EXPECT_EQ(window.out_of_sample_last - window.out_of_sample_first, 4);
    EXPECT_EQ(window.in_sample_last - window.in_sample_first, 9);
  }
  EXPECT_EQ(OutOfSampleDates(*windows)[0], "2020-01-20..2020-01-24");
}

TEST(WalkForwardTest, PeriodsWithoutBarsAreLeftOut) {
  std::vector<int64_t> times = EveryDay("2020-01-01", 91);  // to Mar 31
  for (int64_t time : EveryDay("2020-06-01", 92)) times.push_back(time);
  WindowSpec spec;
  spec.in_sample = {1, LengthUnit::kMonths};
  spec.out_of_sample = {1, LengthUnit::kMonths};
  absl::StatusOr<std::vector<Window>> windows = MakeWindows(times, spec);
  ASSERT_TRUE(windows.ok()) << windows.status();
  // April and May have no bars: the windows with an empty period go.
  EXPECT_EQ(OutOfSampleDates(*windows),
            (std::vector<std::string>{
                "2020-02-01..2020-02-29", "2020-03-01..2020-03-31",
                "2020-07-01..2020-07-31", "2020-08-01..2020-08-31"}));
  EXPECT_EQ(windows->back().index, 3);
}

TEST(WalkForwardTest, ErrorsNameTheLengthsAndTheData) {
  const std::vector<int64_t> times = EveryDay("2020-01-01", 100);
  WindowSpec spec;
  spec.in_sample = {1, LengthUnit::kYears};
  spec.out_of_sample = {1, LengthUnit::kMonths};
  EXPECT_EQ(MakeWindows(times, spec).status().message(),
            "no walk-forward window fits: in-sample 1 year then out-of-sample "
            "1 month need more than the data's 2020-01-01..2020-04-09 (100 "
            "bars)");

  spec.in_sample = Bars(98);
  spec.out_of_sample = Bars(5);
  EXPECT_EQ(MakeWindows(times, spec).status().message(),
            "no walk-forward window fits: in-sample 98 bars then "
            "out-of-sample 5 bars need more than the data's "
            "2020-01-01..2020-04-09 (100 bars); 1 window(s) cut short by the "
            "end of the data were dropped (keep_partial keeps them)");

  spec.step = Bars(0);
  EXPECT_EQ(MakeWindows(times, spec).status().message(),
            "walk-forward step length must be at least 1, got 0");

  spec.step.reset();
  const std::vector<int64_t> unsorted = {Time("2020-01-02"),
                                         Time("2020-01-01")};
  EXPECT_EQ(MakeWindows(unsorted, spec).status().message(),
            "walk-forward times must be strictly increasing: bar 1 "
            "(2020-01-01) is not after bar 0 (2020-01-02)");
  EXPECT_EQ(MakeWindows({}, spec).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seed::research
