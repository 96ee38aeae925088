// Shared pieces of the cross-sectional strategies (sector_rotation,
// cross_sectional_momentum, beta_target): they look at a whole step's bars at
// once and say what they want as target weights of equity (TARGET_WEIGHT
// intents), leaving shares, cash and working orders to the portfolio.
// Thread-safe: pure functions.
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_CROSS_SECTION_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_CROSS_SECTION_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/market.pb.h"
#include "backtest/v1/orders.pb.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

// Target weight (fraction of equity) by symbol index.
using TargetWeights = std::map<int32_t, double>;

// NON_FINITE_CLOSE naming the symbol and time of the first bar of `step`
// whose close is not finite; a strategy checks before using any close.
absl::Status CheckFiniteCloses(const backtest::v1::TimeStep& step,
                               const std::vector<std::string>& symbols);

// `total` split equally over `chosen` (empty when `chosen` is).
TargetWeights EqualWeights(const std::vector<int32_t>& chosen, double total);

// The symbols of `scores` (symbol index, score) ordered best (highest score)
// first; equal scores keep the order of the symbol table.
std::vector<int32_t> RankByScore(
    std::vector<std::pair<int32_t, double>> scores);

// A rebalance: MARKET TARGET_WEIGHT intents carrying `reason`, first weight 0
// for each symbol the portfolio holds (non-zero position) that is not in
// `targets`, then each of `targets`; both in symbol order, so sales come
// before purchases.
void EmitTargetWeights(const TargetWeights& targets,
                       const backtest::v1::PortfolioView& portfolio,
                       absl::string_view reason, IntentSink& out);

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_CROSS_SECTION_H_
