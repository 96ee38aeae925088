#include "services/strategy/strategies/cross_section.h"

#include <algorithm>
#include <set>
#include <utility>

#include "services/strategy/strategies/signal_strategy.h"

namespace seed::strategy {

using ::backtest::v1::Intent;

absl::Status CheckFiniteCloses(const backtest::v1::TimeStep& step,
                               const std::vector<std::string>& symbols) {
  for (const backtest::v1::Bar& bar : step.bars()) {
    const absl::Status status =
        CheckFiniteClose(bar, symbols[bar.symbol()], step.time());
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

TargetWeights EqualWeights(const std::vector<int32_t>& chosen, double total) {
  TargetWeights weights;
  for (int32_t symbol : chosen) {
    weights[symbol] = total / static_cast<double>(chosen.size());
  }
  return weights;
}

std::vector<int32_t> RankByScore(
    std::vector<std::pair<int32_t, double>> scores) {
  std::stable_sort(scores.begin(), scores.end(),
                   [](const auto& a, const auto& b) {
                     return a.second > b.second ||
                            (a.second == b.second && a.first < b.first);
                   });
  std::vector<int32_t> ranked;
  ranked.reserve(scores.size());
  for (const auto& [symbol, score] : scores) ranked.push_back(symbol);
  return ranked;
}

void EmitTargetWeights(const TargetWeights& targets,
                       const backtest::v1::PortfolioView& portfolio,
                       absl::string_view reason, IntentSink& out) {
  auto emit = [&](int32_t symbol, double weight) {
    Intent intent;
    intent.set_symbol(symbol);
    intent.set_action(Intent::TARGET_WEIGHT);
    intent.set_type(backtest::v1::MARKET);
    intent.set_target(weight);
    intent.set_reason(std::string(reason));
    out.Emit(std::move(intent));
  };
  std::set<int32_t> to_flatten;
  for (const backtest::v1::Position& position : portfolio.positions()) {
    if (position.quantity() != 0 && targets.count(position.symbol()) == 0) {
      to_flatten.insert(position.symbol());
    }
  }
  for (int32_t symbol : to_flatten) emit(symbol, 0);
  for (const auto& [symbol, weight] : targets) emit(symbol, weight);
}

}  // namespace seed::strategy
