#include "services/strategy/builtin_strategies.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "services/strategy/strategies/sma_cross.h"

namespace seed::strategy {
namespace {

// One entry per builtin strategy.
std::vector<StrategyDefinition> Definitions() {
  std::vector<StrategyDefinition> definitions;
  definitions.push_back(SmaCross::Definition());
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
