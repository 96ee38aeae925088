// Runs a research job's children on this machine (docs/research.md): of the
// children the shard owns, those not already stored SUCCEEDED, each an
// ordinary run submitted to a RunManager, whose pool of workers bounds how
// many run at once. Children are idempotent: one stored SUCCEEDED is reused,
// never run again, so a re-run shard adds no duplicate and loses none; a
// child stored FAILED, CANCELLED or ABANDONED is run again under its id. A
// reused child must have been run on the same data by the same engine, else
// the job's inputs changed and the runner refuses (JOB_INPUTS_CHANGED)
// rather than mix results. Not thread-safe: one Run at a time.
#ifndef SEED_RESEARCH_JOB_RUNNER_H_
#define SEED_RESEARCH_JOB_RUNNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backtest/v1/research.pb.h"
#include "research/shard.h"
#include "research/sweep_plan.h"
#include "services/coordinator/run_manager.h"

namespace seed::research {

// How one owned child ended in this run of the shard.
struct ChildOutcome {
  int64_t index = 0;
  std::string run_id;
  backtest::v1::RunState state = backtest::v1::RUN_STATE_UNSPECIFIED;
  bool reused = false;  // stored SUCCEEDED before (by an earlier run)
  backtest::v1::StageError error;  // a failed child's
};

struct RunnerProgress {
  int64_t owned = 0;     // the shard's children
  int64_t reused = 0;    // already stored SUCCEEDED
  int64_t finished = 0;  // run now and ended (any state)
  int64_t failed = 0;    // of those, not SUCCEEDED
};

class JobRunner {
 public:
  // Runs on `runs`, whose stages also answer the data and results calls.
  // At most `in_flight` children are submitted at a time (twice the
  // workers keeps every worker busy without preparing every child at once).
  JobRunner(coordinator::RunManager& runs, int in_flight);

  // Runs the children of `job` that `shard` owns, reusing the stored ones.
  // `on_progress` is called after each child ends. Returns every owned
  // child's outcome in index order, or why the job cannot go on (its
  // inputs changed, the results stage cannot be read).
  absl::StatusOr<std::vector<ChildOutcome>> Run(
      const backtest::v1::Job& job, const std::vector<ChildPlan>& children,
      const Shard& shard,
      const std::function<void(const RunnerProgress&)>& on_progress);

 private:
  // The job's children as stored, by run id.
  absl::StatusOr<std::map<std::string, backtest::v1::RunSummary>>
  StoredChildren(const std::string& job_id);
  // The data hash a run of `spec` would store (data_identity.h), opened
  // once per distinct data spec.
  absl::StatusOr<std::string> DataHash(const backtest::v1::BacktestSpec& spec);

  coordinator::RunManager& runs_;
  const int in_flight_;
  std::map<std::string, std::string> data_hashes_;  // by DataSpec bytes
};

}  // namespace seed::research

#endif  // SEED_RESEARCH_JOB_RUNNER_H_
