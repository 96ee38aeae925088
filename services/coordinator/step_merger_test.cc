// The step merger on hand-made series from a fake data stage: the file's bars
// become steps, and each higher-timeframe bar rides on the first step at or
// after the time its period closes, never earlier.
#include "services/coordinator/step_merger.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::coordinator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kHour = 3600;

int64_t T(const std::string& text) { return ParseTime(text).value(); }

// Serves series set by the test, at most kSlice bars per ReadBars so the
// merger has to come back for more.
class FakeData final : public DataStage {
 public:
  static constexpr int kSlice = 2;

  // Bars at `times` with closes 1, 2, 3, ...; with close times, a series of
  // `timeframe_seconds`.
  void Set(int symbol, int64_t timeframe_seconds, std::vector<int64_t> times,
           std::vector<int64_t> close_times = {}) {
    v1::BarSeries& series = series_[{symbol, timeframe_seconds}];
    for (size_t i = 0; i < times.size(); ++i) {
      series.add_time(times[i]);
      series.add_open(i + 1);
      series.add_high(i + 1);
      series.add_low(i + 1);
      series.add_close(i + 1);
      series.add_volume(10);
    }
    for (const int64_t close_time : close_times) {
      series.add_close_time(close_time);
    }
  }

  absl::Status ReadBars(const v1::ReadBarsRequest& request,
                        v1::ReadBarsResponse* response) override {
    const auto it =
        series_.find({request.symbol(), request.timeframe_seconds()});
    if (it == series_.end()) {
      return StageFailure(absl::StatusCode::kInvalidArgument, "data",
                          "INVALID_TIMEFRAME", "no such series");
    }
    const v1::BarSeries& all = it->second;
    const int first = static_cast<int>(request.offset());
    const int last =
        std::min(all.time_size(), first + std::min(kSlice, request.limit()));
    v1::BarSeries* slice = response->mutable_series();
    for (int i = first; i < last; ++i) {
      slice->add_time(all.time(i));
      slice->add_open(all.open(i));
      slice->add_high(all.high(i));
      slice->add_low(all.low(i));
      slice->add_close(all.close(i));
      slice->add_volume(all.volume(i));
      if (i < all.close_time_size()) slice->add_close_time(all.close_time(i));
    }
    response->set_end(last == all.time_size());
    return absl::OkStatus();
  }

  absl::Status OpenDataset(const v1::OpenDatasetRequest&,
                           v1::OpenDatasetResponse*) override {
    return absl::UnimplementedError("not used");
  }
  absl::Status CloseDataset(const v1::CloseDatasetRequest&,
                            v1::CloseDatasetResponse*) override {
    return absl::UnimplementedError("not used");
  }
  absl::Status ValidateFiles(const v1::ValidateFilesRequest&,
                             v1::ValidateFilesResponse*) override {
    return absl::UnimplementedError("not used");
  }
  absl::Status ReadMetadata(const v1::ReadMetadataRequest&,
                            v1::ReadMetadataResponse*) override {
    return absl::UnimplementedError("not used");
  }

 private:
  std::map<std::pair<int, int64_t>, v1::BarSeries> series_;
};

// Every step the merger makes.
std::vector<v1::TimeStep> AllSteps(StepMerger& merger) {
  std::vector<v1::TimeStep> steps;
  for (;;) {
    v1::TimeStep step;
    absl::StatusOr<bool> more = merger.Next(&step);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) return steps;
    steps.push_back(step);
  }
}

// "1h MIN 10:00 @ 2" for each closed bar: timeframe, its label (close time
// after '@' when it differs) and close.
std::vector<std::string> Closed(const v1::TimeStep& step) {
  std::vector<std::string> closed;
  for (const v1::ClosedBar& bar : step.closed_bars()) {
    std::string text = absl::StrCat(bar.timeframe(), " ", bar.bar().symbol(),
                                    " ", FormatTime(bar.time()));
    if (bar.close_time() != bar.time()) {
      absl::StrAppend(&text, " to ", FormatTime(bar.close_time()));
    }
    absl::StrAppend(&text, " c", bar.bar().close());
    closed.push_back(text);
  }
  return closed;
}

TEST(StepMergerTest, WithoutTimeframesStepsCarryOnlyTheirBars) {
  FakeData data;
  data.Set(0, 0, {T("2006-01-02T09:01"), T("2006-01-02T09:03")});
  data.Set(1, 0, {T("2006-01-02T09:02"), T("2006-01-02T09:03")});
  StepMerger merger(data, "ds", 2);
  const std::vector<v1::TimeStep> steps = AllSteps(merger);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[2].time(), T("2006-01-02T09:03"));
  EXPECT_EQ(steps[2].index(), 2);
  ASSERT_EQ(steps[2].bars_size(), 2);
  EXPECT_EQ(steps[2].bars(1).symbol(), 1);
  EXPECT_EQ(steps[2].bars(1).close(), 2);
  for (const v1::TimeStep& step : steps) EXPECT_THAT(Closed(step), IsEmpty());
}

TEST(StepMergerTest, AnHourBarRidesOnTheStepOfItsLastMinute) {
  // The 10:00 minute bar ends the hour (09:00, 10:00]; the 11:00 hour never
  // closes inside the data (it ends at 10:02) and is never delivered.
  FakeData data;
  data.Set(0, 0,
           {T("2006-01-02T09:58"), T("2006-01-02T09:59"), T("2006-01-02T10:00"),
            T("2006-01-02T10:01"), T("2006-01-02T10:02")});
  data.Set(0, kHour, {T("2006-01-02T10:00"), T("2006-01-02T11:00")},
           {T("2006-01-02T10:00"), T("2006-01-02T11:00")});
  StepMerger merger(data, "ds", 1, {{"1h", kHour}});
  const std::vector<v1::TimeStep> steps = AllSteps(merger);
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_THAT(Closed(steps[0]), IsEmpty());
  EXPECT_THAT(Closed(steps[1]), IsEmpty());
  EXPECT_THAT(Closed(steps[2]), ElementsAre("1h 0 2006-01-02T10:00:00 c1"));
  EXPECT_THAT(Closed(steps[3]), IsEmpty());
  EXPECT_THAT(Closed(steps[4]), IsEmpty());
}

TEST(StepMergerTest, ADayBarRidesOnTheNextDaysFirstStep) {
  // Jan 2 closes at midnight: the first step at or after it is Jan 3 09:01,
  // and nothing during Jan 2 (its own 22:00 close included) carries it.
  FakeData data;
  data.Set(0, 0,
           {T("2006-01-02T09:01"), T("2006-01-02T22:00"), T("2006-01-03T09:01"),
            T("2006-01-03T09:02"), T("2006-01-04T09:01")});
  data.Set(0, kSecondsPerDay,
           {T("2006-01-02"), T("2006-01-03"), T("2006-01-04")},
           {T("2006-01-03"), T("2006-01-04"), T("2006-01-05")});
  StepMerger merger(data, "ds", 1, {{"1d", kSecondsPerDay}});
  const std::vector<v1::TimeStep> steps = AllSteps(merger);
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_THAT(Closed(steps[0]), IsEmpty());
  EXPECT_THAT(Closed(steps[1]), IsEmpty());
  EXPECT_THAT(Closed(steps[2]),
              ElementsAre("1d 0 2006-01-02 to 2006-01-03 c1"));
  EXPECT_THAT(Closed(steps[3]), IsEmpty());
  EXPECT_THAT(Closed(steps[4]),
              ElementsAre("1d 0 2006-01-03 to 2006-01-04 c2"));
}

TEST(StepMergerTest, WithoutAStepAtTheCloseTheBarWaitsForTheNextStep) {
  // No minute bar at 10:00: the hour that closed then rides on 10:05.
  FakeData data;
  data.Set(0, 0, {T("2006-01-02T09:59"), T("2006-01-02T10:05")});
  data.Set(0, kHour, {T("2006-01-02T10:00"), T("2006-01-02T11:00")},
           {T("2006-01-02T10:00"), T("2006-01-02T11:00")});
  StepMerger merger(data, "ds", 1, {{"1h", kHour}});
  const std::vector<v1::TimeStep> steps = AllSteps(merger);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_THAT(Closed(steps[0]), IsEmpty());
  EXPECT_THAT(Closed(steps[1]), ElementsAre("1h 0 2006-01-02T10:00:00 c1"));
}

TEST(StepMergerTest, ClosedBarsComeByTimeframeThenSymbolAtAnyStep) {
  // Symbol 1 has no minute bar at Jan 3 10:00, yet its bars that closed by
  // then ride on that step with symbol 0's: by timeframe in the order asked
  // (1d before 1h), then by symbol. Slices of two bars make the merger read
  // each series several times.
  FakeData data;
  data.Set(
      0, 0,
      {T("2006-01-02T09:30"), T("2006-01-02T10:30"), T("2006-01-03T10:00")});
  data.Set(1, 0, {T("2006-01-02T09:30"), T("2006-01-02T10:30")});
  for (const int symbol : {0, 1}) {
    data.Set(symbol, kSecondsPerDay, {T("2006-01-02"), T("2006-01-03")},
             {T("2006-01-03"), T("2006-01-04")});
  }
  data.Set(
      0, kHour,
      {T("2006-01-02T10:00"), T("2006-01-02T11:00"), T("2006-01-03T10:00")},
      {T("2006-01-02T10:00"), T("2006-01-02T11:00"), T("2006-01-03T10:00")});
  data.Set(1, kHour, {T("2006-01-02T10:00"), T("2006-01-02T11:00")},
           {T("2006-01-02T10:00"), T("2006-01-02T11:00")});
  StepMerger merger(data, "ds", 2, {{"1d", kSecondsPerDay}, {"1h", kHour}});
  const std::vector<v1::TimeStep> steps = AllSteps(merger);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_THAT(Closed(steps[0]), IsEmpty());
  // 10:30: the hour (09:00, 10:00] of both symbols.
  EXPECT_THAT(Closed(steps[1]), ElementsAre("1h 0 2006-01-02T10:00:00 c1",
                                            "1h 1 2006-01-02T10:00:00 c1"));
  // Jan 3 10:00: Jan 2 of both, then the hours that closed since 10:30 the
  // day before (11:00 of both) and symbol 0's (09:00, 10:00] of Jan 3.
  ASSERT_EQ(steps[2].bars_size(), 1);
  EXPECT_THAT(Closed(steps[2]), ElementsAre("1d 0 2006-01-02 to 2006-01-03 c1",
                                            "1d 1 2006-01-02 to 2006-01-03 c1",
                                            "1h 0 2006-01-02T11:00:00 c2",
                                            "1h 0 2006-01-03T10:00:00 c3",
                                            "1h 1 2006-01-02T11:00:00 c2"));
}

TEST(StepMergerTest, TheDataStagesRefusalFailsTheStep) {
  FakeData data;
  data.Set(0, 0, {T("2006-01-02T09:01")});
  StepMerger merger(data, "ds", 1, {{"4h", 4 * kHour}});
  v1::TimeStep step;
  const absl::StatusOr<bool> more = merger.Next(&step);
  EXPECT_EQ(more.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(more.status(), "").reason(), "INVALID_TIMEFRAME");
}

TEST(StepMergerTest, AResampledSeriesWithoutCloseTimesIsAProtocolError) {
  FakeData data;
  data.Set(0, 0, {T("2006-01-02T09:01")});
  data.Set(0, kHour, {T("2006-01-02T10:00")});  // no close times
  StepMerger merger(data, "ds", 1, {{"1h", kHour}});
  v1::TimeStep step;
  const absl::StatusOr<bool> more = merger.Next(&step);
  EXPECT_EQ(more.status().code(), absl::StatusCode::kInternal);
  const v1::StageError error = ToStageError(more.status(), "");
  EXPECT_EQ(error.stage(), "data");
  EXPECT_EQ(error.reason(), "PROTOCOL_ERROR");
  EXPECT_THAT(error.message(), HasSubstr("1 bars of timeframe_seconds 3600 "
                                         "with 0 close times"));
}

}  // namespace
}  // namespace seed::coordinator
