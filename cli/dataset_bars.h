// Every bar of a spec's data section at once, read through the data stage
// (embedded or remote) exactly as a run would see it: for commands that study
// whole series rather than step through them (a walk-forward's clock, a
// factor study's panel). Thread-safe if the stage is.
#ifndef SEED_CLI_DATASET_BARS_H_
#define SEED_CLI_DATASET_BARS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backtest/v1/data.pb.h"
#include "backtest/v1/market.pb.h"
#include "services/coordinator/stages.h"

namespace seed::cli {

struct DatasetBars {
  backtest::v1::OpenDatasetResponse dataset;
  // One per data.symbols, in that order, each with its symbol set.
  std::vector<backtest::v1::BarSeries> series;
};

// Opens `data` as the dataset of `reader` (a name for the data stage's logs,
// e.g. "factor-study"), reads every symbol whole and closes it again; the
// data stage's error (unknown symbol, bad file, empty range) as it is.
absl::StatusOr<DatasetBars> ReadDatasetBars(coordinator::DataStage& stage,
                                            const backtest::v1::DataSpec& data,
                                            const std::string& reader);

// The clock of a run of `data`: every bar time of its symbols, sorted and
// unique, and the bars' interval in seconds (a walk-forward's windows are cut
// on it).
struct DatasetClock {
  std::vector<int64_t> times;
  int64_t interval_seconds = 0;
};
absl::StatusOr<DatasetClock> ReadDatasetClock(
    coordinator::DataStage& stage, const backtest::v1::DataSpec& data,
    const std::string& reader);

}  // namespace seed::cli

#endif  // SEED_CLI_DATASET_BARS_H_
