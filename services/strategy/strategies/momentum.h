// momentum: time-series momentum, per symbol. Buys when the return over the
// last `lookback` bars exceeds +threshold while flat; closes the position when
// it falls below -threshold while long. The direction param (long | short |
// both) picks the sides: see SignalStrategy. Not thread-safe (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_MOMENTUM_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_MOMENTUM_H_

#include "services/strategy/registry.h"
#include "services/strategy/strategies/signal_strategy.h"

namespace seed::strategy {

// Params: lookback (int, default 20, [1, 1000]) and threshold (number,
// default 0.05, (0, 1]). The return is RateOfChange(lookback):
// close_t / close_{t-lookback} - 1. Enter when it is > threshold, exit when it
// is < -threshold; in between the position is kept as it is. Warm-up:
// lookback + 1 bars of the symbol.
//
// Orders, flat/long/short, direction and rejections: see SignalStrategy.
class Momentum final : public SignalStrategy {
 public:
  static StrategyDefinition Definition();

 protected:
  SignalRules MakeRules(const ResolvedParams& params) const override;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_MOMENTUM_H_
