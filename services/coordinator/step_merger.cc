#include "services/coordinator/step_merger.h"

#include <limits>
#include <utility>

namespace seed::coordinator {

StepMerger::StepMerger(DataStage& data, std::string dataset_id,
                       int symbol_count)
    : data_(data),
      dataset_id_(std::move(dataset_id)),
      cursors_(symbol_count) {}

absl::Status StepMerger::Refill(int symbol) {
  Cursor& cursor = cursors_[symbol];
  while (!cursor.exhausted && cursor.position >= cursor.series.time_size()) {
    v1::ReadBarsRequest request;
    request.set_dataset_id(dataset_id_);
    request.set_symbol(symbol);
    request.set_offset(cursor.read);
    request.set_limit(kSliceBars);
    v1::ReadBarsResponse response;
    absl::Status status = data_.ReadBars(request, &response);
    if (!status.ok()) return status;
    cursor.series = std::move(*response.mutable_series());
    cursor.position = 0;
    cursor.read += cursor.series.time_size();
    cursor.exhausted = response.end();
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> StepMerger::Next(backtest::v1::TimeStep* step) {
  int64_t time = std::numeric_limits<int64_t>::max();
  for (int symbol = 0; symbol < static_cast<int>(cursors_.size()); ++symbol) {
    absl::Status status = Refill(symbol);
    if (!status.ok()) return status;
    const Cursor& cursor = cursors_[symbol];
    if (cursor.position < cursor.series.time_size()) {
      time = std::min(time, cursor.series.time(cursor.position));
    }
  }
  if (time == std::numeric_limits<int64_t>::max()) return false;
  step->Clear();
  step->set_time(time);
  step->set_index(next_index_++);
  for (int symbol = 0; symbol < static_cast<int>(cursors_.size()); ++symbol) {
    Cursor& cursor = cursors_[symbol];
    if (cursor.position >= cursor.series.time_size() ||
        cursor.series.time(cursor.position) != time) {
      continue;
    }
    const int i = cursor.position++;
    backtest::v1::Bar* bar = step->add_bars();
    bar->set_symbol(symbol);
    bar->set_open(cursor.series.open(i));
    bar->set_high(cursor.series.high(i));
    bar->set_low(cursor.series.low(i));
    bar->set_close(cursor.series.close(i));
    bar->set_volume(cursor.series.volume(i));
  }
  return true;
}

}  // namespace seed::coordinator
