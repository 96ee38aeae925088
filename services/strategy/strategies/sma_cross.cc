#include "services/strategy/strategies/sma_cross.h"

#include <memory>

#include "services/strategy/indicators/sma.h"
#include "services/strategy/strategies/moving_average_cross.h"

namespace seed::strategy {

StrategyDefinition SmaCross::Definition() {
  return MovingAverageCrossDefinition(
      "sma_cross", "SMA", [] { return std::make_unique<SmaCross>(); });
}

SignalRules SmaCross::MakeRules(const ResolvedParams& params) const {
  return MovingAverageCrossRules<Sma>(params, "sma");
}

}  // namespace seed::strategy
