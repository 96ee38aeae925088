// What the parts of RunStore (run_store*.cc) share and nothing else uses:
// the stage name its failures carry and the words they use. Thread-safe:
// constants and pure functions.
#ifndef SEED_SERVICES_RESULTS_RUN_STORE_INTERNAL_H_
#define SEED_SERVICES_RESULTS_RUN_STORE_INTERNAL_H_

#include "absl/strings/string_view.h"
#include "backtest/v1/run.pb.h"

namespace seed::results::internal {

inline constexpr absl::string_view kStage = "results";
// Stored records that cannot be decoded were written by something else.
inline constexpr absl::string_view kChangedFileHint =
    "the file was changed by something else; restore it from a copy or run "
    "the backtest again";

inline bool IsFinished(backtest::v1::RunState state) {
  return state == backtest::v1::SUCCEEDED || state == backtest::v1::FAILED ||
         state == backtest::v1::CANCELLED;
}

}  // namespace seed::results::internal

#endif  // SEED_SERVICES_RESULTS_RUN_STORE_INTERNAL_H_
