// The execution stage's library: one Simulator per run, addressed by run_id.
// The coordinator calls it directly in embedded mode and through
// ExecutionServiceImpl in distributed mode. Thread-safe: runs proceed in
// parallel; calls for one run are serialized (see RunRegistry).
#ifndef SEED_SERVICES_EXECUTION_EXECUTION_ENGINE_H_
#define SEED_SERVICES_EXECUTION_EXECUTION_ENGINE_H_

#include "absl/status/status.h"
#include "backtest/v1/execution.pb.h"
#include "common/run_registry.h"
#include "services/execution/simulator.h"

namespace seed::execution {

class ExecutionEngine {
 public:
  ExecutionEngine();
  ~ExecutionEngine();

  // Validates the whole execution part of the spec at once (every problem
  // listed) and starts an empty order book for request.run_id.
  absl::Status StartRun(const backtest::v1::ExecutionStartRequest& request,
                        backtest::v1::ExecutionStartResponse* response);

  // See Simulator::ExecuteSteps.
  absl::Status ExecuteSteps(const backtest::v1::ExecuteStepsRequest& request,
                            backtest::v1::ExecuteStepsResponse* response);

  // Commits the run's tentative steps, returns the orders still working and
  // forgets the run.
  absl::Status EndRun(const backtest::v1::ExecutionEndRequest& request,
                      backtest::v1::ExecutionEndResponse* response);

 private:
  RunRegistry<Simulator> runs_;
};

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_EXECUTION_ENGINE_H_
