#include "services/coordinator/series_reader.h"

namespace seed::coordinator {
namespace {
// Bars per ReadBars call: the data stage may send fewer and says when no
// more follow, so this only bounds each message.
constexpr int kBarsPerRead = 100000;
}  // namespace

absl::Status AppendSymbolBars(DataStage& data, const std::string& dataset_id,
                              int symbol, v1::BarSeries* series) {
  v1::ReadBarsRequest request;
  request.set_dataset_id(dataset_id);
  request.set_symbol(symbol);
  request.set_limit(kBarsPerRead);
  int64_t read = 0;
  for (;;) {
    request.set_offset(read);
    v1::ReadBarsResponse response;
    const absl::Status status = data.ReadBars(request, &response);
    if (!status.ok()) return status;
    const v1::BarSeries& slice = response.series();
    series->mutable_time()->Add(slice.time().begin(), slice.time().end());
    series->mutable_open()->Add(slice.open().begin(), slice.open().end());
    series->mutable_high()->Add(slice.high().begin(), slice.high().end());
    series->mutable_low()->Add(slice.low().begin(), slice.low().end());
    series->mutable_close()->Add(slice.close().begin(), slice.close().end());
    series->mutable_volume()->Add(slice.volume().begin(), slice.volume().end());
    read += slice.time_size();
    if (response.end() || slice.time().empty()) return absl::OkStatus();
  }
}

}  // namespace seed::coordinator
