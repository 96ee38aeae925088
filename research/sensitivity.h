// Parameter sensitivity of a grid sweep: how the objective changes one step
// away from the optimum along each axis, the others held fixed. A plateau
// (small changes) suggests a robust choice, a spike an overfit one. Only
// meaningful for grids: random points have no neighbours one step away.
// Thread-safe: a pure function.
//
// Definitions (docs/research.md): for each axis, its values are ordered
// ascending when they are numbers, as listed otherwise (texts, truth values).
// "below" and "above" are the values just before and after the optimum's in
// that order (none at either edge), with the other parameters at the
// optimum's values. Their objective is the one given for that point, unset
// when the point is absent (excluded by a constraint) or has none (failed,
// or not eligible for ranking). change = (neighbour - optimum) / |optimum|,
// unset when either objective is unset or the optimum's is 0.
#ifndef SEED_RESEARCH_SENSITIVITY_H_
#define SEED_RESEARCH_SENSITIVITY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "backtest/v1/spec.pb.h"
#include "research/parameter_space.h"

namespace seed::research {

struct ScoredPoint {
  Point point;
  std::optional<double> objective;
};

struct Neighbour {
  backtest::v1::ParamValue value;
  std::optional<double> objective;
  std::optional<double> change;
};

struct AxisSensitivity {
  std::string param;
  backtest::v1::ParamValue value;  // the optimum's
  std::optional<Neighbour> below;
  std::optional<Neighbour> above;
};

// One entry per axis, in axis order. `axes` are the grid's
// (ParameterSpace::axes()), `points` the swept points with their objectives,
// `optimum` an index into `points` whose objective is set. INVALID_ARGUMENT
// when the optimum is out of range, has no objective, or lacks a value for an
// axis, or when a point appears twice.
// Example:
//   absl::StatusOr<std::vector<AxisSensitivity>> view =
//       Sensitivity(space.axes(), scored, best_index);
//   // view[0].above->change == -0.4: one step up fast, 40% less Sharpe.
absl::StatusOr<std::vector<AxisSensitivity>> Sensitivity(
    const std::vector<AxisValues>& axes, absl::Span<const ScoredPoint> points,
    size_t optimum);

}  // namespace seed::research

#endif  // SEED_RESEARCH_SENSITIVITY_H_
