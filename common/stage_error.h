// Failures that say where they happened. Every stage reports an error as an
// absl::Status whose payload is a google.rpc.ErrorInfo: reason (machine
// readable), domain (the stage) and metadata (run_id, symbol, bar_time, hint).
// The same payload crosses gRPC intact (see grpc_status.h), so embedded and
// distributed runs fail with identical errors. Thread-safe: pure functions.
#ifndef SEED_COMMON_STAGE_ERROR_H_
#define SEED_COMMON_STAGE_ERROR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/run.pb.h"

namespace seed {

// The type URL under which the ErrorInfo payload is stored, as in
// google.protobuf.Any, so it can be copied into google.rpc.Status.details.
inline constexpr absl::string_view kErrorInfoTypeUrl =
    "type.googleapis.com/google.rpc.ErrorInfo";
inline constexpr absl::string_view kBadRequestTypeUrl =
    "type.googleapis.com/google.rpc.BadRequest";

struct ErrorContext {
  std::string run_id;
  std::string symbol;
  std::string bar_time;
  std::string hint;
};

// Example:
//   return StageFailure(absl::StatusCode::kNotFound, "data", "NO_DATA_FILE",
//                       "no file for XYZ in data/prices", {.symbol = "XYZ"});
absl::Status StageFailure(absl::StatusCode code, absl::string_view stage,
                          absl::string_view reason, absl::string_view message,
                          const ErrorContext& context = {});

// Adds facts to an existing failure (keeps what is already set), e.g. the
// coordinator adds run_id and the bar time it was processing.
absl::Status WithContext(const absl::Status& status,
                         absl::string_view default_stage,
                         const ErrorContext& context);

// The failure's facts; a status without a payload gets default_stage and
// reason "UNCLASSIFIED" with its message kept.
backtest::v1::StageError ToStageError(const absl::Status& status,
                                      absl::string_view default_stage);

// A problem with one field of a request, e.g. {"strategy.params.fast",
// "must be an integer in [1, 1000], got 0"}.
struct FieldProblem {
  std::string field;
  std::string description;
};

// INVALID_ARGUMENT listing every problem (not just the first): the message has
// one "field: description" line each, and a google.rpc.BadRequest payload
// carries them for programs.
absl::Status InvalidFields(absl::string_view stage, absl::string_view reason,
                           const std::vector<FieldProblem>& problems);

// The problems InvalidFields stored; empty when there are none.
std::vector<FieldProblem> FieldProblems(const absl::Status& status);

// One line for a person: "FAILED in data at XYZ 2020-01-02: message (hint)".
std::string DescribeStageError(const backtest::v1::StageError& error);

}  // namespace seed

#endif  // SEED_COMMON_STAGE_ERROR_H_
