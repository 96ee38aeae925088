// The strategies the strategy service ships with, registered by name. Adding
// one is a Register line in builtin_strategies.cc plus its library in
// BUILD.bazel. Thread-safe: each call builds a new registry.
#ifndef SEED_SERVICES_STRATEGY_BUILTIN_STRATEGIES_H_
#define SEED_SERVICES_STRATEGY_BUILTIN_STRATEGIES_H_

#include "services/strategy/registry.h"

namespace seed::strategy {

// Aborts with a message if a builtin definition is invalid: that is a bug in
// this binary (like a duplicate symbol at link time), caught by its tests.
StrategyRegistry BuiltinStrategies();

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_BUILTIN_STRATEGIES_H_
