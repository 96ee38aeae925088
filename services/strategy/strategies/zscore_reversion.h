// zscore_reversion: mean reversion on the rolling z-score of the close, per
// symbol. Buys when the close is far below its rolling mean while flat; closes
// the position once it is back at (or above) a chosen z while long. The
// direction param (long | short | both) picks the sides: see SignalStrategy.
// Not thread-safe (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_ZSCORE_REVERSION_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_ZSCORE_REVERSION_H_

#include "services/strategy/registry.h"
#include "services/strategy/strategies/signal_strategy.h"

namespace seed::strategy {

// Params: period (int, default 20, [2, 1000]), entry_z (number, default 2.0,
// (0, 10]) and exit_z (number, default 0.0, [-10, 10]). z is ZScore(period):
// (close - mean) / population sd over the last `period` closes, this one
// included. Enter when z < -entry_z, exit when z >= exit_z (0: back at the
// mean). No signal on a bar where z is undefined (a window with no spread).
// Warm-up: `period` bars of the symbol.
//
// Orders, flat/long/short, direction and rejections: see SignalStrategy.
class ZScoreReversion final : public SignalStrategy {
 public:
  static StrategyDefinition Definition();

 protected:
  SignalRules MakeRules(const ResolvedParams& params) const override;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_ZSCORE_REVERSION_H_
