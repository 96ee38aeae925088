// RunStore: leases (run_store.h): locking a run for a write and renewing its
// lease, and runs that read as ABANDONED once their lease ran out.
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "common/run_state.h"
#include "common/stage_error.h"
#include "services/results/run_store.h"
#include "services/results/run_store_internal.h"

namespace seed::results {
namespace {

using ::backtest::v1::RunState;
using internal::kStage;

// Locks the run's row until the transaction ends (see LockUnfinished).
constexpr char kLockRun[] =
    "SELECT state, lease_seconds, lease_expires FROM runs "
    "WHERE run_id = ?1{FOR_UPDATE}";
constexpr char kRenewLease[] =
    "UPDATE runs SET lease_expires = ?2 WHERE run_id = ?1";
// Only while the lease is still out: nothing renews a lease that ran out,
// so this cannot undo a renewal made since the run was read.
constexpr char kStoreAbandoned[] =
    "UPDATE runs SET state = 6, finished_at = ?2, error = ?3 "
    "WHERE run_id = ?1 AND state IN (1, 2) AND lease_expires <= ?4";

std::string LeaseEnd(int64_t lease_expires) {
  return IsoUtc(absl::FromUnixSeconds(lease_expires));
}

}  // namespace

namespace internal {

bool LeaseRanOut(RunState state, int64_t lease_expires, int64_t now) {
  return (state == backtest::v1::QUEUED || state == backtest::v1::RUNNING) &&
         lease_expires <= now;
}

backtest::v1::StageError AbandonedError(int64_t lease_expires,
                                        int64_t steps_done,
                                        const std::string& step_time) {
  std::string progress = "before its first step";
  if (steps_done > 0 || !step_time.empty()) {
    progress =
        absl::StrCat("after ", steps_done, " step", steps_done == 1 ? "" : "s");
    if (!step_time.empty())
      absl::StrAppend(&progress, ", the last at ", step_time);
  }
  return ToStageError(
      StageFailure(
          absl::StatusCode::kAborted, "coordinator", "ABANDONED",
          absl::StrCat("the coordinator running it went away: its lease on "
                       "the run ran out at ",
                       LeaseEnd(lease_expires), ", ", progress),
          {.hint = "the records stored up to then are kept; run the spec "
                   "again (a research job's child: resume the job)"}),
      "coordinator");
}

}  // namespace internal

absl::StatusOr<RunStore::LockedRun> RunStore::LockUnfinished(
    const std::string& run_id, absl::string_view what) {
  absl::StatusOr<Statement> statement = Prepare(kLockRun, what, run_id);
  if (!statement.ok()) return statement.status();
  (*statement)->BindText(1, run_id);
  absl::StatusOr<bool> row = (*statement)->Step();
  if (!row.ok()) return Failure(row.status(), what, run_id);
  if (!*row) return UnknownRun(run_id);
  LockedRun run{.state = static_cast<RunState>((*statement)->Int(0)),
                .lease_seconds = (*statement)->Int(1)};
  const int64_t lease_expires = (*statement)->Int(2);
  if (run.state == backtest::v1::ABANDONED ||
      internal::LeaseRanOut(run.state, lease_expires, Now())) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "RUN_ABANDONED",
        absl::StrCat("cannot ", what, ": run ", run_id, " in ", path(),
                     " was abandoned: its lease ran out at ",
                     LeaseEnd(lease_expires),
                     " with no AppendRecords or UpdateRun to renew it"),
        {.run_id = run_id,
         .hint = "the run was given up and its records are final; renew the "
                 "lease more often than lease_seconds, and start a new run "
                 "to record more"});
  }
  if (IsFinalRunState(run.state)) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "RUN_ALREADY_FINISHED",
        absl::StrCat("cannot ", what, ": run ", run_id, " in ", path(),
                     " already ended as ", RunState_Name(run.state),
                     "; its records are final"),
        {.run_id = run_id, .hint = "start a new run to record more"});
  }
  return run;
}

absl::Status RunStore::WriteToRun(
    const std::string& run_id, absl::string_view what, bool renew,
    const std::function<absl::Status(const LockedRun&)>& body) {
  const absl::Status status =
      InTransaction(what, run_id, [&]() -> absl::Status {
        absl::StatusOr<LockedRun> run = LockUnfinished(run_id, what);
        if (!run.ok()) return run.status();
        if (renew) {
          absl::StatusOr<Statement> update = Prepare(kRenewLease, what, run_id);
          if (!update.ok()) return update.status();
          (*update)->BindText(1, run_id);
          (*update)->BindInt(2, Now() + run->lease_seconds);
          if (absl::Status renewed = (*update)->Execute(); !renewed.ok()) {
            return Failure(renewed, what, run_id);
          }
        }
        return body(*run);
      });
  // Reading the run stores that it was abandoned, if no read did yet.
  if (ToStageError(status, kStage).reason() == "RUN_ABANDONED") {
    ReadRun(run_id).IgnoreError();  // the write's failure says what matters
  }
  return status;
}

void RunStore::NoteAbandoned(StoredRun& run, int64_t now,
                             std::vector<Abandoned>* found) const {
  backtest::v1::RunSummary& summary = run.summary;
  if (!internal::LeaseRanOut(summary.state(), run.lease_expires, now)) return;
  summary.set_state(backtest::v1::ABANDONED);
  summary.set_finished_at(LeaseEnd(run.lease_expires));
  *summary.mutable_error() = internal::AbandonedError(
      run.lease_expires, run.steps_done, run.step_time);
  if (found != nullptr) {
    found->push_back({.run_id = summary.run_id(),
                      .finished_at = summary.finished_at(),
                      .error = summary.error()});
  }
}

void RunStore::StoreAbandoned(std::vector<Abandoned> found) {
  // Inside another transaction (which may yet roll back) the next read
  // stores them.
  if (found.empty() || mode_ == OpenMode::kReadOnly || db_->InTransaction()) {
    return;
  }
  // In one order for every connection, so that two storing the same runs
  // wait for each other rather than deadlock.
  std::sort(found.begin(), found.end(),
            [](const Abandoned& a, const Abandoned& b) {
              return a.run_id < b.run_id;
            });
  const std::string what = "store that runs were abandoned";
  const int64_t now = Now();
  const absl::Status status = InTransaction(what, "", [&]() -> absl::Status {
    absl::StatusOr<Statement> update = Prepare(kStoreAbandoned, what, "");
    if (!update.ok()) return update.status();
    for (const Abandoned& run : found) {
      (*update)->BindText(1, run.run_id);
      (*update)->BindText(2, run.finished_at);
      (*update)->BindBlob(3, run.error.SerializeAsString());
      (*update)->BindInt(4, now);
      if (absl::Status stored = (*update)->Execute(); !stored.ok()) {
        return Failure(stored, what, run.run_id);
      }
      (*update)->Reset();
    }
    return absl::OkStatus();
  });
  if (status.ok()) return;
  for (const Abandoned& run : found) {
    LogEvent(LogLevel::kWarning,
             absl::StrCat("run ", run.run_id,
                          " reads as ABANDONED, but storing so failed (the "
                          "next read tries again): ",
                          status.message()),
             {.run_id = run.run_id});
  }
}

}  // namespace seed::results
