#include "cli/job_sensitivity.h"

#include <string>

#include "gtest/gtest.h"

namespace seed::cli {
namespace {

namespace v1 = ::backtest::v1;

// A 3 x 2 grid, fast 5/10/15 x slow 30/50, its best point fast 10, slow 30.
JobView Grid(const std::string& canonical_spec) {
  JobView view;
  view.job.set_kind(v1::SWEEP);
  view.job.set_objective("sharpe");
  view.job.set_canonical_spec(canonical_spec);
  view.job.add_params("fast");
  view.job.add_params("slow");
  const struct {
    double fast, slow, objective;
    int rank;
  } kChildren[] = {{10, 30, 1.0, 1}, {5, 30, 0.8, 2}, {15, 30, 0.5, 4},
                   {10, 50, 0.6, 3}, {5, 50, 0.2, 5}, {15, 50, 0.1, 6}};
  for (const auto& c : kChildren) {
    v1::JobChild& child = view.children.emplace_back();
    (*child.mutable_params())["fast"].set_number(c.fast);
    (*child.mutable_params())["slow"].set_number(c.slow);
    child.set_objective(c.objective);
    child.set_rank(c.rank);
    child.set_state(v1::SUCCEEDED);
  }
  return view;
}

constexpr char kGridSpec[] =
    R"({"sweep": {"grid": {"fast": {}, "slow": {}}, "objective": "sharpe"}})";

TEST(JobSensitivityTest, ShowsEachAxisOneStepFromTheOptimum) {
  const std::string text = FormatSensitivity(Grid(kGridSpec));
  EXPECT_NE(text.find("sensitivity of sharpe"), std::string::npos) << text;
  // fast: 5 below (-20%), 15 above (-50%); slow: 30 is the lower edge.
  EXPECT_NE(text.find("5: 0.8000 (-20.0%)"), std::string::npos) << text;
  EXPECT_NE(text.find("15: 0.5000 (-50.0%)"), std::string::npos) << text;
  EXPECT_NE(text.find("(edge)"), std::string::npos) << text;
  EXPECT_NE(text.find("50: 0.6000 (-40.0%)"), std::string::npos) << text;
}

TEST(JobSensitivityTest, NothingForRandomSweepsOrPartialViews) {
  EXPECT_EQ(FormatSensitivity(Grid(R"({"sweep": {"random": {"samples": 6}}})")),
            "");
  JobView partial = Grid(kGridSpec);
  partial.complete = false;
  EXPECT_EQ(FormatSensitivity(partial), "");
  JobView unranked = Grid(kGridSpec);
  for (v1::JobChild& child : unranked.children) child.set_rank(0);
  EXPECT_EQ(FormatSensitivity(unranked), "");
}

}  // namespace
}  // namespace seed::cli
