#include "research/walk_forward_job.h"

#include <string>
#include <vector>

#include "common/stage_error.h"
#include "common/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/coordinator/spec.h"

namespace seed::research {
namespace {

using ::testing::HasSubstr;

strategy::ParamSchemas SmaCrossSchema() {
  strategy::ParamSchemas schemas;
  *schemas.Add() = strategy::IntParam("fast", 10, 1, 1000, "fast SMA");
  *schemas.Add() = strategy::IntParam("slow", 30, 2, 1000, "slow SMA");
  return schemas;
}

backtest::v1::BacktestSpec Parse(const std::string& walk) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec = coordinator::ParseSpec(
      "name: wf\n"
      "data: {path: /data, symbols: [ORCL]}\n"
      "strategy: {name: sma_cross}\n"
      "portfolio: {initial_cash: 50000}\n"
      "sweep: {grid: {fast: [5, 10], slow: [30]}, objective: total_return}\n"
      "walk_forward: " + walk + "\n",
      "");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

// 100 daily bars from 2020-01-01.
std::vector<int64_t> Days(int count) {
  std::vector<int64_t> times;
  const int64_t first = *ParseTime("2020-01-01");
  for (int i = 0; i < count; ++i) times.push_back(first + i * 86400);
  return times;
}

TEST(WalkForwardJobTest, ParsesLengthsInEveryUnit) {
  const auto parsed = [](const char* text) {
    absl::StatusOr<Length> length = ParseLength(text, "f");
    EXPECT_TRUE(length.ok()) << text << ": " << length.status();
    return length.value_or(Length{});
  };
  EXPECT_EQ(parsed("500 bars").count, 500);
  EXPECT_EQ(parsed("500 bars").unit, LengthUnit::kBars);
  EXPECT_EQ(parsed("1 year").unit, LengthUnit::kYears);
  EXPECT_EQ(parsed(" 18  months ").unit, LengthUnit::kMonths);
  EXPECT_EQ(parsed("26 weeks").unit, LengthUnit::kWeeks);
  EXPECT_EQ(parsed("90 Days").unit, LengthUnit::kDays);
  for (const char* bad : {"", "bars", "0 bars", "-3 days", "2 decades",
                          "2y", "1.5 years", "3 bars extra"}) {
    EXPECT_FALSE(ParseLength(bad, "walk_forward.in_sample").ok()) << bad;
  }
  EXPECT_THAT(ParseLength("2 decades", "walk_forward.in_sample")
                  .status()
                  .message(),
              HasSubstr("walk_forward.in_sample"));
}

// 100 bars, 40 in sample, 20 out of sample, step 20: windows at bars 0, 20
// and 40 (the next would need bars 100..119).
TEST(WalkForwardJobTest, PlansInSampleChildrenPerWindowAndPoint) {
  absl::StatusOr<WalkForwardPlan> plan = PlanWalkForward(
      Parse("{in_sample: 40 bars, out_of_sample: 20 bars, warmup_bars: 30}"),
      SmaCrossSchema(), Days(100), 86400, "walkforward-j", "v");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->windows.size(), 3u);
  ASSERT_EQ(plan->points.size(), 2u);
  EXPECT_EQ(plan->children, 3 * 2 + 3);
  EXPECT_EQ(plan->job.kind(), backtest::v1::WALK_FORWARD);
  EXPECT_EQ(plan->job.children_expected(), 9);
  ASSERT_EQ(plan->in_sample.size(), 6u);
  const ChildPlan& child = plan->in_sample[3];  // window 1, point 1
  EXPECT_EQ(child.index, 3);
  EXPECT_EQ(child.run_id, "walkforward-j-3");
  EXPECT_EQ(child.membership.role(), "in_sample");
  EXPECT_EQ(child.membership.window(), 1);
  EXPECT_EQ(child.spec.data().start(), "2020-01-21");  // bar 20
  EXPECT_EQ(child.spec.data().end(), "2020-02-29");    // bar 59
  EXPECT_EQ(child.spec.strategy().params().at("fast").number(), 10);
  EXPECT_EQ(child.spec.data().warmup_bars(), 0);
}

// An out-of-sample child runs the chosen point over the window's unseen
// bars with the cash carried in, warmed up, and ends flat.
TEST(WalkForwardJobTest, AnOutOfSampleChildCarriesCashAndEndsFlat) {
  absl::StatusOr<WalkForwardPlan> plan = PlanWalkForward(
      Parse("{in_sample: 40 bars, out_of_sample: 20 bars, warmup_bars: 30}"),
      SmaCrossSchema(), Days(100), 86400, "walkforward-j", "v");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const ChildPlan child =
      OutOfSampleChild(*plan, 2, plan->points[0], 51234.5);
  EXPECT_EQ(child.index, 3 * 2 + 2);
  EXPECT_EQ(child.run_id, "walkforward-j-8");
  EXPECT_EQ(child.membership.role(), "out_of_sample");
  EXPECT_EQ(child.membership.window(), 2);
  EXPECT_EQ(child.spec.data().start(), "2020-03-21");  // bar 80
  EXPECT_EQ(child.spec.data().end(), "2020-04-09");    // bar 99
  EXPECT_EQ(child.spec.data().warmup_bars(), 30);
  EXPECT_EQ(child.spec.portfolio().initial_cash(), 51234.5);
  EXPECT_TRUE(child.spec.portfolio().close_at_end());
  EXPECT_EQ(child.spec.strategy().params().at("fast").number(), 5);
  EXPECT_FALSE(child.spec.has_sweep());
  EXPECT_FALSE(child.spec.has_walk_forward());
}

TEST(WalkForwardJobTest, ReportsBadLengthsAndWindowsThatDoNotFit) {
  absl::StatusOr<WalkForwardPlan> plan = PlanWalkForward(
      Parse("{mode: sideways, in_sample: forty bars, out_of_sample: 20 bars}"),
      SmaCrossSchema(), Days(100), 86400, "j", "v");
  ASSERT_FALSE(plan.ok());
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(plan.status())) {
    fields.push_back(problem.field);
  }
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre(
                          "walk_forward.mode", "walk_forward.in_sample"));
  plan = PlanWalkForward(
      Parse("{in_sample: 90 bars, out_of_sample: 20 bars}"), SmaCrossSchema(),
      Days(100), 86400, "j", "v");
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("no walk-forward window"));
}

}  // namespace
}  // namespace seed::research
