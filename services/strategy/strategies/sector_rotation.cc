#include "services/strategy/strategies/sector_rotation.h"

#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/stage_error.h"
#include "services/strategy/param_schema.h"
#include "services/strategy/strategies/cross_section.h"

namespace seed::strategy {

StrategyDefinition SectorRotation::Definition() {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name("sector_rotation");
  info.set_description(
      "Long only; needs data.metadata. Every rebalance_bars steps, holds the "
      "symbols of the sector whose symbols had the best mean return over "
      "the last lookback bars, equally weighted; everything else at 0.");
  *info.add_params() = IntParam("lookback", 63, 1, 1000,
                                "bars each symbol's return is measured over");
  *info.add_params() =
      IntParam("rebalance_bars", 21, 1, 1000, "steps between rebalances");
  definition.create = [] { return std::make_unique<SectorRotation>(); };
  return definition;
}

absl::Status SectorRotation::OnStart(const StartContext& context) {
  if (context.metadata.empty()) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, "strategy", "MISSING_METADATA",
        "sector_rotation groups symbols by sector, but the run has no symbol "
        "metadata",
        {.hint = "set data.metadata to a CSV with a sector per symbol (see "
                 "docs/spec.md)"});
  }
  symbols_ = context.symbols;
  lookback_ = context.params.Int("lookback");
  rebalance_bars_ = context.params.Int("rebalance_bars");
  absl::flat_hash_map<std::string, int> sector_index;
  for (const backtest::v1::SymbolMetadata& row : context.metadata) {
    const auto [it, added] =
        sector_index.emplace(row.sector(), static_cast<int>(sectors_.size()));
    if (added) sectors_.push_back(row.sector());
    sector_of_.push_back(it->second);
    returns_.emplace_back(lookback_);
  }
  return absl::OkStatus();
}

absl::Status SectorRotation::OnBar(const backtest::v1::TimeStep& step,
                                   const backtest::v1::PortfolioView& portfolio,
                                   IntentSink& out) {
  absl::Status status = CheckFiniteCloses(step, symbols_);
  if (!status.ok()) return status;
  for (const backtest::v1::Bar& bar : step.bars()) {
    returns_[bar.symbol()].Add(bar.close());
  }
  if (steps_since_rebalance_.has_value() &&
      ++*steps_since_rebalance_ < rebalance_bars_) {
    return absl::OkStatus();
  }
  // Per sector: its scoring symbols and the sum of their returns.
  std::vector<std::vector<int32_t>> members(sectors_.size());
  std::vector<double> sums(sectors_.size(), 0.0);
  for (const backtest::v1::Bar& bar : step.bars()) {
    const std::optional<double> change = returns_[bar.symbol()].value();
    if (!change.has_value()) continue;
    const int sector = sector_of_[bar.symbol()];
    members[sector].push_back(bar.symbol());
    sums[sector] += *change;
  }
  std::optional<int> best;
  double best_mean = 0;
  for (size_t sector = 0; sector < sectors_.size(); ++sector) {
    if (members[sector].empty()) continue;
    const double mean = sums[sector] / members[sector].size();
    if (!best.has_value() || mean > best_mean) {
      best = static_cast<int>(sector);
      best_mean = mean;
    }
  }
  if (!best.has_value()) return absl::OkStatus();  // Still warming up.
  steps_since_rebalance_ = 0;
  EmitTargetWeights(
      EqualWeights(members[*best], 1.0), portfolio,
      absl::StrFormat("sector %s best: mean return %+.4f over %d bars",
                      sectors_[*best], best_mean, lookback_),
      out);
  return absl::OkStatus();
}

}  // namespace seed::strategy
