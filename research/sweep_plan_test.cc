#include "research/sweep_plan.h"

#include <string>

#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/coordinator/spec.h"

namespace seed::research {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

strategy::ParamSchemas SmaCrossSchema() {
  strategy::ParamSchemas schemas;
  *schemas.Add() = strategy::IntParam("fast", 10, 1, 1000, "fast SMA");
  *schemas.Add() = strategy::IntParam("slow", 30, 2, 1000, "slow SMA");
  return schemas;
}

backtest::v1::BacktestSpec Parse(const std::string& sweep) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec = coordinator::ParseSpec(
      "name: sma-orcl\n"
      "data: {path: /data, symbols: [ORCL]}\n"
      "strategy: {name: sma_cross, params: {fast: 10}}\n"
      "sweep: " + sweep + "\n",
      "");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

double Param(const backtest::v1::BacktestSpec& spec, const std::string& name) {
  return spec.strategy().params().at(name).number();
}

TEST(SweepPlanTest, ChildRunIdsArePaddedSoTheySortByIndex) {
  EXPECT_EQ(ChildRunId("sweep-x", 7, 1000), "sweep-x-007");
  EXPECT_EQ(ChildRunId("sweep-x", 0, 1), "sweep-x-0");
  EXPECT_EQ(ChildRunId("sweep-x", 10, 11), "sweep-x-10");
}

// The contract spec: a 2 x 2 grid, one child per point, the last
// parameter (by name) varying fastest.
TEST(SweepPlanTest, PlansOneOrdinaryChildPerGridPoint) {
  const backtest::v1::BacktestSpec spec = Parse(
      "{grid: {fast: [5, 10], slow: [30, 50]}, objective: sharpe}");
  absl::StatusOr<SweepPlan> plan =
      PlanSweep(spec, SmaCrossSchema(), "sweep-job", "0.1.0+abc");
  ASSERT_FALSE(plan.ok());  // fast is also fixed in strategy.params
  EXPECT_THAT(plan.status().message(), HasSubstr("fast"));

  backtest::v1::BacktestSpec unfixed = spec;
  unfixed.mutable_strategy()->mutable_params()->erase("fast");
  plan = PlanSweep(unfixed, SmaCrossSchema(), "sweep-job", "0.1.0+abc");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->children.size(), 4u);
  EXPECT_EQ(plan->job.job_id(), "sweep-job");
  EXPECT_EQ(plan->job.kind(), backtest::v1::SWEEP);
  EXPECT_EQ(plan->job.children_expected(), 4);
  EXPECT_THAT(plan->job.params(), ElementsAre("fast", "slow"));
  EXPECT_EQ(plan->job.objective(), "sharpe");
  EXPECT_EQ(plan->job.goal(), "maximize");
  EXPECT_FALSE(plan->job.spec_hash().empty());
  const ChildPlan& third = plan->children[2];
  EXPECT_EQ(third.run_id, "sweep-job-2");
  EXPECT_EQ(Param(third.spec, "fast"), 10);
  EXPECT_EQ(Param(third.spec, "slow"), 30);
  EXPECT_EQ(third.spec.name(), "sma-orcl fast=10 slow=30");
  EXPECT_FALSE(third.spec.has_sweep());
  EXPECT_EQ(third.membership.job_id(), "sweep-job");
  EXPECT_EQ(third.membership.index(), 2);
  EXPECT_EQ(third.membership.params().at("slow").number(), 30);
}

TEST(SweepPlanTest, ConstraintsAndRangesShapeTheGrid) {
  backtest::v1::BacktestSpec spec = Parse(
      "{grid: {fast: {from: 10, to: 30, step: 10}, slow: [20, 40]}, "
      "constraints: ['fast < slow'], objective: total_return}");
  spec.mutable_strategy()->clear_params();
  absl::StatusOr<SweepPlan> plan =
      PlanSweep(spec, SmaCrossSchema(), "j", "v");
  ASSERT_TRUE(plan.ok()) << plan.status();
  // (10,20) (10,40) (20,40) (30,40): (20,20) and (30,20) break fast < slow.
  ASSERT_EQ(plan->children.size(), 4u);
  EXPECT_EQ(plan->excluded, 2);
  EXPECT_EQ(Param(plan->children[2].spec, "fast"), 20);
  EXPECT_EQ(Param(plan->children[3].spec, "fast"), 30);
}

TEST(SweepPlanTest, RandomSamplingIsSeeded) {
  backtest::v1::BacktestSpec spec = Parse(
      "{random: {samples: 5, seed: 7, params: {fast: {min: 2, max: 20}, "
      "slow: {min: 21, max: 200}}}}");
  spec.mutable_strategy()->clear_params();
  absl::StatusOr<SweepPlan> first = PlanSweep(spec, SmaCrossSchema(), "a", "v");
  absl::StatusOr<SweepPlan> again = PlanSweep(spec, SmaCrossSchema(), "b", "v");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(first->children.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(Param(first->children[i].spec, "fast"),
              Param(again->children[i].spec, "fast"));
    EXPECT_EQ(Param(first->children[i].spec, "slow"),
              Param(again->children[i].spec, "slow"));
  }
}

// Every problem at once: an unknown parameter, a value out of range and an
// unknown objective.
TEST(SweepPlanTest, ReportsEveryProblemAtOnce) {
  backtest::v1::BacktestSpec spec = Parse(
      "{grid: {fats: [5], slow: [0, 30]}, objective: sharpness}");
  spec.mutable_strategy()->clear_params();
  const absl::StatusOr<SweepPlan> plan =
      PlanSweep(spec, SmaCrossSchema(), "j", "v");
  ASSERT_FALSE(plan.ok());
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(plan.status())) {
    fields.push_back(problem.field);
  }
  EXPECT_THAT(fields, ::testing::IsSupersetOf({"sweep.objective",
                                               "sweep.grid.fats",
                                               "sweep.grid.slow[0]"}));
}

TEST(SweepPlanTest, ASpecOfSeveralStrategiesNamesTheOneSwept) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec = coordinator::ParseSpec(
      "data: {path: /data, symbols: [ORCL]}\n"
      "strategies: [{name: sma_cross, id: a}, {name: sma_cross, id: b}]\n"
      "sweep: {grid: {fast: [5, 7]}}\n",
      "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(PlanSweep(*spec, SmaCrossSchema(), "j", "v").ok());
  spec->mutable_sweep()->set_strategy("b");
  absl::StatusOr<SweepPlan> plan = PlanSweep(*spec, SmaCrossSchema(), "j", "v");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->children.size(), 2u);
  const backtest::v1::BacktestSpec& child = plan->children[1].spec;
  EXPECT_FALSE(child.has_strategy());
  EXPECT_TRUE(child.strategies(0).params().empty());
  EXPECT_EQ(child.strategies(1).params().at("fast").number(), 7);
}

}  // namespace
}  // namespace seed::research
