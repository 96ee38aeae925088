// The gRPC face of the execution stage: translates each rpc into a call on
// ExecutionEngine and its absl::Status into a grpc::Status with details; a
// Session carries one run's calls to the same engine methods
// (common/session_reactor.h). No logic lives here. Thread-safe: the engine
// is.
#ifndef SEED_SERVICES_EXECUTION_EXECUTION_SERVICE_H_
#define SEED_SERVICES_EXECUTION_EXECUTION_SERVICE_H_

#include "backtest/v1/execution.grpc.pb.h"
#include "common/session_reactor.h"
#include "services/execution/execution_engine.h"

namespace seed::execution {

class ExecutionServiceImpl final
    : public backtest::v1::ExecutionService::CallbackService {
 public:
  explicit ExecutionServiceImpl(ExecutionEngine& engine);

  grpc::ServerUnaryReactor* StartRun(
      grpc::CallbackServerContext* context,
      const backtest::v1::ExecutionStartRequest* request,
      backtest::v1::ExecutionStartResponse* response) override;
  grpc::ServerUnaryReactor* ExecuteSteps(
      grpc::CallbackServerContext* context,
      const backtest::v1::ExecuteStepsRequest* request,
      backtest::v1::ExecuteStepsResponse* response) override;
  grpc::ServerUnaryReactor* EndRun(
      grpc::CallbackServerContext* context,
      const backtest::v1::ExecutionEndRequest* request,
      backtest::v1::ExecutionEndResponse* response) override;
  grpc::ServerBidiReactor<backtest::v1::ExecutionSessionRequest,
                          backtest::v1::ExecutionSessionResponse>*
  Session(grpc::CallbackServerContext* context) override;

 private:
  ExecutionEngine& engine_;
  const SessionProtocol session_protocol_;
};

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_EXECUTION_SERVICE_H_
