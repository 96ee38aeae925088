#include "services/execution/execution_service.h"

#include "common/grpc_status.h"

namespace seed::execution {

grpc::Status ExecutionServiceImpl::StartRun(
    grpc::ServerContext* /*context*/,
    const backtest::v1::ExecutionStartRequest* request,
    backtest::v1::ExecutionStartResponse* response) {
  return ToGrpcStatus(engine_.StartRun(*request, response));
}

grpc::Status ExecutionServiceImpl::ExecuteStep(
    grpc::ServerContext* /*context*/,
    const backtest::v1::ExecuteStepRequest* request,
    backtest::v1::ExecuteStepResponse* response) {
  return ToGrpcStatus(engine_.ExecuteStep(*request, response));
}

grpc::Status ExecutionServiceImpl::EndRun(
    grpc::ServerContext* /*context*/,
    const backtest::v1::ExecutionEndRequest* request,
    backtest::v1::ExecutionEndResponse* response) {
  return ToGrpcStatus(engine_.EndRun(*request, response));
}

}  // namespace seed::execution
