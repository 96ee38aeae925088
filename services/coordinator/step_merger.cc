#include "services/coordinator/step_merger.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"

namespace seed::coordinator {
namespace {

// Copies bar `i` of `series` into *bar.
void CopyBar(const v1::BarSeries& series, int i, int symbol, v1::Bar* bar) {
  bar->set_symbol(symbol);
  bar->set_open(series.open(i));
  bar->set_high(series.high(i));
  bar->set_low(series.low(i));
  bar->set_close(series.close(i));
  bar->set_volume(series.volume(i));
}

}  // namespace

StepMerger::StepMerger(DataStage& data, std::string dataset_id,
                       int symbol_count, std::vector<Timeframe> timeframes)
    : data_(data),
      dataset_id_(std::move(dataset_id)),
      cursors_(symbol_count),
      timeframes_(std::move(timeframes)),
      closed_(timeframes_.size(), std::vector<Cursor>(symbol_count)) {
  for (int symbol = 0; symbol < symbol_count; ++symbol) {
    cursors_[symbol].symbol = symbol;
    for (size_t i = 0; i < timeframes_.size(); ++i) {
      closed_[i][symbol].symbol = symbol;
      closed_[i][symbol].timeframe_seconds = timeframes_[i].seconds;
    }
  }
}

absl::Status StepMerger::Refill(Cursor& cursor) {
  while (!cursor.exhausted && !cursor.has_bar()) {
    v1::ReadBarsRequest request;
    request.set_dataset_id(dataset_id_);
    request.set_symbol(cursor.symbol);
    request.set_offset(cursor.read);
    request.set_limit(kSliceBars);
    request.set_timeframe_seconds(cursor.timeframe_seconds);
    v1::ReadBarsResponse response;
    absl::Status status = data_.ReadBars(request, &response);
    if (!status.ok()) return status;
    cursor.series = std::move(*response.mutable_series());
    if (cursor.timeframe_seconds != 0 &&
        cursor.series.close_time_size() != cursor.series.time_size()) {
      // A data stage that does not resample would have its bars delivered
      // at the wrong steps; the run stops rather than guess.
      return StageFailure(
          absl::StatusCode::kInternal, "data", "PROTOCOL_ERROR",
          absl::StrCat("the data stage returned ", cursor.series.time_size(),
                       " bars of timeframe_seconds ", cursor.timeframe_seconds,
                       " with ", cursor.series.close_time_size(),
                       " close times; a resampled series needs one per bar"),
          {.symbol = cursor.series.symbol()});
    }
    cursor.position = 0;
    cursor.read += cursor.series.time_size();
    cursor.exhausted = response.end();
  }
  return absl::OkStatus();
}

absl::Status StepMerger::AddClosedBars(backtest::v1::TimeStep* step) {
  for (size_t i = 0; i < timeframes_.size(); ++i) {
    for (Cursor& cursor : closed_[i]) {
      for (;;) {
        absl::Status status = Refill(cursor);
        if (!status.ok()) return status;
        if (!cursor.has_bar() ||
            cursor.series.close_time(cursor.position) > step->time()) {
          break;
        }
        const int bar = cursor.position++;
        v1::ClosedBar* closed = step->add_closed_bars();
        closed->set_timeframe(timeframes_[i].name);
        closed->set_time(cursor.series.time(bar));
        closed->set_close_time(cursor.series.close_time(bar));
        CopyBar(cursor.series, bar, cursor.symbol, closed->mutable_bar());
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> StepMerger::Next(backtest::v1::TimeStep* step) {
  int64_t time = std::numeric_limits<int64_t>::max();
  for (Cursor& cursor : cursors_) {
    absl::Status status = Refill(cursor);
    if (!status.ok()) return status;
    if (cursor.has_bar()) {
      time = std::min(time, cursor.series.time(cursor.position));
    }
  }
  if (time == std::numeric_limits<int64_t>::max()) return false;
  step->Clear();
  step->set_time(time);
  step->set_index(next_index_++);
  for (Cursor& cursor : cursors_) {
    if (!cursor.has_bar() || cursor.series.time(cursor.position) != time) {
      continue;
    }
    CopyBar(cursor.series, cursor.position++, cursor.symbol, step->add_bars());
  }
  absl::Status status = AddClosedBars(step);
  if (!status.ok()) return status;
  return true;
}

}  // namespace seed::coordinator
