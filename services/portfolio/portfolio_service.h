// The gRPC face of the portfolio stage: translates each rpc into a call on
// PortfolioEngine and its absl::Status into a grpc::Status with details; a
// Session carries one run's calls to the same engine methods
// (common/session_reactor.h). No logic lives here. Thread-safe: the engine
// is.
#ifndef SEED_SERVICES_PORTFOLIO_PORTFOLIO_SERVICE_H_
#define SEED_SERVICES_PORTFOLIO_PORTFOLIO_SERVICE_H_

#include "backtest/v1/portfolio.grpc.pb.h"
#include "common/session_reactor.h"
#include "services/portfolio/portfolio_engine.h"

namespace seed::portfolio {

class PortfolioServiceImpl final
    : public backtest::v1::PortfolioService::CallbackService {
 public:
  explicit PortfolioServiceImpl(PortfolioEngine& engine);

  grpc::ServerUnaryReactor* StartRun(
      grpc::CallbackServerContext* context,
      const backtest::v1::PortfolioStartRequest* request,
      backtest::v1::PortfolioStartResponse* response) override;
  grpc::ServerUnaryReactor* ApplySteps(
      grpc::CallbackServerContext* context,
      const backtest::v1::ApplyStepsRequest* request,
      backtest::v1::ApplyStepsResponse* response) override;
  grpc::ServerUnaryReactor* SizeIntents(
      grpc::CallbackServerContext* context,
      const backtest::v1::SizeIntentsRequest* request,
      backtest::v1::SizeIntentsResponse* response) override;
  grpc::ServerUnaryReactor* EndRun(
      grpc::CallbackServerContext* context,
      const backtest::v1::PortfolioEndRequest* request,
      backtest::v1::PortfolioEndResponse* response) override;
  grpc::ServerBidiReactor<backtest::v1::PortfolioSessionRequest,
                          backtest::v1::PortfolioSessionResponse>*
  Session(grpc::CallbackServerContext* context) override;

 private:
  PortfolioEngine& engine_;
  const SessionProtocol session_protocol_;
};

}  // namespace seed::portfolio

#endif  // SEED_SERVICES_PORTFOLIO_PORTFOLIO_SERVICE_H_
