#include "services/strategy/strategy_service.h"

#include "common/unary_reactor.h"

namespace seed::strategy {

grpc::ServerUnaryReactor* StrategyServiceImpl::ListStrategies(
    grpc::CallbackServerContext* context,
    const backtest::v1::ListStrategiesRequest* request,
    backtest::v1::ListStrategiesResponse* response) {
  return FinishUnary(context, engine_.ListStrategies(*request, response));
}

grpc::ServerUnaryReactor* StrategyServiceImpl::StartRun(
    grpc::CallbackServerContext* context,
    const backtest::v1::StrategyStartRequest* request,
    backtest::v1::StrategyStartResponse* response) {
  return FinishUnary(context, engine_.StartRun(*request, response));
}

grpc::ServerUnaryReactor* StrategyServiceImpl::OnSteps(
    grpc::CallbackServerContext* context,
    const backtest::v1::StrategyStepsRequest* request,
    backtest::v1::StrategyStepsResponse* response) {
  return FinishUnary(context, engine_.OnSteps(*request, response));
}

grpc::ServerUnaryReactor* StrategyServiceImpl::EndRun(
    grpc::CallbackServerContext* context,
    const backtest::v1::StrategyEndRequest* request,
    backtest::v1::StrategyEndResponse* response) {
  return FinishUnary(context, engine_.EndRun(*request, response));
}

}  // namespace seed::strategy
