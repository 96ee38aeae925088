#include "services/portfolio/portfolio_service.h"

#include "common/unary_reactor.h"

namespace seed::portfolio {

using backtest::v1::PortfolioSessionRequest;
using backtest::v1::PortfolioSessionResponse;

PortfolioServiceImpl::PortfolioServiceImpl(PortfolioEngine& engine)
    : engine_(engine),
      session_protocol_("portfolio",
                        backtest::v1::PortfolioService::service_full_name(),
                        PortfolioSessionRequest::descriptor()) {}

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

grpc::ServerBidiReactor<PortfolioSessionRequest, PortfolioSessionResponse>*
PortfolioServiceImpl::Session(grpc::CallbackServerContext*) {
  return new SessionReactor<PortfolioSessionRequest, PortfolioSessionResponse>(
      session_protocol_,
      [this](const PortfolioSessionRequest& request,
             PortfolioSessionResponse* response) -> absl::Status {
        switch (request.call_case()) {
          case PortfolioSessionRequest::kStartRun:
            return engine_.StartRun(request.start_run(),
                                    response->mutable_start_run());
          case PortfolioSessionRequest::kApplySteps:
            return engine_.ApplySteps(request.apply_steps(),
                                      response->mutable_apply_steps());
          case PortfolioSessionRequest::kSizeIntents:
            return engine_.SizeIntents(request.size_intents(),
                                       response->mutable_size_intents());
          case PortfolioSessionRequest::kEndRun:
            return engine_.EndRun(request.end_run(),
                                  response->mutable_end_run());
          case PortfolioSessionRequest::CALL_NOT_SET:
            break;
        }
        return absl::InternalError("no call: the protocol lets none through");
      },
      [this](const SessionRun& run) {
        backtest::v1::PortfolioEndRequest end;
        end.set_run_id(run.run_id);
        backtest::v1::PortfolioEndResponse ended;
        return engine_.EndRun(end, &ended);
      });
}

}  // namespace seed::portfolio
