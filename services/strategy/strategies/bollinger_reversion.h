// bollinger_reversion: mean reversion on Bollinger bands of the close, per
// symbol. Buys when the close is below the lower band while flat; closes the
// position when it is back at or above the middle band while long. The
// direction param (long | short | both) picks the sides: see SignalStrategy.
// Not thread-safe (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_BOLLINGER_REVERSION_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_BOLLINGER_REVERSION_H_

#include "services/strategy/registry.h"
#include "services/strategy/strategies/signal_strategy.h"

namespace seed::strategy {

// Params: period (int, default 20, [2, 1000]) and width (number, default 2.0,
// (0, 10]). Bands are BollingerBands(period, width): the SMA of the last
// `period` closes -/+ width population standard deviations. Enter when
// close < lower, exit when close >= middle. Warm-up: `period` bars of the
// symbol.
//
// Orders, flat/long/short, direction and rejections: see SignalStrategy.
class BollingerReversion final : public SignalStrategy {
 public:
  static StrategyDefinition Definition();

 protected:
  SignalRules MakeRules(const ResolvedParams& params) const override;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_BOLLINGER_REVERSION_H_
