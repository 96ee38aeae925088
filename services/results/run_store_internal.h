// What the parts of RunStore (run_store*.cc) share and nothing else uses:
// the stage name its failures carry and the words they use, and the rule
// of leases. Thread-safe: constants and pure functions.
#ifndef SEED_SERVICES_RESULTS_RUN_STORE_INTERNAL_H_
#define SEED_SERVICES_RESULTS_RUN_STORE_INTERNAL_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "backtest/v1/run.pb.h"

namespace seed::results::internal {

inline constexpr absl::string_view kStage = "results";
// Stored records that cannot be decoded were written by something else.
inline constexpr absl::string_view kChangedFileHint =
    "the file was changed by something else; restore it from a copy or run "
    "the backtest again";

// Whether a run stored in `state` with a lease to `lease_expires` (UTC
// epoch seconds) is ABANDONED at `now`: QUEUED or RUNNING, and its lease ran
// out (the expiry is at or before now).
bool LeaseRanOut(backtest::v1::RunState state, int64_t lease_expires,
                 int64_t now);

// The error an ABANDONED run reads with: stage coordinator, reason
// ABANDONED, a message naming when the lease ran out and how far the run got
// (`steps_done` steps, the last at `step_time`).
backtest::v1::StageError AbandonedError(int64_t lease_expires,
                                        int64_t steps_done,
                                        const std::string& step_time);

// A run's effective state in SQL, as LeaseRanOut decides it: ABANDONED (6)
// when the row's state is QUEUED (1) or RUNNING (2) and its lease_expires is
// at or before `now` (a placeholder such as "?7"). A macro so that queries
// stay constant strings.
// clang-format off
#define SEED_EFFECTIVE_STATE(now)                                     \
  "(CASE WHEN state IN (1, 2) AND lease_expires <= " now " THEN 6 " \
  "ELSE state END)"
// clang-format on

}  // namespace seed::results::internal

#endif  // SEED_SERVICES_RESULTS_RUN_STORE_INTERNAL_H_
