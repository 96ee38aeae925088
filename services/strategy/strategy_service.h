// StrategyServiceImpl: the gRPC face of StrategyEngine. It only translates:
// each rpc calls the engine method of the same name and returns its status
// with the stage error details intact; a Session carries one run's (one
// strategy instance's) calls to the same engine methods
// (common/session_reactor.h). Thread-safe as the engine is.
#ifndef SEED_SERVICES_STRATEGY_STRATEGY_SERVICE_H_
#define SEED_SERVICES_STRATEGY_STRATEGY_SERVICE_H_

#include "backtest/v1/strategy.grpc.pb.h"
#include "common/session_reactor.h"
#include "services/strategy/strategy_engine.h"

namespace seed::strategy {

class StrategyServiceImpl final
    : public backtest::v1::StrategyService::CallbackService {
 public:
  explicit StrategyServiceImpl(StrategyEngine& engine);

  grpc::ServerUnaryReactor* ListStrategies(
      grpc::CallbackServerContext* context,
      const backtest::v1::ListStrategiesRequest* request,
      backtest::v1::ListStrategiesResponse* response) override;
  grpc::ServerUnaryReactor* StartRun(
      grpc::CallbackServerContext* context,
      const backtest::v1::StrategyStartRequest* request,
      backtest::v1::StrategyStartResponse* response) override;
  grpc::ServerUnaryReactor* OnSteps(
      grpc::CallbackServerContext* context,
      const backtest::v1::StrategyStepsRequest* request,
      backtest::v1::StrategyStepsResponse* response) override;
  grpc::ServerUnaryReactor* EndRun(
      grpc::CallbackServerContext* context,
      const backtest::v1::StrategyEndRequest* request,
      backtest::v1::StrategyEndResponse* response) override;
  grpc::ServerBidiReactor<backtest::v1::StrategySessionRequest,
                          backtest::v1::StrategySessionResponse>*
  Session(grpc::CallbackServerContext* context) override;

 private:
  StrategyEngine& engine_;
  const SessionProtocol session_protocol_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGY_SERVICE_H_
