#include "services/execution/execution_service.h"

#include "common/unary_reactor.h"

namespace seed::execution {

using backtest::v1::ExecutionSessionRequest;
using backtest::v1::ExecutionSessionResponse;

ExecutionServiceImpl::ExecutionServiceImpl(ExecutionEngine& engine)
    : engine_(engine),
      session_protocol_("execution",
                        backtest::v1::ExecutionService::service_full_name(),
                        ExecutionSessionRequest::descriptor()) {}

grpc::ServerUnaryReactor* ExecutionServiceImpl::StartRun(
    grpc::CallbackServerContext* context,
    const backtest::v1::ExecutionStartRequest* request,
    backtest::v1::ExecutionStartResponse* response) {
  return FinishUnary(context, engine_.StartRun(*request, response));
}

grpc::ServerUnaryReactor* ExecutionServiceImpl::ExecuteSteps(
    grpc::CallbackServerContext* context,
    const backtest::v1::ExecuteStepsRequest* request,
    backtest::v1::ExecuteStepsResponse* response) {
  return FinishUnary(context, engine_.ExecuteSteps(*request, response));
}

grpc::ServerUnaryReactor* ExecutionServiceImpl::EndRun(
    grpc::CallbackServerContext* context,
    const backtest::v1::ExecutionEndRequest* request,
    backtest::v1::ExecutionEndResponse* response) {
  return FinishUnary(context, engine_.EndRun(*request, response));
}

grpc::ServerBidiReactor<ExecutionSessionRequest, ExecutionSessionResponse>*
ExecutionServiceImpl::Session(grpc::CallbackServerContext*) {
  return new SessionReactor<ExecutionSessionRequest, ExecutionSessionResponse>(
      session_protocol_,
      [this](const ExecutionSessionRequest& request,
             ExecutionSessionResponse* response) -> absl::Status {
        switch (request.call_case()) {
          case ExecutionSessionRequest::kStartRun:
            return engine_.StartRun(request.start_run(),
                                    response->mutable_start_run());
          case ExecutionSessionRequest::kExecuteSteps:
            return engine_.ExecuteSteps(request.execute_steps(),
                                        response->mutable_execute_steps());
          case ExecutionSessionRequest::kEndRun:
            return engine_.EndRun(request.end_run(),
                                  response->mutable_end_run());
          case ExecutionSessionRequest::CALL_NOT_SET:
            break;
        }
        return absl::InternalError("no call: the protocol lets none through");
      },
      [this](const SessionRun& run) {
        backtest::v1::ExecutionEndRequest end;
        end.set_run_id(run.run_id);
        backtest::v1::ExecutionEndResponse ended;
        return engine_.EndRun(end, &ended);
      });
}

}  // namespace seed::execution
