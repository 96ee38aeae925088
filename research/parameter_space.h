// ParameterSpace: the points of a parameter sweep over one strategy's
// parameter schema, as a grid (the cartesian product of each axis's values)
// or as seeded random samples, keeping only the points that meet the sweep's
// constraints. Everything a user wrote is checked against the schema once,
// in Create, and every problem is reported at once. Thread-safe: immutable
// after Create.
//
// Definitions (docs/research.md):
// - A range {from, to, step} holds from + i * step for i = 0, 1, ... while
//   that is at most `to` plus 1e-9 * max(1, |to|): each value is computed
//   from i (never by adding step repeatedly, which drifts), and a value within
//   that tolerance of `to` is `to` exactly. So {0.1, 0.3, 0.1} is 0.1, 0.2,
//   0.30000000000000004 -> 0.3.
// - Grid: the cartesian product of the axes in their order, the last axis
//   varying fastest; axis values in the order written (a range ascending).
// - Random: `samples` distinct points (never a repeat), uniform over the
//   points that meet the constraints, drawn from std::mt19937_64 seeded with
//   `seed` (common/seeded_random.h). When every axis is discrete (a list, a
//   stepped range, an int range) the space is finite, and asking for more
//   samples than it holds is an error. A finite space of at most
//   kMaxSweepPoints points is listed in grid order, constraints applied, and
//   `samples` of them are picked by a partial Fisher-Yates shuffle (draw j
//   swaps position j with a position uniform in [j, count)); the result is
//   in the order picked. Any other space is drawn point by point, each axis
//   in axis order: a list or stepped range takes its value k with k uniform
//   over its values; an int range without a step, an integer uniform in
//   [ceil(from), floor(to)]; a number range without a step, from + u *
//   (to - from) with u uniform in [0, 1). A point that breaks a constraint or
//   repeats an earlier one is drawn again, at most kDrawsPerSample times per
//   point asked for in all.
// - Constraints (research/constraint.h) see every declared parameter: the
//   swept ones take the point's value, the others the spec's fixed value
//   (strategy.params) or else the schema's default.
#ifndef SEED_RESEARCH_PARAMETER_SPACE_H_
#define SEED_RESEARCH_PARAMETER_SPACE_H_

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/spec.pb.h"
#include "backtest/v1/strategy.pb.h"
#include "research/constraint.h"
#include "research/point_text.h"
#include "services/strategy/param_schema.h"

namespace seed::research {

// The stage and reason of Create's InvalidFields (common/stage_error.h):
// sweeps are checked by the coordinator before any child runs.
inline constexpr absl::string_view kSweepStage = "coordinator";
inline constexpr absl::string_view kInvalidSweep = "INVALID_SWEEP";
// Most points one sweep may have: each is a child run, and a grid is
// materialized as a list of points (about 200 bytes each for two axes).
inline constexpr int64_t kMaxSweepPoints = 100'000;
// How many draws random sampling may spend per point asked for before it
// gives up: a constraint that leaves 1% of the space still succeeds (the
// expected cost is 100 draws a point), one that leaves nearly nothing fails
// with a message instead of looping.
inline constexpr int64_t kDrawsPerSample = 1'000;


// from, from + step, ..., to (inclusive; see the header comment). In a
// random sweep a step of 0 means every integer (int parameter) or every
// number (number parameter) between from and to.
struct ValueRange {
  double from = 0;
  double to = 0;
  double step = 0;
};

struct Axis {
  std::string param;
  std::variant<std::vector<backtest::v1::ParamValue>, ValueRange> values;
};

enum class SweepMode { kGrid, kRandom };

struct SweepSpec {
  SweepMode mode = SweepMode::kGrid;
  std::vector<Axis> axes;
  std::vector<std::string> constraints;
  // The strategy.params the spec gives (not swept).
  strategy::ParamValues fixed;
  // Random sweeps: how many points, and the seed of their draws.
  int64_t samples = 0;
  uint64_t seed = 0;
  // Where the sweep was written, for problems: axis "fast" is
  // "<field>.grid.fast" (or "<field>.random.fast"), its third value
  // "<field>.grid.fast[2]", a range's step "<field>.grid.fast.step",
  // constraint i "<field>.constraints[i]", the sample count
  // "<field>.samples". Fixed params are "strategy.params.<name>".
  std::string field = "sweep";
};

// An axis with its values listed (a range expanded).
struct AxisValues {
  std::string param;
  std::vector<backtest::v1::ParamValue> values;
};

struct SweepPoints {
  // Grid order, or the order drawn.
  std::vector<Point> points;
  // How many points of the listed space the constraints excluded (a grid, or
  // a small random space), or how many draws were discarded (constraint
  // broken or a repeat).
  int64_t excluded = 0;
};

class ParameterSpace {
 public:
  // The space of `spec` over `schemas`, or InvalidFields(kSweepStage,
  // kInvalidSweep, ...) listing every problem, e.g.
  //   sweep.grid.fast[2]: must be an integer in [1, 1000], got 0.5
  //   sweep.grid.fats: unknown parameter; known parameters: fast, slow
  //   sweep.constraints[0]: constraint "fast < < slow", column 8: ...
  //   sweep.samples: 500 samples asked, but the space holds 90 points
  // Checks: each axis names a declared parameter, once, not also fixed; a
  // list has values, distinct, each of the parameter's type and within its
  // min/max/choices; a range is over an int or number parameter with finite
  // from <= to, a step > 0 (>= 0 in a random sweep; whole for an int), and
  // its first and last values within min/max; constraints parse and type
  // check against the schema; fixed params resolve (param_schema.h); a grid
  // has at most kMaxSweepPoints points, a random sweep asks for 1 to
  // kMaxSweepPoints samples and, when its space is finite, no more than it
  // holds. `schemas` must be a valid schema (ValidateSchema).
  static absl::StatusOr<ParameterSpace> Create(
      const strategy::ParamSchemas& schemas, const SweepSpec& spec);

  // The sweep's points (see the header comment for their order). Fails with
  // InvalidFields on "<field>.constraints" when the constraints exclude every
  // grid point, or leave fewer than `samples` points of a random space.
  absl::StatusOr<SweepPoints> Points() const;

  // Whether `point` (swept values; the others as the header comment says)
  // meets every constraint.
  absl::StatusOr<bool> Satisfies(const Point& point) const;

  // Grid sweeps: each axis with its values, in axis order.
  const std::vector<AxisValues>& axes() const { return axes_; }

  // The number of points the space holds before constraints: the grid's
  // size, or a random space's when finite (every axis a list or stepped
  // range, or an int range); 0 for an infinite space.
  int64_t size() const { return size_; }

 private:
  // One axis as drawn: listed values, an arithmetic sequence (a range with a
  // step, or an int range) or a continuous interval [from, to).
  struct Dimension {
    std::string param;
    std::vector<backtest::v1::ParamValue> list;
    bool sequence = false;
    bool continuous = false;
    double from = 0;
    double to = 0;
    double step = 0;
    // Values of the list or sequence; 0 when continuous.
    int64_t count = 0;

    // Value k of a list or sequence, k in [0, count).
    backtest::v1::ParamValue At(int64_t k) const;
  };

  ParameterSpace() = default;

  // The grid of every dimension (all discrete) in order, constraints applied.
  absl::StatusOr<SweepPoints> Enumerate() const;
  absl::StatusOr<SweepPoints> Sample() const;
  absl::Status Excluding(absl::string_view message) const;

  SweepSpec spec_;
  std::vector<Dimension> dimensions_;  // in axis order
  std::vector<AxisValues> axes_;       // grid sweeps
  std::vector<Constraint> constraints_;
  // Every declared parameter's value when not swept: fixed or default.
  Point base_;
  int64_t size_ = 0;
};

}  // namespace seed::research

#endif  // SEED_RESEARCH_PARAMETER_SPACE_H_
