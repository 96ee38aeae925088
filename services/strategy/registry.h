// StrategyRegistry: strategies by name, each with its StrategyInfo (the
// parameter schema that holds its defaults) and a factory. Adding a strategy
// is one Register call in builtin_strategies.cc; nothing else changes.
// Thread-safe once built: lookups are const.
#ifndef SEED_SERVICES_STRATEGY_REGISTRY_H_
#define SEED_SERVICES_STRATEGY_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/spec.pb.h"
#include "backtest/v1/strategy.pb.h"
#include "common/stage_error.h"
#include "services/strategy/param_schema.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

struct StrategyDefinition {
  backtest::v1::StrategyInfo info;
  std::function<std::unique_ptr<Strategy>()> create;
  // Checks across parameters (e.g. fast < slow), run only once every
  // parameter is valid on its own; may be empty. Fields are named
  // "strategy.params.<name>".
  std::function<std::vector<FieldProblem>(const ResolvedParams&)> check_params;
};

// A strategy with its parameters resolved, ready to be created.
struct ResolvedStrategy {
  const StrategyDefinition* definition;
  ResolvedParams params;
};

class StrategyRegistry {
 public:
  // Fails (INTERNAL, INVALID_SCHEMA) on an empty or duplicate name, a missing
  // factory, or an unusable schema: all bugs in the strategy's definition.
  absl::Status Register(StrategyDefinition definition);

  // Unknown name: InvalidFields("strategy", "UNKNOWN_STRATEGY") on field
  // "strategy.name", listing the known names. Bad params: InvalidFields
  // ("strategy", "INVALID_PARAMS") listing every problem.
  absl::StatusOr<ResolvedStrategy> Resolve(
      const backtest::v1::StrategySpec& spec) const;

  // Sorted by name.
  std::vector<const backtest::v1::StrategyInfo*> List() const;

 private:
  std::map<std::string, StrategyDefinition, std::less<>> definitions_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_REGISTRY_H_
