#include "common/stage_error.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"

namespace seed {
namespace {

using ::google::rpc::ErrorInfo;

void SetIfMissing(ErrorInfo& info, const std::string& key,
                  const std::string& value) {
  if (value.empty()) return;
  auto& metadata = *info.mutable_metadata();
  if (metadata.find(key) == metadata.end()) metadata[key] = value;
}

void AddContext(ErrorInfo& info, const ErrorContext& context) {
  SetIfMissing(info, "run_id", context.run_id);
  SetIfMissing(info, "symbol", context.symbol);
  SetIfMissing(info, "bar_time", context.bar_time);
  SetIfMissing(info, "hint", context.hint);
}

absl::Status WithErrorInfo(absl::StatusCode code, absl::string_view message,
                           const ErrorInfo& info) {
  absl::Status status(code, message);
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

bool ReadErrorInfo(const absl::Status& status, ErrorInfo* info) {
  const auto payload = status.GetPayload(kErrorInfoTypeUrl);
  return payload.has_value() && info->ParseFromString(std::string(*payload));
}

std::string Metadata(const ErrorInfo& info, const std::string& key) {
  const auto it = info.metadata().find(key);
  return it == info.metadata().end() ? "" : it->second;
}

}  // namespace

absl::Status StageFailure(absl::StatusCode code, absl::string_view stage,
                          absl::string_view reason, absl::string_view message,
                          const ErrorContext& context) {
  ErrorInfo info;
  info.set_domain(std::string(stage));
  info.set_reason(std::string(reason));
  AddContext(info, context);
  return WithErrorInfo(code, message, info);
}

absl::Status WithContext(const absl::Status& status,
                         absl::string_view default_stage,
                         const ErrorContext& context) {
  if (status.ok()) return status;
  ErrorInfo info;
  if (!ReadErrorInfo(status, &info)) {
    info.set_domain(std::string(default_stage));
    info.set_reason("UNCLASSIFIED");
  }
  AddContext(info, context);
  // Copy the status so other payloads (field problems) stay with it.
  absl::Status result = status;
  result.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return result;
}

backtest::v1::StageError ToStageError(const absl::Status& status,
                                      absl::string_view default_stage) {
  backtest::v1::StageError error;
  error.set_code(static_cast<int>(status.code()));
  error.set_message(std::string(status.message()));
  ErrorInfo info;
  if (ReadErrorInfo(status, &info)) {
    error.set_stage(info.domain());
    error.set_reason(info.reason());
    error.set_symbol(Metadata(info, "symbol"));
    error.set_bar_time(Metadata(info, "bar_time"));
    error.set_hint(Metadata(info, "hint"));
  } else {
    error.set_stage(std::string(default_stage));
    error.set_reason("UNCLASSIFIED");
  }
  return error;
}

absl::Status InvalidFields(absl::string_view stage, absl::string_view reason,
                           const std::vector<FieldProblem>& problems) {
  google::rpc::BadRequest bad_request;
  std::string message = absl::StrCat(problems.size(), " problem",
                                     problems.size() == 1 ? "" : "s", ":");
  for (const FieldProblem& problem : problems) {
    auto* violation = bad_request.add_field_violations();
    violation->set_field(problem.field);
    violation->set_description(problem.description);
    absl::StrAppend(&message, "\n  ", problem.field, ": ",
                    problem.description);
  }
  absl::Status status =
      StageFailure(absl::StatusCode::kInvalidArgument, stage, reason, message);
  status.SetPayload(kBadRequestTypeUrl,
                    absl::Cord(bad_request.SerializeAsString()));
  return status;
}

std::vector<FieldProblem> FieldProblems(const absl::Status& status) {
  std::vector<FieldProblem> problems;
  const auto payload = status.GetPayload(kBadRequestTypeUrl);
  google::rpc::BadRequest bad_request;
  if (!payload.has_value() ||
      !bad_request.ParseFromString(std::string(*payload))) {
    return problems;
  }
  for (const auto& violation : bad_request.field_violations()) {
    problems.push_back({violation.field(), violation.description()});
  }
  return problems;
}

std::string DescribeStageError(const backtest::v1::StageError& error) {
  std::string where = error.stage();
  if (!error.symbol().empty()) absl::StrAppend(&where, " at ", error.symbol());
  if (!error.bar_time().empty()) {
    absl::StrAppend(&where, error.symbol().empty() ? " at " : " ",
                    error.bar_time());
  }
  std::string line = absl::StrCat("FAILED in ", where, ": ", error.message(),
                                  " [", error.reason(), "]");
  if (!error.hint().empty()) absl::StrAppend(&line, "\n  hint: ", error.hint());
  return line;
}

}  // namespace seed
