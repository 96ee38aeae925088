#include "research/sweep_plan.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/sha256.h"
#include "common/stage_error.h"
#include "research/objective.h"
#include "services/coordinator/spec.h"

namespace seed::research {
namespace {

using ::backtest::v1::BacktestSpec;
using ::backtest::v1::ParamValue;

// The axis of a random sweep: bounds are min/max (from/to also read).
Axis RandomAxis(const std::string& name, const backtest::v1::SweepAxis& axis) {
  if (!axis.values().empty()) {
    return {name, std::vector<ParamValue>(axis.values().begin(),
                                          axis.values().end())};
  }
  return {name,
          ValueRange{axis.has_min() ? axis.min() : axis.from(),
                     axis.has_max() ? axis.max() : axis.to(), axis.step()}};
}

Axis GridAxis(const std::string& name, const backtest::v1::SweepAxis& axis) {
  if (!axis.values().empty() || !axis.has_from()) {
    return {name, std::vector<ParamValue>(axis.values().begin(),
                                          axis.values().end())};
  }
  return {name, ValueRange{axis.from(), axis.to(), axis.step()}};
}

}  // namespace

std::string ChildRunId(absl::string_view job_id, int64_t index, int64_t count) {
  const size_t width = std::to_string(std::max<int64_t>(count - 1, 0)).size();
  std::string digits = std::to_string(index);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return absl::StrCat(job_id, "-", digits);
}

absl::StatusOr<const backtest::v1::StrategySpec*> SweptStrategy(
    const BacktestSpec& spec) {
  if (spec.strategies().empty()) return &spec.strategy();
  std::vector<std::string> ids;
  for (const backtest::v1::StrategySpec& strategy : spec.strategies()) {
    if (strategy.id() == spec.sweep().strategy()) return &strategy;
    ids.push_back(strategy.id());
  }
  return InvalidFields(
      "coordinator", "INVALID_SPEC",
      {{"sweep.strategy",
        absl::StrCat(spec.sweep().strategy().empty()
                         ? "a spec of several strategies must say which "
                           "one the sweep varies"
                         : absl::StrCat("no strategy has id \"",
                                        spec.sweep().strategy(), "\""),
                     "; the ids are: ", absl::StrJoin(ids, ", "))}});
}

SweepSpec ToSweepSpec(const backtest::v1::SweepSpec& sweep,
                      const strategy::ParamValues& fixed) {
  SweepSpec spec;
  spec.fixed = fixed;
  spec.constraints.assign(sweep.constraints().begin(),
                          sweep.constraints().end());
  // Proto maps have no order: parameters go by name, for a stable grid.
  const bool random = sweep.has_random();
  const auto& axes = random ? sweep.random().params() : sweep.grid();
  std::map<std::string, backtest::v1::SweepAxis> by_name(axes.begin(),
                                                         axes.end());
  for (const auto& [name, axis] : by_name) {
    spec.axes.push_back(random ? RandomAxis(name, axis) : GridAxis(name, axis));
  }
  if (random) {
    spec.mode = SweepMode::kRandom;
    spec.samples = sweep.random().samples();
    spec.seed = sweep.random().seed();
    spec.field = "sweep";
  }
  return spec;
}

BacktestSpec ChildSpec(const BacktestSpec& spec, const Point& point) {
  BacktestSpec child = spec;
  child.clear_sweep();
  child.clear_walk_forward();
  child.clear_factors();
  backtest::v1::StrategySpec* strategy = nullptr;
  if (child.strategies().empty()) {
    strategy = child.mutable_strategy();
  } else {
    for (backtest::v1::StrategySpec& entry : *child.mutable_strategies()) {
      if (entry.id() == spec.sweep().strategy()) strategy = &entry;
    }
    if (strategy == nullptr) return child;  // SweptStrategy says why
  }
  std::vector<std::string> tags;
  for (const auto& [name, value] : point) {
    (*strategy->mutable_params())[name] = value;
    tags.push_back(absl::StrCat(name, "=", DisplayText(value)));
  }
  child.set_name(absl::StrCat(spec.name(), " ", absl::StrJoin(tags, " ")));
  return child;
}

absl::StatusOr<SweepPlan> PlanSweep(const BacktestSpec& spec,
                                    const strategy::ParamSchemas& schemas,
                                    absl::string_view job_id,
                                    absl::string_view engine_version) {
  absl::StatusOr<const backtest::v1::StrategySpec*> swept = SweptStrategy(spec);
  if (!swept.ok()) return swept.status();
  const backtest::v1::SweepSpec& sweep = spec.sweep();
  const Objective objective{
      sweep.objective(),
      sweep.goal() == "minimize" ? Direction::kMinimize : Direction::kMaximize,
      sweep.min_trades()};
  std::vector<FieldProblem> problems =
      ObjectiveProblems(objective, "sweep.objective", "sweep.min_trades");
  absl::StatusOr<ParameterSpace> space =
      ParameterSpace::Create(schemas, ToSweepSpec(sweep, (*swept)->params()));
  if (!space.ok()) {
    std::vector<FieldProblem> space_problems = FieldProblems(space.status());
    if (space_problems.empty()) return space.status();
    problems.insert(problems.end(), space_problems.begin(),
                    space_problems.end());
  }
  if (!problems.empty()) {
    return InvalidFields("coordinator", "INVALID_SWEEP", problems);
  }
  absl::StatusOr<SweepPoints> points = space->Points();
  if (!points.ok()) return points.status();
  absl::StatusOr<std::string> canonical = coordinator::CanonicalSpecJson(spec);
  if (!canonical.ok()) return canonical.status();

  SweepPlan plan;
  plan.excluded = points->excluded;
  backtest::v1::Job& job = plan.job;
  job.set_job_id(std::string(job_id));
  job.set_kind(backtest::v1::SWEEP);
  job.set_name(spec.name());
  job.set_canonical_spec(*canonical);
  job.set_spec_hash(Sha256Hex(*canonical));
  job.set_engine_version(std::string(engine_version));
  job.set_children_expected(static_cast<int64_t>(points->points.size()));
  for (const Axis& axis : ToSweepSpec(sweep, {}).axes) {
    job.add_params(axis.param);
  }
  job.set_objective(sweep.objective());
  job.set_goal(sweep.goal());
  job.set_min_trades(sweep.min_trades());

  const int64_t count = static_cast<int64_t>(points->points.size());
  for (int64_t i = 0; i < count; ++i) {
    const Point& point = points->points[i];
    ChildPlan child;
    child.index = i;
    child.run_id = ChildRunId(job_id, i, count);
    child.spec = ChildSpec(spec, point);
    child.membership.set_job_id(std::string(job_id));
    child.membership.set_index(i);
    child.membership.mutable_params()->insert(point.begin(), point.end());
    plan.children.push_back(std::move(child));
  }
  return plan;
}

}  // namespace seed::research
