#include "services/strategy/builtin_strategies.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "services/strategy/strategies/atr_trailing_stop.h"
#include "services/strategy/strategies/bollinger_reversion.h"
#include "services/strategy/strategies/donchian_breakout.h"
#include "services/strategy/strategies/ema_cross.h"
#include "services/strategy/strategies/momentum.h"
#include "services/strategy/strategies/mtf_trend.h"
#include "services/strategy/strategies/rsi_reversion.h"
#include "services/strategy/strategies/sma_cross.h"
#include "services/strategy/strategies/trend_pullback.h"
#include "services/strategy/strategies/zscore_reversion.h"
// Cross-sectional strategies.
#include "services/strategy/strategies/beta_target.h"
#include "services/strategy/strategies/cross_sectional_momentum.h"
#include "services/strategy/strategies/sector_rotation.h"

namespace seed::strategy {
namespace {

// One entry per builtin strategy.
std::vector<StrategyDefinition> Definitions() {
  std::vector<StrategyDefinition> definitions;
  definitions.push_back(SmaCross::Definition());
  definitions.push_back(EmaCross::Definition());
  definitions.push_back(Momentum::Definition());
  definitions.push_back(ZScoreReversion::Definition());
  definitions.push_back(RsiReversion::Definition());
  definitions.push_back(BollingerReversion::Definition());
  // On intraday bars, with a higher timeframe's closed bars.
  definitions.push_back(MtfTrend::Definition());
  // Order-type strategies.
  definitions.push_back(DonchianBreakout::Definition());
  definitions.push_back(AtrTrailingStop::Definition());
  definitions.push_back(TrendPullback::Definition());
  // Cross-sectional strategies.
  definitions.push_back(SectorRotation::Definition());
  definitions.push_back(CrossSectionalMomentum::Definition());
  definitions.push_back(BetaTarget::Definition());
  return definitions;
}

}  // namespace

StrategyRegistry BuiltinStrategies() {
  StrategyRegistry registry;
  for (StrategyDefinition& definition : Definitions()) {
    const absl::Status status = registry.Register(std::move(definition));
    if (!status.ok()) {
      std::fprintf(stderr, "builtin strategy bug: %s\n",
                   std::string(status.message()).c_str());
      std::abort();
    }
  }
  return registry;
}

}  // namespace seed::strategy
