// The execution stage's library: one Simulator per run, addressed by run_id.
// The coordinator calls it directly in embedded mode and through
// ExecutionServiceImpl in distributed mode. Thread-safe: a mutex guards the
// map of runs, and each run has its own mutex, so runs proceed in parallel.
#ifndef SEED_SERVICES_EXECUTION_EXECUTION_ENGINE_H_
#define SEED_SERVICES_EXECUTION_EXECUTION_ENGINE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backtest/v1/execution.pb.h"

namespace seed::execution {

class ExecutionEngine {
 public:
  ExecutionEngine();
  ~ExecutionEngine();

  // Validates the whole execution part of the spec at once (every problem
  // listed) and starts an empty order book for request.run_id.
  absl::Status StartRun(const backtest::v1::ExecutionStartRequest& request,
                        backtest::v1::ExecutionStartResponse* response);

  // See Simulator::ExecuteStep.
  absl::Status ExecuteStep(const backtest::v1::ExecuteStepRequest& request,
                           backtest::v1::ExecuteStepResponse* response);

  // Returns the orders still working and forgets the run.
  absl::Status EndRun(const backtest::v1::ExecutionEndRequest& request,
                      backtest::v1::ExecutionEndResponse* response);

 private:
  struct Run;

  // The run, removed from the map when `forget` (so EndRun happens once).
  absl::StatusOr<std::shared_ptr<Run>> FindRun(const std::string& run_id,
                                               bool forget);

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Run>> runs_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_EXECUTION_ENGINE_H_
