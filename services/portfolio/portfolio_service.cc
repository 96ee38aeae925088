#include "services/portfolio/portfolio_service.h"

#include "common/grpc_status.h"

namespace seed::portfolio {

grpc::Status PortfolioServiceImpl::StartRun(
    grpc::ServerContext* /*context*/,
    const backtest::v1::PortfolioStartRequest* request,
    backtest::v1::PortfolioStartResponse* response) {
  return ToGrpcStatus(engine_.StartRun(*request, response));
}

grpc::Status PortfolioServiceImpl::ApplyStep(
    grpc::ServerContext* /*context*/,
    const backtest::v1::ApplyStepRequest* request,
    backtest::v1::ApplyStepResponse* response) {
  return ToGrpcStatus(engine_.ApplyStep(*request, response));
}

grpc::Status PortfolioServiceImpl::SizeIntents(
    grpc::ServerContext* /*context*/,
    const backtest::v1::SizeIntentsRequest* request,
    backtest::v1::SizeIntentsResponse* response) {
  return ToGrpcStatus(engine_.SizeIntents(*request, response));
}

grpc::Status PortfolioServiceImpl::EndRun(
    grpc::ServerContext* /*context*/,
    const backtest::v1::PortfolioEndRequest* request,
    backtest::v1::PortfolioEndResponse* response) {
  return ToGrpcStatus(engine_.EndRun(*request, response));
}

}  // namespace seed::portfolio
