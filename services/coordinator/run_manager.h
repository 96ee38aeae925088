// Runs as jobs: Submit validates a spec and starts its run on a thread of its
// own, returning the run id at once; progress can be read or waited for, and
// a run can be cancelled. A run that clients watch is cancelled when the last
// of them leaves before it ends; a run nobody watches goes on (detached).
// Finished runs' final progress stays available. Thread-safe.
#ifndef SEED_SERVICES_COORDINATOR_RUN_MANAGER_H_
#define SEED_SERVICES_COORDINATOR_RUN_MANAGER_H_

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backtest/v1/coordinator.pb.h"
#include "common/tracing.h"
#include "services/coordinator/run.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

class RunManager {
 public:
  // Every stage call of a run is traced (traced_stages.h), and a run's trace
  // the results stage cannot store yet is kept until it can
  // (trace_keeping_results.h).
  explicit RunManager(Stages stages, RunOptions options = {});
  // Cancels runs still going and waits for them to record their outcome.
  ~RunManager();

  // Parses and validates the spec (every problem at once, nothing runs when
  // there is one), then starts the run. Returns its id. The run's trace is a
  // child of `trace_parent` when valid (the submitting client's span).
  // `owner` is the principal that submits it (RunSummary.owner).
  absl::StatusOr<std::string> Submit(
      absl::string_view spec_text, absl::string_view base_dir,
      const tracing::SpanContext& trace_parent = {},
      const std::string& owner = "");

  // The principal that submitted the run (NOT_FOUND for an unknown run).
  absl::StatusOr<std::string> OwnerOf(absl::string_view run_id);

  // The spec as it would run (canonical JSON with defaults), or its problems.
  absl::StatusOr<std::string> Validate(absl::string_view spec_text,
                                       absl::string_view base_dir);

  // The latest progress once it differs from *version (start with 0), or
  // after `timeout`; *version is updated. Ended runs return at once.
  absl::StatusOr<v1::RunProgress> WaitForUpdate(absl::string_view run_id,
                                                int64_t* version,
                                                absl::Duration timeout);

  // Blocks until the run ends; its final progress.
  absl::StatusOr<v1::RunProgress> Wait(absl::string_view run_id);

  absl::StatusOr<v1::RunState> Cancel(absl::string_view run_id);

  // A client starts watching the run (NOT_FOUND for an unknown run).
  absl::Status StartWatching(absl::string_view run_id);
  // A watcher is done: it saw the run end, or `client_left` (its connection
  // dropped or it stopped reading). The last watcher leaving a run that has
  // not ended cancels it; its records so far are kept.
  void StopWatching(absl::string_view run_id, bool client_left);

  Stages& stages() { return stages_; }

 private:
  struct Job {
    std::unique_ptr<Run> run;
    v1::RunProgress progress;
    int64_t version = 1;
    bool ended = false;
    int watchers = 0;
    std::string owner;
    std::thread thread;
  };

  static std::string NewRunId();
  absl::StatusOr<Job*> FindJob(absl::string_view run_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  static bool Ended(Job* job) { return job->ended; }

  Stages stages_;
  const RunOptions options_;
  absl::Mutex mutex_;
  std::map<std::string, std::unique_ptr<Job>, std::less<>> jobs_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_RUN_MANAGER_H_
