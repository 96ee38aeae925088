#include "services/execution/execution_service.h"

#include "common/unary_reactor.h"

namespace seed::execution {

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

}  // namespace seed::execution
