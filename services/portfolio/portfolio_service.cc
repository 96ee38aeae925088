#include "services/portfolio/portfolio_service.h"

#include "common/unary_reactor.h"

namespace seed::portfolio {

grpc::ServerUnaryReactor* PortfolioServiceImpl::StartRun(
    grpc::CallbackServerContext* context,
    const backtest::v1::PortfolioStartRequest* request,
    backtest::v1::PortfolioStartResponse* response) {
  return FinishUnary(context, engine_.StartRun(*request, response));
}

grpc::ServerUnaryReactor* PortfolioServiceImpl::ApplySteps(
    grpc::CallbackServerContext* context,
    const backtest::v1::ApplyStepsRequest* request,
    backtest::v1::ApplyStepsResponse* response) {
  return FinishUnary(context, engine_.ApplySteps(*request, response));
}

grpc::ServerUnaryReactor* PortfolioServiceImpl::SizeIntents(
    grpc::CallbackServerContext* context,
    const backtest::v1::SizeIntentsRequest* request,
    backtest::v1::SizeIntentsResponse* response) {
  return FinishUnary(context, engine_.SizeIntents(*request, response));
}

grpc::ServerUnaryReactor* PortfolioServiceImpl::EndRun(
    grpc::CallbackServerContext* context,
    const backtest::v1::PortfolioEndRequest* request,
    backtest::v1::PortfolioEndResponse* response) {
  return FinishUnary(context, engine_.EndRun(*request, response));
}

}  // namespace seed::portfolio
