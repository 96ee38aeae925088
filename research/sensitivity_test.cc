#include "research/sensitivity.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "research/parameter_space.h"
#include "services/strategy/param_schema.h"

namespace seed::research {
namespace {

using ::backtest::v1::ParamValue;
using ::seed::strategy::NumberValue;
using ::seed::strategy::TextValue;

// A 3 x 3 grid over fast (listed out of order) and slow, and each point's
// objective by (fast, slow); a missing entry is a point without one.
struct Fixture {
  std::vector<AxisValues> axes;
  std::vector<ScoredPoint> points;
  size_t optimum = 0;
};

Fixture Grid(const std::map<std::pair<int, int>, double>& objectives,
             std::pair<int, int> optimum) {
  strategy::ParamSchemas schemas;
  *schemas.Add() = strategy::IntParam("fast", 10, 1, 100, "");
  *schemas.Add() = strategy::IntParam("slow", 30, 1, 100, "");
  SweepSpec spec;
  spec.axes = {{"fast", std::vector<ParamValue>{NumberValue(20), NumberValue(5),
                                                NumberValue(10)}},
               {"slow", ValueRange{30, 70, 20}}};
  absl::StatusOr<ParameterSpace> space = ParameterSpace::Create(schemas, spec);
  EXPECT_TRUE(space.ok()) << space.status();
  Fixture fixture;
  fixture.axes = space->axes();
  const absl::StatusOr<SweepPoints> points = space->Points();
  EXPECT_TRUE(points.ok()) << points.status();
  for (const Point& point : points->points) {
    const std::pair<int, int> key(point.at("fast").number(),
                                  point.at("slow").number());
    if (key == optimum) fixture.optimum = fixture.points.size();
    const auto it = objectives.find(key);
    fixture.points.push_back({point, it == objectives.end()
                                         ? std::nullopt
                                         : std::optional<double>(it->second)});
  }
  return fixture;
}

TEST(SensitivityTest, OneStepEitherWayOnEachAxis) {
  const Fixture grid = Grid({{{5, 30}, 0.5},
                             {{5, 50}, 1.5},
                             {{5, 70}, 0.2},
                             {{10, 30}, 1.0},
                             {{10, 50}, 2.0},
                             {{10, 70}, 2.5},
                             {{20, 30}, 0.1},
                             {{20, 50}, 1.2},
                             {{20, 70}, 0.3}},
                            {10, 50});
  absl::StatusOr<std::vector<AxisSensitivity>> view =
      Sensitivity(grid.axes, grid.points, grid.optimum);
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_EQ(view->size(), 2u);

  // fast is ordered 5, 10, 20 although listed 20, 5, 10.
  const AxisSensitivity& fast = (*view)[0];
  EXPECT_EQ(fast.param, "fast");
  EXPECT_EQ(fast.value.number(), 10);
  ASSERT_TRUE(fast.below.has_value());
  EXPECT_EQ(fast.below->value.number(), 5);
  EXPECT_EQ(*fast.below->objective, 1.5);
  EXPECT_DOUBLE_EQ(*fast.below->change, (1.5 - 2.0) / 2.0);
  ASSERT_TRUE(fast.above.has_value());
  EXPECT_EQ(fast.above->value.number(), 20);
  EXPECT_DOUBLE_EQ(*fast.above->change, (1.2 - 2.0) / 2.0);

  const AxisSensitivity& slow = (*view)[1];
  EXPECT_EQ(slow.below->value.number(), 30);
  EXPECT_DOUBLE_EQ(*slow.below->change, -0.5);
  EXPECT_EQ(slow.above->value.number(), 70);
  EXPECT_DOUBLE_EQ(*slow.above->change, 0.25);
}

TEST(SensitivityTest, EdgesMissingPointsAndZeroOptimum) {
  // The optimum sits at fast's lowest value; (5, 70) has no objective.
  Fixture grid =
      Grid({{{5, 50}, -2.0}, {{10, 50}, -3.0}, {{5, 30}, -1.0}}, {5, 50});
  absl::StatusOr<std::vector<AxisSensitivity>> view =
      Sensitivity(grid.axes, grid.points, grid.optimum);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_FALSE((*view)[0].below.has_value());
  // A negative optimum: the change is relative to its size, so a worse
  // neighbour is a negative change.
  EXPECT_DOUBLE_EQ(*(*view)[0].above->change, (-3.0 - -2.0) / 2.0);
  EXPECT_DOUBLE_EQ(*(*view)[1].below->change, 0.5);
  ASSERT_TRUE((*view)[1].above.has_value());
  EXPECT_EQ((*view)[1].above->value.number(), 70);
  EXPECT_FALSE((*view)[1].above->objective.has_value());
  EXPECT_FALSE((*view)[1].above->change.has_value());

  // A point the constraints excluded is simply absent.
  grid.points.erase(grid.points.begin());  // (20, 30)
  grid.optimum = 0;                        // now (20, 50), no objective
  EXPECT_EQ(Sensitivity(grid.axes, grid.points, grid.optimum).status().code(),
            absl::StatusCode::kInvalidArgument);

  const Fixture zero = Grid({{{10, 50}, 0.0}, {{20, 50}, 1.0}}, {10, 50});
  view = Sensitivity(zero.axes, zero.points, zero.optimum);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(*(*view)[0].above->objective, 1.0);
  EXPECT_FALSE((*view)[0].above->change.has_value());
}

TEST(SensitivityTest, TextAxesKeepTheirListedOrder) {
  const std::vector<AxisValues> axes = {
      {"mode", {TextValue("short"), TextValue("long"), TextValue("both")}}};
  const std::vector<ScoredPoint> points = {
      {{{"mode", TextValue("short")}}, 1.0},
      {{{"mode", TextValue("long")}}, 4.0},
      {{{"mode", TextValue("both")}}, 3.0}};
  absl::StatusOr<std::vector<AxisSensitivity>> view =
      Sensitivity(axes, points, 1);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ((*view)[0].below->value.text(), "short");
  EXPECT_DOUBLE_EQ(*(*view)[0].below->change, -0.75);
  EXPECT_EQ((*view)[0].above->value.text(), "both");
  EXPECT_DOUBLE_EQ(*(*view)[0].above->change, -0.25);
}

TEST(SensitivityTest, RefusesInconsistentInput) {
  const std::vector<AxisValues> axes = {
      {"fast", {NumberValue(1), NumberValue(2)}}};
  const std::vector<ScoredPoint> twice = {{{{"fast", NumberValue(1)}}, 1.0},
                                          {{{"fast", NumberValue(1)}}, 2.0}};
  EXPECT_EQ(Sensitivity(axes, twice, 0).status().message(),
            "the point {\"fast\":1} appears twice");
  const std::vector<ScoredPoint> other = {{{{"slow", NumberValue(1)}}, 1.0}};
  EXPECT_EQ(Sensitivity(axes, other, 0).status().message(),
            "the optimum {\"slow\":1} has no value for axis fast");
  EXPECT_EQ(Sensitivity(axes, other, 3).status().message(),
            "the optimum's index 3 is past the 1 points");
}

}  // namespace
}  // namespace seed::research
