// Merges every symbol's bars into the run's clock: time steps t0 < t1 < ...
// each holding the bars of the symbols that have one at that time (DESIGN.md
// section 2). Bars are pulled from the data stage in slices per symbol, so a
// run holds only a slice of each symbol at a time. Not thread-safe.
#ifndef SEED_SERVICES_COORDINATOR_STEP_MERGER_H_
#define SEED_SERVICES_COORDINATOR_STEP_MERGER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backtest/v1/market.pb.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

class StepMerger {
 public:
  // Bars per ReadBars call: large enough that a slice costs far less than the
  // steps it feeds, small enough to bound memory per symbol.
  static constexpr int kSliceBars = 32768;

  StepMerger(DataStage& data, std::string dataset_id, int symbol_count);

  // Fills *step with the next time step; false when every symbol is done.
  absl::StatusOr<bool> Next(backtest::v1::TimeStep* step);

 private:
  struct Cursor {
    backtest::v1::BarSeries series;
    int position = 0;       // next bar in series
    int64_t read = 0;       // bars fetched so far
    bool exhausted = false; // the data stage said nothing follows
  };

  // Makes sure cursor has a bar at `position` unless the symbol is done.
  absl::Status Refill(int symbol);

  DataStage& data_;
  std::string dataset_id_;
  std::vector<Cursor> cursors_;
  int64_t next_index_ = 0;
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_STEP_MERGER_H_
