#include "services/strategy/strategies/ema_cross.h"

#include <memory>

#include "services/strategy/indicators/ema.h"
#include "services/strategy/strategies/moving_average_cross.h"

namespace seed::strategy {

StrategyDefinition EmaCross::Definition() {
  return MovingAverageCrossDefinition(
      "ema_cross", "EMA", [] { return std::make_unique<EmaCross>(); });
}

SignalRules EmaCross::MakeRules(const ResolvedParams& params) const {
  return MovingAverageCrossRules<Ema>(params, "ema");
}

}  // namespace seed::strategy
