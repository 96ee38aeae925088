#include "cli/job_sensitivity.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backtest/v1/spec.pb.h"
#include "cli/stored_spec.h"
#include "cli/text_output.h"
#include "google/protobuf/util/message_differencer.h"
#include "research/point_text.h"
#include "research/sensitivity.h"

namespace seed::cli {
namespace {

namespace v1 = ::backtest::v1;

bool IsGridSweep(const v1::Job& job) {
  if (job.kind() != v1::SWEEP) return false;
  absl::StatusOr<v1::BacktestSpec> spec = ParseStoredSpec(job.canonical_spec());
  return spec.ok() && !spec->sweep().grid().empty();
}

std::string Objective(const std::optional<double>& objective) {
  return objective.has_value() ? absl::StrFormat("%.4f", *objective) : "-";
}

std::string NeighbourText(const std::optional<research::Neighbour>& neighbour) {
  if (!neighbour.has_value()) return "(edge)";
  std::string text = absl::StrCat(research::DisplayText(neighbour->value), ": ",
                                  Objective(neighbour->objective));
  if (neighbour->change.has_value()) {
    absl::StrAppend(&text,
                    absl::StrFormat(" (%+.1f%%)", 100 * *neighbour->change));
  }
  return text;
}

}  // namespace

std::string FormatSensitivity(const JobView& view) {
  if (!view.complete || !IsGridSweep(view.job)) return "";
  std::vector<research::AxisValues> axes;
  for (const std::string& param : view.job.params()) {
    research::AxisValues& axis = axes.emplace_back();
    axis.param = param;
  }
  std::vector<research::ScoredPoint> points;
  std::optional<size_t> optimum;
  for (const v1::JobChild& child : view.children) {
    research::ScoredPoint& scored = points.emplace_back();
    for (research::AxisValues& axis : axes) {
      const auto found = child.params().find(axis.param);
      if (found == child.params().end()) return "";
      scored.point[axis.param] = found->second;
      bool seen = false;
      for (const v1::ParamValue& value : axis.values) {
        seen = seen || google::protobuf::util::MessageDifferencer::Equals(
                           value, found->second);
      }
      if (!seen) axis.values.push_back(found->second);
    }
    if (child.rank() > 0 && child.has_objective()) {
      scored.objective = child.objective();
      if (child.rank() == 1) optimum = points.size() - 1;
    }
  }
  if (!optimum.has_value()) return "";
  absl::StatusOr<std::vector<research::AxisSensitivity>> sensitivity =
      research::Sensitivity(axes, points, *optimum);
  if (!sensitivity.ok()) {
    return absl::StrCat("\nsensitivity: not shown (",
                        sensitivity.status().message(), ")\n");
  }
  std::vector<std::vector<std::string>> rows = {
      {"param", "optimum", "one step below", "one step above"}};
  for (const research::AxisSensitivity& axis : *sensitivity) {
    rows.push_back({axis.param,
                    absl::StrCat(research::DisplayText(axis.value), ": ",
                                 Objective(points[*optimum].objective)),
                    NeighbourText(axis.below), NeighbourText(axis.above)});
  }
  return absl::StrCat("\nsensitivity of ", view.job.objective(),
                      " one step from the optimum (the other params held):\n",
                      FormatTable(rows));
}

}  // namespace seed::cli
