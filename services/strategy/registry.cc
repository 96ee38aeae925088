#include "services/strategy/registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace seed::strategy {

absl::Status StrategyRegistry::Register(StrategyDefinition definition) {
  const std::string name = definition.info.name();
  if (name.empty() || definitions_.count(name) > 0 || !definition.create) {
    return StageFailure(
        absl::StatusCode::kInternal, "strategy", "INVALID_SCHEMA",
        absl::StrCat("cannot register strategy \"", name,
                     "\": it needs a unique, non-empty name and a factory"));
  }
  const absl::Status schema = ValidateSchema(name, definition.info.params());
  if (!schema.ok()) return schema;
  definitions_.emplace(name, std::move(definition));
  return absl::OkStatus();
}

absl::StatusOr<ResolvedStrategy> StrategyRegistry::Resolve(
    const backtest::v1::StrategySpec& spec) const {
  const auto it = definitions_.find(spec.name());
  if (it == definitions_.end()) {
    std::vector<std::string> known;
    for (const auto& [name, definition] : definitions_) known.push_back(name);
    const std::string what =
        spec.name().empty()
            ? "no strategy named"
            : absl::StrCat("unknown strategy \"", spec.name(), "\"");
    return InvalidFields(
        "strategy", "UNKNOWN_STRATEGY",
        {{"strategy.name", absl::StrCat(what, "; known strategies: ",
                                        absl::StrJoin(known, ", "))}});
  }
  const StrategyDefinition& definition = it->second;
  absl::StatusOr<ResolvedParams> params =
      ResolveParams(definition.info.params(), spec.params());
  if (!params.ok()) return params.status();
  if (definition.check_params) {
    const std::vector<FieldProblem> problems = definition.check_params(*params);
    if (!problems.empty()) {
      return InvalidFields("strategy", "INVALID_PARAMS", problems);
    }
  }
  return ResolvedStrategy{&definition, *std::move(params)};
}

std::vector<const backtest::v1::StrategyInfo*> StrategyRegistry::List() const {
  std::vector<const backtest::v1::StrategyInfo*> infos;
  for (const auto& [name, definition] : definitions_) {
    infos.push_back(&definition.info);
  }
  return infos;
}

}  // namespace seed::strategy
