// cross_sectional_momentum: at the first step of each calendar month, ranks
// the symbols by their 12-1 month return (from `lookback` bars ago to `skip`
// bars ago, skipping the latest month's reversal) and holds the best `top_n`
// equally weighted, everything else at 0. Long only. Not thread-safe (see
// Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_CROSS_SECTIONAL_MOMENTUM_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_CROSS_SECTIONAL_MOMENTUM_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "services/strategy/registry.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

// Params: lookback (int, default 252, [2, 5000]), skip (int, default 21,
// [0, 4999], below lookback), top_n (int, default 10, [1, 1000]). A symbol's
// score at a step where it has a bar is close_{t-skip} / close_{t-lookback}
// - 1, counting its own bars (t is this bar); it needs lookback + 1 bars. A
// step is a month's first when its UTC calendar month differs from the
// previous step's (the run's first step is not one). There, the scoring
// symbols are ranked (ties: symbol order) and the best min(top_n, scoring)
// get 1/k of equity each, every other held symbol 0 (see EmitTargetWeights).
// A month's first step where nothing scores changes nothing.
class CrossSectionalMomentum final : public Strategy {
 public:
  static StrategyDefinition Definition();

  absl::Status OnStart(const StartContext& context) override;
  absl::Status OnBar(const backtest::v1::TimeStep& step,
                     const backtest::v1::PortfolioView& portfolio,
                     IntentSink& out) override;

 private:
  std::vector<std::string> symbols_;
  // Each symbol's last lookback + 1 closes, oldest first.
  std::vector<std::deque<double>> closes_;
  int64_t lookback_ = 0;
  int64_t skip_ = 0;
  int64_t top_n_ = 0;
  std::optional<absl::CivilMonth> previous_month_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_CROSS_SECTIONAL_MOMENTUM_H_
