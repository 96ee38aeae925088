#include "research/objective.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace seed::research {
namespace {

using ::backtest::v1::Metrics;
using ::google::protobuf::FieldDescriptor;

// The Metrics field called `name` when it is a valid objective.
const FieldDescriptor* MetricField(absl::string_view name) {
  const FieldDescriptor* field =
      Metrics::descriptor()->FindFieldByName(std::string(name));
  if (field == nullptr || field->is_repeated()) return nullptr;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return field;
    default:
      return nullptr;
  }
}

std::string UnknownMetric(absl::string_view name) {
  return absl::StrCat("unknown metric \"", name,
                      "\"; one of: ", absl::StrJoin(ObjectiveMetrics(), ", "));
}

}  // namespace

std::vector<std::string> ObjectiveMetrics() {
  std::vector<std::string> names;
  const auto* descriptor = Metrics::descriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    if (MetricField(descriptor->field(i)->name()) != nullptr) {
      names.push_back(descriptor->field(i)->name());
    }
  }
  return names;
}

std::vector<FieldProblem> ObjectiveProblems(
    const Objective& objective, absl::string_view metric_field,
    absl::string_view min_trades_field) {
  std::vector<FieldProblem> problems;
  if (MetricField(objective.metric) == nullptr) {
    problems.push_back(
        {std::string(metric_field), UnknownMetric(objective.metric)});
  }
  if (objective.min_trades < 0) {
    problems.push_back(
        {std::string(min_trades_field),
         absl::StrCat("must be >= 0, got ", objective.min_trades)});
  }
  return problems;
}

absl::StatusOr<std::optional<double>> ReadMetric(const Metrics& metrics,
                                                 absl::string_view name) {
  const FieldDescriptor* field = MetricField(name);
  if (field == nullptr) return absl::InvalidArgumentError(UnknownMetric(name));
  const auto* reflection = metrics.GetReflection();
  if (field->has_presence() && !reflection->HasField(metrics, field)) {
    return std::nullopt;
  }
  double value = 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_DOUBLE:
      value = reflection->GetDouble(metrics, field);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      value = reflection->GetFloat(metrics, field);
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      value = reflection->GetInt32(metrics, field);
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      value = static_cast<double>(reflection->GetInt64(metrics, field));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      value = reflection->GetUInt32(metrics, field);
      break;
    default:
      value = static_cast<double>(reflection->GetUInt64(metrics, field));
      break;
  }
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

absl::StatusOr<std::vector<Ranked>> Rank(
    const Objective& objective, absl::Span<const Candidate> candidates) {
  const std::vector<FieldProblem> problems =
      ObjectiveProblems(objective, "objective", "min_trades");
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        problems.front().field, ": ", problems.front().description));
  }
  std::vector<Ranked> ranked;
  std::vector<Ranked> unranked;
  for (size_t i = 0; i < candidates.size(); ++i) {
    Ranked entry;
    entry.index = i;
    const Candidate& candidate = candidates[i];
    if (!candidate.metrics.has_value()) {
      entry.standing = Standing::kNoMetrics;
      entry.reason = "no metrics: the run did not succeed";
      unranked.push_back(std::move(entry));
      continue;
    }
    entry.value = *ReadMetric(*candidate.metrics, objective.metric);
    const int64_t trades = candidate.metrics->trades();
    if (trades < objective.min_trades) {
      entry.standing = Standing::kTooFewTrades;
      entry.reason = absl::StrCat(trades, " closed trades, fewer than the ",
                                  objective.min_trades, " required");
    } else if (!entry.value.has_value()) {
      entry.standing = Standing::kUndefined;
      entry.reason = absl::StrCat(objective.metric,
                                  " is undefined for this run (docs/metrics.md "
                                  "says when)");
    }
    (entry.standing == Standing::kRanked ? ranked : unranked)
        .push_back(std::move(entry));
  }
  const bool maximize = objective.direction == Direction::kMaximize;
  std::sort(ranked.begin(), ranked.end(),
            [&](const Ranked& a, const Ranked& b) {
              if (*a.value != *b.value) {
                return maximize ? *a.value > *b.value : *a.value < *b.value;
              }
              return std::tie(candidates[a.index].key, a.index) <
                     std::tie(candidates[b.index].key, b.index);
            });
  for (size_t i = 0; i < ranked.size(); ++i) ranked[i].rank = i + 1;
  ranked.insert(ranked.end(), std::make_move_iterator(unranked.begin()),
                std::make_move_iterator(unranked.end()));
  return ranked;
}

}  // namespace seed::research
