#include "services/results/spec_strategies.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace seed::results {

absl::StatusOr<std::vector<backtest::v1::StrategySpec>> SpecStrategies(
    absl::string_view canonical_spec) {
  if (canonical_spec.empty()) return std::vector<backtest::v1::StrategySpec>();
  backtest::v1::BacktestSpec spec;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(canonical_spec.data(),
                                    canonical_spec.size()),
      &spec, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "is not a backtest.v1.BacktestSpec in JSON (", parsed.ToString(), ")"));
  }
  std::vector<backtest::v1::StrategySpec> strategies(spec.strategies().begin(),
                                                     spec.strategies().end());
  for (backtest::v1::StrategySpec& strategy : strategies) {
    if (strategy.id().empty()) strategy.set_id(strategy.name());
  }
  return strategies;
}

}  // namespace seed::results
