#include "services/strategy/strategy_service.h"

#include "common/unary_reactor.h"

namespace seed::strategy {

using backtest::v1::StrategySessionRequest;
using backtest::v1::StrategySessionResponse;

StrategyServiceImpl::StrategyServiceImpl(StrategyEngine& engine)
    : engine_(engine),
      session_protocol_("strategy",
                        backtest::v1::StrategyService::service_full_name(),
                        StrategySessionRequest::descriptor()) {}

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

grpc::ServerBidiReactor<StrategySessionRequest, StrategySessionResponse>*
StrategyServiceImpl::Session(grpc::CallbackServerContext*) {
  return new SessionReactor<StrategySessionRequest, StrategySessionResponse>(
      session_protocol_,
      [this](const StrategySessionRequest& request,
             StrategySessionResponse* response) -> absl::Status {
        switch (request.call_case()) {
          case StrategySessionRequest::kStartRun:
            return engine_.StartRun(request.start_run(),
                                    response->mutable_start_run());
          case StrategySessionRequest::kOnSteps:
            return engine_.OnSteps(request.on_steps(),
                                   response->mutable_on_steps());
          case StrategySessionRequest::kEndRun:
            return engine_.EndRun(request.end_run(),
                                  response->mutable_end_run());
          case StrategySessionRequest::CALL_NOT_SET:
            break;
        }
        return absl::InternalError("no call: the protocol lets none through");
      },
      [this](const SessionRun& run) {
        backtest::v1::StrategyEndRequest end;
        end.set_run_id(run.run_id);
        end.set_strategy_id(run.instance);
        backtest::v1::StrategyEndResponse ended;
        return engine_.EndRun(end, &ended);
      });
}

}  // namespace seed::strategy
