#include "cli/dataset_bars.h"

#include <algorithm>
#include <utility>

#include "services/coordinator/data_identity.h"
#include "services/coordinator/series_reader.h"

namespace seed::cli {

namespace v1 = ::backtest::v1;

absl::StatusOr<DatasetBars> ReadDatasetBars(coordinator::DataStage& stage,
                                            const v1::DataSpec& data,
                                            const std::string& reader) {
  v1::OpenDatasetRequest open;
  open.set_run_id(reader);
  *open.mutable_data() = data;
  DatasetBars bars;
  absl::Status status = stage.OpenDataset(open, &bars.dataset);
  if (!status.ok()) return status;
  const std::string& dataset_id = bars.dataset.dataset_id();
  for (int i = 0; i < bars.dataset.symbols_size() && status.ok(); ++i) {
    v1::BarSeries& series = bars.series.emplace_back();
    series.set_symbol(bars.dataset.symbols(i).symbol());
    status = coordinator::AppendSymbolBars(stage, dataset_id, i, &series);
  }
  // Closed even when a read failed, so the data stage frees the dataset.
  v1::CloseDatasetRequest close;
  close.set_dataset_id(dataset_id);
  v1::CloseDatasetResponse closed;
  const absl::Status close_status = stage.CloseDataset(close, &closed);
  if (!status.ok()) return status;
  if (!close_status.ok()) return close_status;
  return bars;
}

absl::StatusOr<DatasetClock> ReadDatasetClock(coordinator::DataStage& stage,
                                              const v1::DataSpec& data,
                                              const std::string& reader) {
  absl::StatusOr<DatasetBars> bars = ReadDatasetBars(stage, data, reader);
  if (!bars.ok()) return bars.status();
  DatasetClock clock;
  for (const v1::BarSeries& series : bars->series) {
    clock.times.insert(clock.times.end(), series.time().begin(),
                       series.time().end());
  }
  std::sort(clock.times.begin(), clock.times.end());
  clock.times.erase(std::unique(clock.times.begin(), clock.times.end()),
                    clock.times.end());
  clock.interval_seconds =
      coordinator::IdentityOf(bars->dataset).interval_seconds;
  return clock;
}

}  // namespace seed::cli
