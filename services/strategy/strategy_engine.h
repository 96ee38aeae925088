// StrategyEngine: the strategy stage as a library. It lists the registered
// strategies, starts a run (resolving its params against the strategy's
// schema), walks runs of time steps through the run's strategy (fills,
// rejections, order events, symbol starts, bars) until it makes intents, and
// ends the run. The coordinator
// calls it directly in embedded mode; StrategyServiceImpl exposes it over gRPC.
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
  // The response has the resolved spec and the timeframes the strategy asks
  // for (Strategy::Timeframes).
  absl::Status StartRun(const backtest::v1::StrategyStartRequest& request,
                        backtest::v1::StrategyStartResponse* response);

  // For each step in order: the fills, rejections and order events not yet
  // delivered and dated at or before the step, merged into time order (at
  // equal times fills, then rejections, then events; each list must be in
  // time order), to the strategy's OnFill, OnRejection and OnOrderEvent; then
  // OnSymbolStart for each symbol whose first bar is in the step; then the
  // step and its view to the bar hook. Stops after the first step that made
  // intents: steps_used counts the steps that reached the bar hook, and
  // later-dated fills, rejections and events stay undelivered (the caller
  // resends them with the next steps). No state is tentative: every step
  // passed to the bar hook is final. INVALID_ARGUMENT, before any hook runs,
  // without steps, without one view per step, or with a list out of time
  // order. A hook's error comes back attributed to stage "strategy" with the
  // run id and the time of the step (or of the fill, rejection or event, with
  // its symbol; or of the symbol's first bar, with the symbol).
  absl::Status OnSteps(const backtest::v1::StrategyStepsRequest& request,
                       backtest::v1::StrategyStepsResponse* response);

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
