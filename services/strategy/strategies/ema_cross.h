// ema_cross: moving-average crossover on EMAs, per symbol. Buys when the fast
// EMA of closes crosses above the slow one while flat; closes the position when
// it crosses below while long; the cross rule is sma_cross's. The direction
// param (long | short | both) picks the sides: see SignalStrategy. Not
// thread-safe (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_EMA_CROSS_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_EMA_CROSS_H_

#include "services/strategy/registry.h"
#include "services/strategy/strategies/signal_strategy.h"

namespace seed::strategy {

// Params: fast (int, default 10, [1, 1000]) and slow (int, default 30,
// [2, 5000]), with fast < slow. The EMAs are TTR's (alpha = 2 / (n + 1),
// seeded with the mean of the first n closes). Warm-up: `slow` bars for both
// EMAs, and the first bar with both is never a cross, so the earliest signal
// is at bar slow + 1 of the symbol.
//
// Crosses: see Crossover (moving_average_cross.h). Orders, flat/long/short,
// direction and rejections: see SignalStrategy.
class EmaCross final : public SignalStrategy {
 public:
  static StrategyDefinition Definition();

 protected:
  SignalRules MakeRules(const ResolvedParams& params) const override;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_EMA_CROSS_H_
