// Merges every symbol's bars into the run's clock: time steps t0 < t1 < ...
// each holding the bars of the symbols that have one at that time (DESIGN.md
// section 2), and the higher-timeframe bars the strategy asked for once they
// have closed: a bar closing at c rides on the first step at or after c, so
// a strategy never sees a period before it ends ("Higher timeframes" in
// docs/semantics.md). The data stage resamples and says when each bar
// closes; this only compares times. Bars are pulled from the data stage in
// slices per symbol and timeframe, so a run holds only a slice of each at a
// time. Not thread-safe.
#ifndef SEED_SERVICES_COORDINATOR_STEP_MERGER_H_
#define SEED_SERVICES_COORDINATOR_STEP_MERGER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backtest/v1/market.pb.h"
#include "services/coordinator/stages.h"
#include "services/coordinator/timeframe.h"

namespace seed::coordinator {

class StepMerger {
 public:
  // Bars per ReadBars call: large enough that a slice costs far less than the
  // steps it feeds, small enough to bound memory per symbol.
  static constexpr int kSliceBars = 32768;

  // Each step also carries the closed bars of `timeframes`, by timeframe in
  // this order, then by symbol.
  StepMerger(DataStage& data, std::string dataset_id, int symbol_count,
             std::vector<Timeframe> timeframes = {});

  // Fills *step with the next time step; false when every symbol is done.
  absl::StatusOr<bool> Next(backtest::v1::TimeStep* step);

 private:
  // One symbol's bars in one timeframe (0: the file's own bars).
  struct Cursor {
    int symbol = 0;
    int64_t timeframe_seconds = 0;
    backtest::v1::BarSeries series;
    int position = 0;        // next bar in series
    int64_t read = 0;        // bars fetched so far
    bool exhausted = false;  // the data stage said nothing follows

    bool has_bar() const { return position < series.time_size(); }
  };

  // Makes sure the cursor has a bar at `position` unless it is done.
  absl::Status Refill(Cursor& cursor);
  // Adds to *step the bars of the higher timeframes that closed at or before
  // its time and were not delivered yet.
  absl::Status AddClosedBars(backtest::v1::TimeStep* step);

  DataStage& data_;
  std::string dataset_id_;
  std::vector<Cursor> cursors_;  // the file's bars, one per symbol
  std::vector<Timeframe> timeframes_;
  // closed_[i][symbol]: the bars of timeframes_[i].
  std::vector<std::vector<Cursor>> closed_;
  int64_t next_index_ = 0;
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_STEP_MERGER_H_
