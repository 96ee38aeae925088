// The higher timeframes a strategy asks for (StrategyStartResponse.timeframes)
// parsed into the seconds the data stage resamples by: "<n>m" and "<n>h" whose
// length divides a day (so buckets align to midnight), and "1d". Whether a
// symbol's bars can make one is the data stage's to say. Thread-safe: pure
// functions.
#ifndef SEED_SERVICES_COORDINATOR_TIMEFRAME_H_
#define SEED_SERVICES_COORDINATOR_TIMEFRAME_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/stage_error.h"
#include "google/protobuf/repeated_field.h"

namespace seed::coordinator {

struct Timeframe {
  std::string name;  // as the strategy wrote it, e.g. "4h"
  int64_t seconds = 0;
};

// "15m" -> 900, "4h" -> 14400, "1d" -> 86400. Otherwise INVALID_ARGUMENT
// whose message says what is allowed.
absl::StatusOr<int64_t> TimeframeSeconds(absl::string_view name);

// Adds the timeframes one strategy names (its StartRun response's) to
// `timeframes`, in order, leaving out those already there (a run of several
// strategies reads each timeframe once). A name TimeframeSeconds refuses adds
// a problem on field "<strategy_path>.timeframes[i]" (strategy_path: the
// strategy's place in the spec, "strategy" or "strategies[2]").
void AddTimeframes(const google::protobuf::RepeatedPtrField<std::string>& names,
                   absl::string_view strategy_path,
                   std::vector<Timeframe>& timeframes,
                   std::vector<FieldProblem>& problems);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_TIMEFRAME_H_
