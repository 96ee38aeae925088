// What differs between two stored runs (bt diff) and several runs' metrics
// side by side (bt compare), computed from GetRun responses so both work the
// same on the local database and on a results service. Pure functions;
// thread-safe.
#ifndef SEED_CLI_RUN_DIFF_H_
#define SEED_CLI_RUN_DIFF_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/results.pb.h"

namespace seed::cli {

namespace v1 = ::backtest::v1;

// One value that differs, printed "path: before -> after".
struct FieldChange {
  std::string path;
  std::string before;
  std::string after;

  bool operator==(const FieldChange& other) const {
    return path == other.path && before == other.before && after == other.after;
  }
};

// Every differing field of two canonical specs (backtest.v1.BacktestSpec as
// JSON; empty text is the empty spec), in the proto's field order. Map
// entries are named by key ("strategy.params.fast: 10 -> 20", "(none)" when
// one side lacks the key); a repeated field is one value ("[A, B]"); a
// message that is a single oneof (ParamValue) is the value it holds. Fails
// when either text is not such JSON.
absl::StatusOr<std::vector<FieldChange>> DiffSpecs(absl::string_view before,
                                                   absl::string_view after);

// The first position at which two runs' trade lists differ; a side without
// a trade there (a shorter list) is unset.
struct TradeDifference {
  int index = 0;  // 0-based
  std::optional<v1::Trade> before;
  std::optional<v1::Trade> after;
};

// What differs between run A (before) and run B (after). Ids, names given at
// run time, and wall-clock times are never compared.
struct RunDiff {
  std::vector<FieldChange> spec;
  // Data: by symbol list, and by content hash for symbols both runs read.
  std::vector<std::string> symbols_added;
  std::vector<std::string> symbols_removed;
  std::vector<std::string> symbols_changed;
  std::vector<FieldChange> data_range;  // first_time, last_time
  std::optional<FieldChange> engine;    // engine_version
  // Results.
  std::optional<FieldChange> state;
  bool metrics_differ = false;  // any metric, headline or not
  std::optional<TradeDifference> trade;

  bool identical() const;
};

// Both responses need their records (GetRunRequest.include_records) for the
// trades. Fails when a stored canonical spec cannot be parsed.
absl::StatusOr<RunDiff> DiffRuns(const v1::GetRunResponse& before,
                                 const v1::GetRunResponse& after);

// The diff for a person, in the order spec, data, code, results; the
// headline metrics of both runs with their difference when any metric
// differs. Runs are labelled A and B.
std::string FormatRunDiff(const RunDiff& diff, const v1::GetRunResponse& before,
                          const v1::GetRunResponse& after);

// The headline metrics plus Sortino, Calmar, expectancy and exposure, one
// column per run headed by its id and name. "-" where a run has no value.
std::string FormatComparison(const std::vector<v1::RunSummary>& runs);

}  // namespace seed::cli

#endif  // SEED_CLI_RUN_DIFF_H_
