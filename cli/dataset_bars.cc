#include "cli/dataset_bars.h"

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

}  // namespace seed::cli
