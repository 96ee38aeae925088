// Objectives and rankings of a sweep's runs: any scalar metric of
// backtest.v1.Metrics, read by its field name through protobuf reflection
// (so the list of valid objectives is the Metrics message itself), to be
// maximized or minimized, with a minimum number of closed trades below which
// a run is not eligible. Thread-safe: pure functions.
//
// Ranking (docs/research.md): a run is ranked when it has metrics, at least
// min_trades closed trades (Metrics.trades) and a defined objective (an unset
// optional field, e.g. the Sharpe of a run whose returns never vary, is
// undefined, never 0; so is a value that is not finite). Ranked runs are
// ordered best first by the objective (largest first when maximizing), ties
// by their key (the point's canonical text, ascending), then by input order;
// ranks are 1, 2, 3, ... with no two alike. The others are listed after, in
// input order, each with why it is not ranked.
#ifndef SEED_RESEARCH_OBJECTIVE_H_
#define SEED_RESEARCH_OBJECTIVE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "backtest/v1/run.pb.h"
#include "common/stage_error.h"

namespace seed::research {

enum class Direction { kMaximize, kMinimize };

struct Objective {
  std::string metric = "sharpe";
  Direction direction = Direction::kMaximize;
  int64_t min_trades = 0;
};

// Every valid objective: the names of Metrics' scalar number fields
// (double or integer, not repeated, not a message), in field order.
std::vector<std::string> ObjectiveMetrics();

// What is wrong with `objective`, each problem on its field, e.g.
//   {"sweep.objective", "unknown metric \"sharp\"; one of: initial_equity,
//   final_equity, ..."}, {"sweep.min_trades", "must be >= 0, got -1"}.
// Empty when it is valid.
std::vector<FieldProblem> ObjectiveProblems(const Objective& objective,
                                            absl::string_view metric_field,
                                            absl::string_view min_trades_field);

// The value of metric `name` in `metrics`; nullopt when it is an optional
// field that is unset, or not finite. INVALID_ARGUMENT, listing the valid
// names, when `name` is not one of ObjectiveMetrics().
// Example: ReadMetric(run.metrics(), "cagr")
absl::StatusOr<std::optional<double>> ReadMetric(
    const backtest::v1::Metrics& metrics, absl::string_view name);

// One run to rank.
struct Candidate {
  // Orders ties: the point's canonical text (parameter_space.h).
  std::string key;
  // Unset when the run did not succeed (or has not run).
  std::optional<backtest::v1::Metrics> metrics;
};

enum class Standing { kRanked, kNoMetrics, kTooFewTrades, kUndefined };

struct Ranked {
  size_t index = 0;             // into the candidates
  std::optional<double> value;  // the objective, when defined
  int64_t rank = 0;             // 1 = best; 0 when not ranked
  Standing standing = Standing::kRanked;
  // Why it is not ranked, for a person; empty when ranked. E.g. "3 closed
  // trades, fewer than the 10 required".
  std::string reason;
};

// Every candidate once: the ranked ones best first, then the others in input
// order (see the header comment). INVALID_ARGUMENT when the objective is not
// valid (ObjectiveProblems).
absl::StatusOr<std::vector<Ranked>> Rank(
    const Objective& objective, absl::Span<const Candidate> candidates);

}  // namespace seed::research

#endif  // SEED_RESEARCH_OBJECTIVE_H_
