// sector_rotation: every `rebalance_bars` steps, ranks the sectors of the
// run's symbols (from the spec's data.metadata file) by the mean return of
// their symbols over the last `lookback` bars and holds the symbols of the
// best sector equally weighted, everything else at 0. Long only. Not
// thread-safe (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_SECTOR_ROTATION_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_SECTOR_ROTATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "services/strategy/indicators/rate_of_change.h"
#include "services/strategy/registry.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

// Params: lookback (int, default 63, [1, 1000]), rebalance_bars (int,
// default 21, [1, 1000]). A symbol's return is RateOfChange(lookback) of its
// own closes; it scores at a step where it has a bar and the return is
// defined. A sector's score is the mean of its scoring symbols' returns;
// sectors without one are not ranked. The first rebalance is at the first
// step where any sector scores; the next `rebalance_bars` steps later, and so
// on. A rebalance targets 1/k of equity in each of the k scoring symbols of
// the best sector (ties: the sector met first in symbol order) and 0 in every
// other held symbol (see EmitTargetWeights). Needs metadata: without it the
// run fails at start (MISSING_METADATA).
class SectorRotation final : public Strategy {
 public:
  static StrategyDefinition Definition();

  absl::Status OnStart(const StartContext& context) override;
  absl::Status OnBar(const backtest::v1::TimeStep& step,
                     const backtest::v1::PortfolioView& portfolio,
                     IntentSink& out) override;

 private:
  std::vector<std::string> symbols_;
  // Sector index of each symbol; sectors_ names them in first-seen order.
  std::vector<int> sector_of_;
  std::vector<std::string> sectors_;
  std::vector<RateOfChange> returns_;
  int64_t lookback_ = 0;
  int64_t rebalance_bars_ = 0;
  // Steps seen since the last rebalance; empty before the first.
  std::optional<int64_t> steps_since_rebalance_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_SECTOR_ROTATION_H_
