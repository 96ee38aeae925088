// Runs as jobs: Submit validates a spec and queues its run, returning the run
// id at once; a bounded pool of worker threads runs the queue in order.
// Progress can be read or waited for, and a run can be cancelled; watching a
// run never changes it (only Cancel stops one). An ended run leaves memory
// soon (its records are in the results stage): the last few ended runs'
// final progress is kept, older ones are read back from results. Runs by
// state and how they ended feed the coordinator's metrics
// (coordinator_metrics.h). Thread-safe.
#ifndef SEED_SERVICES_COORDINATOR_RUN_MANAGER_H_
#define SEED_SERVICES_COORDINATOR_RUN_MANAGER_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backtest/v1/coordinator.pb.h"
#include "backtest/v1/research.pb.h"
#include "backtest/v1/spec.pb.h"
#include "common/tracing.h"
#include "services/coordinator/run.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

struct RunManagerOptions {
  // Runs executing at once; the rest wait in the queue (QUEUED). A run
  // mostly waits on its stages, so this may exceed the cores.
  int max_concurrent_runs = 64;
  // Runs waiting beyond this are refused (RESOURCE_EXHAUSTED, QUEUE_FULL).
  int max_queued_runs = 10000;
  // Ended runs whose final progress stays in memory; older ones are read
  // back from the results stage when asked for.
  int kept_ended_runs = 64;
  // A worker idle this long exits, so that a burst's threads (and the
  // stack memory they touched) do not outlive it.
  absl::Duration worker_idle_exit = absl::Milliseconds(200);
  // How long Cancel waits for the run to end before saying it is pending.
  absl::Duration cancel_wait = absl::Seconds(5);
};

// What Cancel found: the run's state, and whether the cancel is still
// pending (the run had not ended within RunManagerOptions.cancel_wait).
struct CancelOutcome {
  v1::RunState state = v1::RUN_STATE_UNSPECIFIED;
  bool pending = false;
};

// How a run is submitted besides its spec.
struct SubmitOptions {
  // The run's id; empty: a new one (common/ids.h). A research job's child
  // has the id its job gives it.
  std::string run_id;
  // A research job's child: its job, index and point (stored with the run).
  backtest::v1::JobMembership job;
  // The run's trace is a child of this span when valid (a client's).
  tracing::SpanContext trace_parent;
  // Called once the run has ended, with its final progress, on the thread
  // that ran it.
  std::function<void(const v1::RunProgress&)> on_end;
  // The principal that submits it (RunSummary.owner); empty: none.
  std::string owner;
};

class RunManager {
 public:
  // Every stage call of a run is traced (traced_stages.h), and a run's trace
  // the results stage cannot store yet is kept until it can
  // (trace_keeping_results.h).
  explicit RunManager(Stages stages, RunOptions options = {},
                      RunManagerOptions manager_options = {});
  // Cancels runs still going or queued and waits for them to record their
  // outcome.
  ~RunManager();

  // Parses and validates the spec (every problem at once, nothing runs when
  // there is one), then queues the run. Returns its id. The run's trace is a
  // child of `trace_parent` when valid (the submitting client's span), and
  // `owner` is the principal that submits it (RunSummary.owner). A spec
  // with a research block (sweep, walk_forward, factors) is refused: its
  // runs are a job's children (research/).
  absl::StatusOr<std::string> Submit(
      absl::string_view spec_text, absl::string_view base_dir,
      const tracing::SpanContext& trace_parent = {},
      const std::string& owner = "");

  // The principal that submitted the run: a run no longer in memory as
  // stored in the results stage (UNKNOWN_RUN for an unknown run).
  absl::StatusOr<std::string> OwnerOf(absl::string_view run_id);

  // Validates a parsed spec with the stages and queues its run.
  absl::StatusOr<std::string> SubmitSpec(const backtest::v1::BacktestSpec& spec,
                                         SubmitOptions options);

  // The spec as it would run (canonical JSON with defaults), or its problems.
  absl::StatusOr<std::string> Validate(absl::string_view spec_text,
                                       absl::string_view base_dir);

  // The latest progress once it differs from *version (start with 0), or
  // after `timeout`; *version is updated. Ended runs return at once (a run
  // no longer in memory: as stored in the results stage).
  absl::StatusOr<v1::RunProgress> WaitForUpdate(absl::string_view run_id,
                                                int64_t* version,
                                                absl::Duration timeout);

  // Blocks until the run ends; its final progress.
  absl::StatusOr<v1::RunProgress> Wait(absl::string_view run_id);

  // Asks the run to stop and waits up to cancel_wait for it to end. An ended
  // run is left as it is (its final state comes back).
  absl::StatusOr<CancelOutcome> Cancel(absl::string_view run_id);

  Stages& stages() { return stages_; }

 private:
  struct Job {
    std::unique_ptr<Run> run;  // released as soon as the run ends
    v1::RunProgress progress;
    int64_t version = 1;
    bool ended = false;
    std::function<void(const v1::RunProgress&)> on_end;
    std::string owner;
  };

  // A run of this coordinator, or UNKNOWN_RUN.
  absl::StatusOr<std::shared_ptr<Job>> FindJob(absl::string_view run_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // The final progress of a run this coordinator no longer holds, from the
  // results stage; UNKNOWN_RUN when it is not stored either, or when it is
  // stored as still running (another coordinator's run).
  absl::StatusOr<v1::RunProgress> StoredProgress(absl::string_view run_id);
  // A worker: runs queued jobs until the manager stops or it has been idle
  // for RunManagerOptions.worker_idle_exit.
  void Work();
  // Renews the lease of every queued and running run (with how far it got)
  // every third of RunOptions.lease, until the manager stops: a queued run
  // stores no records to renew it, and a run loading its data none yet.
  void KeepLeases();
  // Joins the workers that exited for being idle.
  void JoinIdleExitedWorkers() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void RunJob(const std::string& run_id, const std::shared_ptr<Job>& job);

  Stages stages_;
  const RunOptions options_;
  const RunManagerOptions manager_options_;
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  // Runs in memory: queued, running, and the last few ended.
  std::map<std::string, std::shared_ptr<Job>, std::less<>> jobs_
      ABSL_GUARDED_BY(mutex_);
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mutex_);
  std::deque<std::string> ended_ ABSL_GUARDED_BY(mutex_);  // oldest first
  int running_ ABSL_GUARDED_BY(mutex_) = 0;
  int idle_workers_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mutex_);
  // Workers that exited for being idle, not joined yet.
  std::vector<std::thread::id> exited_workers_ ABSL_GUARDED_BY(mutex_);
  std::thread lease_keeper_;  // last: it starts once the rest is built
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_RUN_MANAGER_H_
