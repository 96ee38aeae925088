#include "services/strategy/strategy_service.h"

#include "common/grpc_status.h"

namespace seed::strategy {

grpc::Status StrategyServiceImpl::ListStrategies(
    grpc::ServerContext* context,
    const backtest::v1::ListStrategiesRequest* request,
    backtest::v1::ListStrategiesResponse* response) {
  return ToGrpcStatus(engine_.ListStrategies(*request, response));
}

grpc::Status StrategyServiceImpl::StartRun(
    grpc::ServerContext* context,
    const backtest::v1::StrategyStartRequest* request,
    backtest::v1::StrategyStartResponse* response) {
  return ToGrpcStatus(engine_.StartRun(*request, response));
}

grpc::Status StrategyServiceImpl::OnStep(
    grpc::ServerContext* context,
    const backtest::v1::StrategyStepRequest* request,
    backtest::v1::StrategyStepResponse* response) {
  return ToGrpcStatus(engine_.OnStep(*request, response));
}

grpc::Status StrategyServiceImpl::EndRun(
    grpc::ServerContext* context,
    const backtest::v1::StrategyEndRequest* request,
    backtest::v1::StrategyEndResponse* response) {
  return ToGrpcStatus(engine_.EndRun(*request, response));
}

}  // namespace seed::strategy
