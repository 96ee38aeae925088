#include "research/sensitivity.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace seed::research {
namespace {

using ::backtest::v1::ParamValue;

bool AllNumbers(const std::vector<ParamValue>& values) {
  return std::all_of(values.begin(), values.end(), [](const ParamValue& v) {
    return v.kind_case() == ParamValue::kNumber;
  });
}

}  // namespace

absl::StatusOr<std::vector<AxisSensitivity>> Sensitivity(
    const std::vector<AxisValues>& axes, absl::Span<const ScoredPoint> points,
    size_t optimum) {
  if (optimum >= points.size()) {
    return absl::InvalidArgumentError(absl::StrCat("the optimum's index ",
                                                   optimum, " is past the ",
                                                   points.size(), " points"));
  }
  const ScoredPoint& best = points[optimum];
  if (!best.objective.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the optimum ", CanonicalText(best.point), " has no objective"));
  }
  absl::flat_hash_map<std::string, const ScoredPoint*> by_text;
  for (const ScoredPoint& scored : points) {
    const std::string text = CanonicalText(scored.point);
    if (!by_text.emplace(text, &scored).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("the point ", text, " appears twice"));
    }
  }
  const double at_best = *best.objective;
  std::vector<AxisSensitivity> view;
  for (const AxisValues& axis : axes) {
    const auto found = best.point.find(axis.param);
    if (found == best.point.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the optimum ", CanonicalText(best.point),
                       " has no value for axis ", axis.param));
    }
    std::vector<ParamValue> ordered = axis.values;
    if (AllNumbers(ordered)) {
      std::sort(ordered.begin(), ordered.end(),
                [](const ParamValue& a, const ParamValue& b) {
                  return a.number() < b.number();
                });
    }
    const std::string value_text = CanonicalText({{axis.param, found->second}});
    const auto position = std::find_if(
        ordered.begin(), ordered.end(), [&](const ParamValue& value) {
          return CanonicalText({{axis.param, value}}) == value_text;
        });
    AxisSensitivity sensitivity;
    sensitivity.param = axis.param;
    sensitivity.value = found->second;
    const auto neighbour = [&](const ParamValue& value) {
      Point point = best.point;
      point[axis.param] = value;
      Neighbour result;
      result.value = value;
      const auto it = by_text.find(CanonicalText(point));
      if (it != by_text.end()) result.objective = it->second->objective;
      if (result.objective.has_value() && at_best != 0) {
        result.change = (*result.objective - at_best) / std::abs(at_best);
      }
      return result;
    };
    if (position != ordered.end()) {
      if (position != ordered.begin()) {
        sensitivity.below = neighbour(*(position - 1));
      }
      if (position + 1 != ordered.end()) {
        sensitivity.above = neighbour(*(position + 1));
      }
    }
    view.push_back(std::move(sensitivity));
  }
  return view;
}

}  // namespace seed::research
