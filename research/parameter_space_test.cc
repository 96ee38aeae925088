#include "research/parameter_space.h"

#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/seeded_random.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "services/strategy/param_schema.h"

namespace seed::research {
namespace {

using ::backtest::v1::ParamValue;
using ::seed::strategy::FlagValue;
using ::seed::strategy::NumberValue;
using ::seed::strategy::TextValue;

std::vector<ParamValue> Numbers(const std::vector<double>& numbers) {
  std::vector<ParamValue> values;
  for (double number : numbers) values.push_back(NumberValue(number));
  return values;
}

strategy::ParamSchemas Schema() {
  strategy::ParamSchemas schemas;
  *schemas.Add() = strategy::IntParam("fast", 10, 1, 1000, "fast period");
  *schemas.Add() = strategy::IntParam("slow", 30, 1, 1'000'000, "slow period");
  *schemas.Add() = strategy::NumberParam("threshold", 0.5, 0, 1, "a level");
  *schemas.Add() =
      strategy::StringParam("mode", "long", {"long", "short", "both"}, "sides");
  *schemas.Add() = strategy::BoolParam("flag", false, "a switch");
  return schemas;
}

std::vector<std::string> Texts(const std::vector<Point>& points) {
  std::vector<std::string> texts;
  for (const Point& point : points) texts.push_back(CanonicalText(point));
  return texts;
}

// Every field problem of `status` as "field: description".
std::vector<std::string> Problems(const absl::Status& status) {
  std::vector<std::string> problems;
  for (const FieldProblem& problem : FieldProblems(status)) {
    problems.push_back(problem.field + ": " + problem.description);
  }
  return problems;
}

SweepPoints PointsOf(const SweepSpec& spec) {
  absl::StatusOr<ParameterSpace> space = ParameterSpace::Create(Schema(), spec);
  EXPECT_TRUE(space.ok()) << space.status();
  if (!space.ok()) return {};
  absl::StatusOr<SweepPoints> points = space->Points();
  EXPECT_TRUE(points.ok()) << points.status();
  return points.ok() ? *points : SweepPoints{};
}

TEST(ParameterSpaceTest, GridIsTheProductWithTheLastAxisFastest) {
  SweepSpec spec;
  spec.axes = {{"fast", Numbers({5, 10})}, {"slow", Numbers({30, 50})}};
  const SweepPoints grid = PointsOf(spec);
  EXPECT_EQ(Texts(grid.points),
            (std::vector<std::string>{
                R"({"fast":5,"slow":30})", R"({"fast":5,"slow":50})",
                R"({"fast":10,"slow":30})", R"({"fast":10,"slow":50})"}));
  EXPECT_EQ(grid.excluded, 0);
}

TEST(ParameterSpaceTest, GridAxesInTheirOrderWhateverTheNames) {
  SweepSpec spec;
  spec.axes = {
      {"slow", Numbers({50, 30})},
      {"mode", std::vector<ParamValue>{TextValue("long"), TextValue("both")}},
      {"flag", std::vector<ParamValue>{FlagValue(true)}}};
  absl::StatusOr<ParameterSpace> space = ParameterSpace::Create(Schema(), spec);
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ(space->size(), 4);
  ASSERT_EQ(space->axes().size(), 3u);
  EXPECT_EQ(space->axes()[0].param, "slow");
  EXPECT_EQ(space->axes()[0].values[0].number(), 50);
  EXPECT_EQ(
      Texts(space->Points()->points),
      (std::vector<std::string>{R"({"flag":true,"mode":"long","slow":50})",
                                R"({"flag":true,"mode":"both","slow":50})",
                                R"({"flag":true,"mode":"long","slow":30})",
                                R"({"flag":true,"mode":"both","slow":30})"}));
}

TEST(ParameterSpaceTest, RangesAreComputedFromTheirIndexAndSnapToTheEnd) {
  SweepSpec spec;
  spec.axes = {{"threshold", ValueRange{0, 1, 0.1}}};
  absl::StatusOr<ParameterSpace> space = ParameterSpace::Create(Schema(), spec);
  ASSERT_TRUE(space.ok()) << space.status();
  const std::vector<ParamValue>& values = space->axes()[0].values;
  ASSERT_EQ(values.size(), 11u);
  // Adding 0.1 ten times gives 0.9999999999999999; the range gives 1.
  double added = 0;
  for (int i = 0; i < 10; ++i) added += 0.1;
  EXPECT_NE(added, 1.0);
  EXPECT_EQ(values[10].number(), 1.0);
  // Inner values are from + i * step, exactly that double.
  EXPECT_EQ(values[3].number(), 3 * 0.1);
  EXPECT_EQ(values[7].number(), 7 * 0.1);

  // 0.1 + 2 * 0.1 is 0.30000000000000004: within 1e-9 of `to`, so `to`.
  spec.axes = {{"threshold", ValueRange{0.1, 0.3, 0.1}}};
  space = ParameterSpace::Create(Schema(), spec);
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ(
      Texts(space->Points()->points),
      (std::vector<std::string>{R"({"threshold":0.1})", R"({"threshold":0.2})",
                                R"({"threshold":0.3})"}));

  // An int range stops at the last step that fits.
  spec.axes = {{"fast", ValueRange{5, 50, 10}}};
  space = ParameterSpace::Create(Schema(), spec);
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ(Texts(space->Points()->points),
            (std::vector<std::string>{R"({"fast":5})", R"({"fast":15})",
                                      R"({"fast":25})", R"({"fast":35})",
                                      R"({"fast":45})"}));
}

TEST(ParameterSpaceTest, ConstraintsFilterTheGridAndCountWhatTheyExclude) {
  SweepSpec spec;
  spec.axes = {{"fast", Numbers({5, 10, 20})}, {"slow", Numbers({10, 20, 30})}};
  spec.constraints = {"fast < slow"};
  const SweepPoints grid = PointsOf(spec);
  // Excluded: (10, 10), (20, 10), (20, 20).
  EXPECT_EQ(Texts(grid.points),
            (std::vector<std::string>{
                R"({"fast":5,"slow":10})", R"({"fast":5,"slow":20})",
                R"({"fast":5,"slow":30})", R"({"fast":10,"slow":20})",
                R"({"fast":10,"slow":30})", R"({"fast":20,"slow":30})"}));
  EXPECT_EQ(grid.excluded, 3);
}

TEST(ParameterSpaceTest, ConstraintsSeeFixedValuesAndDefaults) {
  SweepSpec spec;
  spec.axes = {{"fast", Numbers({10, 20, 40})}};
  // slow is not swept: its default, 30.
  spec.constraints = {"slow >= 2 * fast", "mode != 'both'"};
  EXPECT_EQ(Texts(PointsOf(spec).points),
            (std::vector<std::string>{R"({"fast":10})"}));

  // slow fixed at 60 in strategy.params: now 10 and 20 pass.
  spec.fixed["slow"] = NumberValue(60);
  EXPECT_EQ(Texts(PointsOf(spec).points),
            (std::vector<std::string>{R"({"fast":10})", R"({"fast":20})"}));

  // mode fixed to both: the second constraint excludes every point.
  spec.fixed["mode"] = TextValue("both");
  absl::StatusOr<ParameterSpace> space = ParameterSpace::Create(Schema(), spec);
  ASSERT_TRUE(space.ok()) << space.status();
  absl::StatusOr<SweepPoints> points = space->Points();
  EXPECT_EQ(Problems(points.status()),
            (std::vector<std::string>{
                "sweep.constraints: exclude all 3 points of the grid; loosen "
                "them or change the axes"}));
  Point point = {{"fast", NumberValue(10)}};
  EXPECT_FALSE(*space->Satisfies(point));
}

TEST(ParameterSpaceTest, EveryProblemIsReportedAtOnceWithItsPath) {
  SweepSpec spec;
  spec.axes = {
      {"fast", Numbers({5, 10, 0.5, 2000, 10})},
      {"fats", Numbers({1})},
      {"mode",
       std::vector<ParamValue>{TextValue("long"), TextValue("sideways")}},
      {"threshold", ValueRange{0, 1, 0}},
      {"flag", ValueRange{0, 1, 1}},
      {"slow", std::vector<ParamValue>{}},
  };
  spec.constraints = {"fast < < slow", "fast < slow", "speed > 1"};
  spec.fixed["window"] = NumberValue(3);
  absl::StatusOr<ParameterSpace> space = ParameterSpace::Create(Schema(), spec);
  EXPECT_EQ(space.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Problems(space.status()),
      (std::vector<std::string>{
          "strategy.params.window: unknown parameter; known parameters: fast, "
          "slow, threshold, mode, flag",
          "sweep.grid.fast[2]: must be an integer, got 0.5",
          "sweep.grid.fast[3]: must be in [1, 1000], got 2000",
          "sweep.grid.fast[4]: repeats the value of [1]; each point is swept "
          "once",
          "sweep.grid.fats: unknown parameter; known parameters: fast, slow, "
          "threshold, mode, flag",
          "sweep.grid.mode[1]: must be one of [long, short, both], got text "
          "\"sideways\"",
          "sweep.grid.threshold.step: must be > 0 in a grid, got 0",
          "sweep.grid.flag: a range needs an int or number parameter; flag is "
          "a bool: list its values instead",
          "sweep.grid.slow: has no values; list at least one",
          "sweep.constraints[0]: constraint \"fast < < slow\", column 8: "
          "expected a number, a quoted text, true, false, a parameter name "
          "or \"(\", got \"<\"",
          "sweep.constraints[2]: constraint \"speed > 1\", column 1: unknown "
          "parameter \"speed\"; known parameters: fast, flag, mode, slow, "
          "threshold",
      }));
}

TEST(ParameterSpaceTest, RangeProblems) {
  SweepSpec spec;
  spec.field = "research.sweep";
  spec.axes = {{"fast", ValueRange{0, 20, 5}},
               {"slow", ValueRange{10, 5, 1.5}},
               {"threshold", ValueRange{0.5, 2, 0.5}}};
  spec.fixed["threshold"] = NumberValue(0.2);
  absl::StatusOr<ParameterSpace> space = ParameterSpace::Create(Schema(), spec);
  EXPECT_EQ(Problems(space.status()),
            (std::vector<std::string>{
                "research.sweep.grid.fast.from: must be in [1, 1000], got 0",
                "research.sweep.grid.slow.step: must be an integer for int "
                "parameter slow, got 1.5",
                "research.sweep.grid.threshold: is also fixed in "
                "strategy.params.threshold; sweep it or fix it, not both",
            }));

  spec.axes = {{"slow", ValueRange{10, 5, 1}},
               {"threshold", ValueRange{0.5, 2, 0.5}},
               {"fast", ValueRange{1, 1e300, 1}}};
  spec.fixed.clear();
  space = ParameterSpace::Create(Schema(), spec);
  EXPECT_EQ(
      Problems(space.status()),
      (std::vector<std::string>{
          "research.sweep.grid.slow.to: must be at least from (10), got 5",
          "research.sweep.grid.threshold.to: must be in [0, 1], got 2",
          "research.sweep.grid.fast.step: gives more than 2^53 values; "
          "use a larger step, got 1",
      }));

  spec.axes.clear();
  space = ParameterSpace::Create(Schema(), spec);
  EXPECT_EQ(Problems(space.status()),
            (std::vector<std::string>{"research.sweep.grid: names no "
                                      "parameter to sweep; give at least one "
                                      "axis"}));
}

TEST(ParameterSpaceTest, GridSizeIsBounded) {
  SweepSpec spec;
  spec.axes = {{"fast", ValueRange{1, 1000, 1}},
               {"slow", ValueRange{1, 101, 1}}};
  absl::StatusOr<ParameterSpace> space = ParameterSpace::Create(Schema(), spec);
  EXPECT_EQ(Problems(space.status()),
            (std::vector<std::string>{
                "sweep.grid: has 101000 points, more than 100000; use fewer "
                "values or a random sweep"}));
}

SweepSpec RandomSpec(int64_t samples, uint64_t seed) {
  SweepSpec spec;
  spec.mode = SweepMode::kRandom;
  spec.samples = samples;
  spec.seed = seed;
  return spec;
}

TEST(ParameterSpaceTest, SmallRandomSpacesArePickedFromTheListedPoints) {
  SweepSpec spec = RandomSpec(5, 42);
  spec.axes = {{"fast", ValueRange{1, 10, 0}},
               {"slow", ValueRange{10, 60, 10}}};
  spec.constraints = {"fast * 5 < slow"};
  absl::StatusOr<ParameterSpace> space = ParameterSpace::Create(Schema(), spec);
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ(space->size(), 60);
  absl::StatusOr<SweepPoints> points = space->Points();
  ASSERT_TRUE(points.ok()) << points.status();

  // The documented algorithm, by hand: list the grid (fast 1..10, slow
  // 10..60 by 10, slow fastest), keep fast * 5 < slow, then a partial
  // Fisher-Yates shuffle with seed 42.
  std::vector<std::string> listed;
  for (int fast = 1; fast <= 10; ++fast) {
    for (int slow = 10; slow <= 60; slow += 10) {
      if (fast * 5 < slow) {
        listed.push_back("{\"fast\":" + std::to_string(fast) +
                         ",\"slow\":" + std::to_string(slow) + "}");
      }
    }
  }
  EXPECT_EQ(points->excluded, 60 - static_cast<int64_t>(listed.size()));
  std::mt19937_64 random(42);
  for (size_t j = 0; j < 5; ++j) {
    std::swap(listed[j], listed[j + UniformIndex(random, listed.size() - j)]);
  }
  listed.resize(5);
  EXPECT_EQ(Texts(points->points), listed);
}

TEST(ParameterSpaceTest, RandomSamplesAreSeededDistinctAndWithinTheirAxes) {
  // fast 1..1000 x slow 100..1e6 by 100 is too large to list: drawn.
  SweepSpec spec = RandomSpec(300, 7);
  spec.axes = {
      {"fast", ValueRange{1, 1000, 0}},
      {"slow", ValueRange{100, 1'000'000, 100}},
      {"threshold", ValueRange{0.25, 0.75, 0}},
      {"mode", std::vector<ParamValue>{TextValue("long"), TextValue("short")}}};
  spec.constraints = {"fast < slow / 100"};
  absl::StatusOr<ParameterSpace> space = ParameterSpace::Create(Schema(), spec);
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ(space->size(), 0);  // threshold is continuous
  absl::StatusOr<SweepPoints> first = space->Points();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->points.size(), 300u);
  EXPECT_GT(first->excluded, 0);  // about 1 draw in 1000 breaks the constraint

  std::set<std::string> distinct;
  double threshold_sum = 0;
  int longs = 0;
  for (const Point& point : first->points) {
    distinct.insert(CanonicalText(point));
    const double fast = point.at("fast").number();
    const double slow = point.at("slow").number();
    EXPECT_EQ(fast, std::trunc(fast));
    EXPECT_GE(fast, 1);
    EXPECT_LE(fast, 1000);
    EXPECT_EQ(std::fmod(slow, 100), 0) << slow;
    EXPECT_LT(fast, slow / 100);
    const double threshold = point.at("threshold").number();
    EXPECT_GE(threshold, 0.25);
    EXPECT_LT(threshold, 0.75);
    threshold_sum += threshold;
    longs += point.at("mode").text() == "long";
  }
  EXPECT_EQ(distinct.size(), 300u);
  // Uniform draws: mean 0.5 with sd 0.5 / sqrt(12 * 300) = 0.0083; a share
  // of 0.5 with sd 0.029. Six sd either side.
  EXPECT_NEAR(threshold_sum / 300, 0.5, 0.05);
  EXPECT_NEAR(longs / 300.0, 0.5, 0.18);

  // The same seed gives the same points; another seed other points.
  EXPECT_EQ(Texts(space->Points()->points), Texts(first->points));
  spec.seed = 8;
  absl::StatusOr<ParameterSpace> other = ParameterSpace::Create(Schema(), spec);
  EXPECT_NE(Texts(other->Points()->points), Texts(first->points));
}

TEST(ParameterSpaceTest, RandomSweepsRefuseWhatCannotBeDrawn) {
  SweepSpec spec = RandomSpec(7, 1);
  spec.axes = {{"fast", Numbers({1, 2})}, {"slow", ValueRange{1, 3, 0}}};
  absl::StatusOr<ParameterSpace> space = ParameterSpace::Create(Schema(), spec);
  EXPECT_EQ(Problems(space.status()),
            (std::vector<std::string>{
                "sweep.samples: 7 samples asked, but the space holds only 6 "
                "distinct points; ask for fewer or widen it"}));

  spec.samples = 0;
  spec.axes = {{"fast", ValueRange{1.5, 1.9, 0}}};
  space = ParameterSpace::Create(Schema(), spec);
  EXPECT_EQ(Problems(space.status()),
            (std::vector<std::string>{
                "sweep.random.fast.from: must be an integer for int parameter "
                "fast, got 1.5",
                "sweep.samples: must be in [1, 100000], got 0"}));

  // The constraint leaves one point of a small space.
  spec.samples = 3;
  spec.axes = {{"fast", ValueRange{1, 10, 1}}, {"slow", ValueRange{1, 10, 1}}};
  spec.constraints = {"fast > slow + 8"};
  space = ParameterSpace::Create(Schema(), spec);
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ(Problems(space->Points().status()),
            (std::vector<std::string>{
                "sweep.constraints: leave 1 of the space's 100 points, fewer "
                "than the 3 samples asked; loosen them or ask for fewer"}));

  // A continuous space where the constraint leaves about 1e-7 of it.
  spec.axes = {{"threshold", ValueRange{0, 1, 0}}};
  spec.constraints = {"threshold > 0.9999999"};
  space = ParameterSpace::Create(Schema(), spec);
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ(Problems(space->Points().status()),
            (std::vector<std::string>{
                "sweep.constraints: leave too little room: after 3000 draws "
                "only 0 of the 3 samples asked are distinct and meet them; "
                "loosen the constraints, widen the ranges or ask for fewer "
                "samples"}));
}

TEST(ParameterSpaceTest, CanonicalTextIsSortedExactAndEscaped) {
  const Point point = {
      {"slow", NumberValue(0.1 + 0.2)}, {"fast", NumberValue(10)},
      {"mode", TextValue("a \"b\"")},   {"flag", FlagValue(false)},
      {"zero", NumberValue(-0.0)},      {"big", NumberValue(1e21)}};
  EXPECT_EQ(CanonicalText(point),
            R"({"big":1e+21,"fast":10,"flag":false,"mode":"a \"b\"",)"
            R"("slow":0.30000000000000004,"zero":0})");
  EXPECT_EQ(CanonicalText({}), "{}");
}

}  // namespace
}  // namespace seed::research
