// StrategyEngine: the strategy stage as a library. It lists the registered
// strategies, starts a run (resolving its params against the strategy's
// schema), delivers each time step's fills, rejections and bars to the run's
// strategy and returns its intents, and ends the run. The coordinator calls it
// directly in embedded mode; StrategyServiceImpl exposes it over gRPC.
// Thread-safe: runs are independent; calls for one run are serialized.
#ifndef SEED_SERVICES_STRATEGY_STRATEGY_ENGINE_H_
#define SEED_SERVICES_STRATEGY_STRATEGY_ENGINE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backtest/v1/spec.pb.h"
#include "backtest/v1/strategy.pb.h"
#include "common/run_registry.h"
#include "services/strategy/registry.h"

namespace seed::strategy {

class StrategyEngine {
 public:
  // With the builtin strategies.
  StrategyEngine();
  explicit StrategyEngine(StrategyRegistry registry);
  ~StrategyEngine();

  StrategyEngine(const StrategyEngine&) = delete;
  StrategyEngine& operator=(const StrategyEngine&) = delete;

  absl::Status ListStrategies(
      const backtest::v1::ListStrategiesRequest& request,
      backtest::v1::ListStrategiesResponse* response);

  // Fails with every problem of the strategy spec at once (see
  // StrategyRegistry::Resolve), or with the strategy's start hook's error.
  absl::Status StartRun(const backtest::v1::StrategyStartRequest& request,
                        backtest::v1::StrategyStartResponse* response);

  // Fills, then rejections, each to the strategy's fill hook in order, then
  // the step to its bar hook. A hook's error comes back attributed to stage
  // "strategy" with the run id and bar time (and symbol, for a fill).
  absl::Status OnStep(const backtest::v1::StrategyStepRequest& request,
                      backtest::v1::StrategyStepResponse* response);

  // Calls the end hook and forgets the run, even when the hook fails.
  absl::Status EndRun(const backtest::v1::StrategyEndRequest& request,
                      backtest::v1::StrategyEndResponse* response);

  // Validates a strategy spec without starting anything: the spec with every
  // param default filled in, or the same errors StartRun would report. For
  // the coordinator's spec validation and run fingerprints.
  absl::StatusOr<backtest::v1::StrategySpec> ResolveSpec(
      const backtest::v1::StrategySpec& spec) const;

 private:
  // One run's strategy and symbol table; defined in strategy_engine.cc.
  class StrategyRun;

  const StrategyRegistry registry_;
  RunRegistry<StrategyRun> runs_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGY_ENGINE_H_
