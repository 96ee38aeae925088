// Reads which strategies a stored run ran from its canonical spec (the
// BacktestSpec as JSON that BeginRunRequest carries): the results stage's
// one way to know a run of several strategies, their ids, names and
// allocations, for metrics and exports. Thread-safe: a pure function.
#ifndef SEED_SERVICES_RESULTS_SPEC_STRATEGIES_H_
#define SEED_SERVICES_RESULTS_SPEC_STRATEGIES_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/spec.pb.h"

namespace seed::results {

// The spec's `strategies` (a run of several), by strategy index, each with
// its id (an empty id is its name, spec.proto's default); empty for a run of
// one strategy and for an empty text. Fields this build does not know
// (a spec from a newer coordinator) are ignored. INVALID_ARGUMENT, saying
// why, when the text is not a BacktestSpec in JSON. Example:
//   SpecStrategies(R"({"strategies": [{"id": "fast", "allocation": 0.5}]})")
absl::StatusOr<std::vector<backtest::v1::StrategySpec>> SpecStrategies(
    absl::string_view canonical_spec);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_SPEC_STRATEGIES_H_
