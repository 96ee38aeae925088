// rsi_reversion: mean reversion on Wilder's RSI of the close, per symbol. Buys
// when the RSI is below the oversold level while flat; closes the position when
// it is above the overbought level while long. The direction param (long |
// short | both) picks the sides: see SignalStrategy. Not thread-safe (see
// Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_RSI_REVERSION_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_RSI_REVERSION_H_

#include "services/strategy/registry.h"
#include "services/strategy/strategies/signal_strategy.h"

namespace seed::strategy {

// Params: period (int, default 14, [2, 1000]), oversold (number, default 30,
// (0, 100)) and overbought (number, default 70, (0, 100)), with
// oversold < overbought. RSI is Rsi(period) (TTR's RSI, Wilder smoothing).
// Enter when RSI < oversold, exit when RSI > overbought. Warm-up: period + 1
// bars of the symbol (period moves of the close).
//
// Orders, flat/long/short, direction and rejections: see SignalStrategy.
class RsiReversion final : public SignalStrategy {
 public:
  static StrategyDefinition Definition();

 protected:
  SignalRules MakeRules(const ResolvedParams& params) const override;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_RSI_REVERSION_H_
