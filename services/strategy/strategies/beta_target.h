// beta_target: keeps the portfolio's beta to a benchmark symbol near a target
// by holding the other symbols in equal weights scaled with their rolling
// betas, rebalancing only when the beta drifts outside a band. The benchmark
// is one of the run's symbols and is never traded. Long only. Not thread-safe
// (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_BETA_TARGET_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_BETA_TARGET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "services/strategy/indicators/rolling_beta.h"
#include "services/strategy/registry.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

// Params: benchmark (string, required: one of the run's symbols), target_beta
// (number, default 0.5, [0, 3]), period (int, default 60, [2, 1000]), band
// (number, default 0.1, [0, 3]), max_exposure (number, default 1, (0, 2]).
//
// Each other symbol's beta is RollingBeta(period) over the steps where both
// it and the benchmark have a bar. At a step, the candidates are the other
// symbols with a bar and a defined beta (k of them, betas summing to B). The
// aim is k equal weights w = min(target_beta / B, max_exposure / k) (w = 0
// when B <= 0), i.e. portfolio beta w * B: the target when max_exposure
// allows it, else the nearest reachable. The portfolio's beta now is
// sum(market value / equity * beta) over its positions (a symbol without a
// defined beta counts 0). When |beta now - w * B| > band, it rebalances: w in
// each candidate, 0 in every other held symbol (see EmitTargetWeights).
class BetaTarget final : public Strategy {
 public:
  static StrategyDefinition Definition();

  // INVALID_PARAMS on strategy.params.benchmark when the benchmark is not one
  // of the run's symbols or is the only one.
  absl::Status OnStart(const StartContext& context) override;
  absl::Status OnBar(const backtest::v1::TimeStep& step,
                     const backtest::v1::PortfolioView& portfolio,
                     IntentSink& out) override;

 private:
  std::vector<std::string> symbols_;
  int32_t benchmark_ = 0;
  std::vector<RollingBeta> betas_;  // by symbol; the benchmark's is unused
  double target_beta_ = 0;
  double band_ = 0;
  double max_exposure_ = 0;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_BETA_TARGET_H_
