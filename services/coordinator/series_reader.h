// Reads whole symbols from the data stage: every bar of one symbol of an open
// dataset, slice by slice, into one column-wise series. For what needs a
// symbol at once rather than step by step (a run's benchmark, the report's
// price charts). Thread-safe if the stage is.
#ifndef SEED_SERVICES_COORDINATOR_SERIES_READER_H_
#define SEED_SERVICES_COORDINATOR_SERIES_READER_H_

#include <string>

#include "absl/status/status.h"
#include "backtest/v1/market.pb.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

// Appends the bars of `symbol` (its index in the dataset) to *series.
absl::Status AppendSymbolBars(DataStage& data, const std::string& dataset_id,
                              int symbol, v1::BarSeries* series);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_SERIES_READER_H_
