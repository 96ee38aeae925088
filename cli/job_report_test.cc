#include "cli/job_report.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::cli {
namespace {

namespace v1 = ::backtest::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kLibrary[] = "/* chart library */";

v1::ParamValue Number(double value) {
  v1::ParamValue param;
  param.set_number(value);
  return param;
}

// A child at params {name: value...}; rank 0 means unranked with `reason`.
v1::JobChild Child(std::map<std::string, double> params, int rank,
                   double objective, const std::string& reason = "") {
  v1::JobChild child;
  child.set_run_id(absl::StrCat("run-", rank, "-", objective));
  for (const auto& [name, value] : params) {
    (*child.mutable_params())[name] = Number(value);
  }
  child.set_state(v1::SUCCEEDED);
  child.set_rank(rank);
  if (rank > 0) child.set_objective(objective);
  child.set_unranked_reason(reason);
  return child;
}

JobReport Sweep(std::vector<std::string> params) {
  JobReport report;
  report.view.job.set_job_id("job-1");
  report.view.job.set_name("grid");
  report.view.job.set_kind(v1::SWEEP);
  report.view.job.set_objective("sharpe");
  for (const std::string& param : params) report.view.job.add_params(param);
  return report;
}

// The text of the heatmap row whose header is `row`.
std::string HeatmapRow(const std::string& page, const std::string& row) {
  const size_t table = page.find("id=\"objective-heatmap\"");
  const size_t start = page.find(absl::StrCat("<tr><th>", row, "</th>"), table);
  if (table == std::string::npos || start == std::string::npos) return "";
  return page.substr(start, page.find("</tr>", start) - start);
}

TEST(JobReportTest, HeatmapPlacesEachObjectiveInItsCell) {
  JobReport report = Sweep({"fast", "slow"});
  report.view.children = {
      Child({{"fast", 10}, {"slow", 30}}, 1, 1.25),
      Child({{"fast", 5}, {"slow", 50}}, 2, 0.75),
      Child({{"fast", 5}, {"slow", 30}}, 3, -0.5),
      Child({{"fast", 10}, {"slow", 50}}, 0, 0,
            "3 closed trades, fewer than the 10 required"),
  };
  const std::string page = RenderJobReport(report, kLibrary);
  // Columns: slow 30 then 50 (ascending), rows fast 5 then 10.
  EXPECT_THAT(page, HasSubstr("<th>30</th><th>50</th>"));
  const std::string five = HeatmapRow(page, "5");
  const std::string ten = HeatmapRow(page, "10");
  ASSERT_FALSE(five.empty());
  ASSERT_FALSE(ten.empty());
  EXPECT_LT(five.find("data-value=\"-0.5\""), five.find("data-value=\"0.75\""));
  EXPECT_THAT(five, Not(HasSubstr("empty")));
  EXPECT_THAT(ten, HasSubstr("data-value=\"1.25\""));
  EXPECT_LT(ten.find("data-value=\"1.25\""), ten.find("heat empty"));
  EXPECT_THAT(ten, HasSubstr("title=\"not ranked: 3 closed trades, fewer "
                             "than the 10 required\""));
  EXPECT_THAT(ten,
              HasSubstr("title=\"fast=10 slow=30: sharpe 1.25 (rank 1)\""));
  // The best cell is full green, the worst white.
  EXPECT_THAT(ten, HasSubstr("background:#1a9850"));
  EXPECT_THAT(five, HasSubstr("background:#ffffff"));
  EXPECT_THAT(page, Not(HasSubstr("heatmap-best-over")));
  EXPECT_THAT(page, HasSubstr("id=\"ranking-table\""));
  EXPECT_THAT(page, HasSubstr("\"lines\":[]"));
}

TEST(JobReportTest, MoreThanTwoParamsShowTheBestOverTheOthers) {
  JobReport report = Sweep({"fast", "slow", "stop"});
  report.view.children = {
      Child({{"fast", 5}, {"slow", 30}, {"stop", 1}}, 1, 2.0),
      Child({{"fast", 5}, {"slow", 30}, {"stop", 2}}, 2, 1.5),
  };
  const std::string page = RenderJobReport(report, kLibrary);
  EXPECT_THAT(page, HasSubstr("id=\"heatmap-best-over\""));
  EXPECT_THAT(page, HasSubstr("best objective over stop"));
  const std::string row = HeatmapRow(page, "5");
  EXPECT_THAT(row, HasSubstr("data-value=\"2\""));
  EXPECT_THAT(row, Not(HasSubstr("data-value=\"1.5\"")));
  EXPECT_THAT(row, HasSubstr("fast=5 slow=30 stop=1: sharpe 2 (rank 1)"));
}

TEST(JobReportTest, OneParamGivesABarPerValue) {
  JobReport report = Sweep({"fast"});
  report.view.children = {Child({{"fast", 20}}, 1, 0.9),
                          Child({{"fast", 10}}, 2, 0.4),
                          Child({{"fast", 30}}, 0, 0, "no closed trades")};
  const std::string page = RenderJobReport(report, kLibrary);
  EXPECT_THAT(page, Not(HasSubstr("objective-heatmap")));
  const size_t ten = page.find("data-label=\"10\" data-value=\"0.4\"");
  const size_t twenty = page.find("data-label=\"20\" data-value=\"0.9\"");
  ASSERT_NE(ten, std::string::npos);
  ASSERT_NE(twenty, std::string::npos);
  EXPECT_LT(ten, twenty);
  EXPECT_THAT(page, HasSubstr("<rect class=\"slot\" data-label=\"30\""));
  EXPECT_THAT(page, HasSubstr("<title>not ranked: no closed trades</title>"));
}

TEST(JobReportTest, WalkForwardMarksEachWindowBoundary) {
  JobReport report;
  v1::Job& job = report.view.job;
  job.set_job_id("wf-1");
  job.set_name("walk");
  job.set_kind(v1::WALK_FORWARD);
  v1::WalkForwardResult& result = *job.mutable_result()->mutable_walk_forward();
  StitchedCurve curve;
  for (int window = 0; window < 3; ++window) {
    v1::WalkForwardWindow& row = *result.add_windows();
    row.set_window(window);
    row.set_in_sample_first(absl::StrCat("2020-0", window + 1, "-01"));
    row.set_out_of_sample_first(absl::StrCat("2021-0", window + 1, "-01"));
    (*row.mutable_chosen())["fast"] = Number(5 + 5 * window);
    row.set_efficiency(0.5 + window);
    curve.boundaries.push_back(curve.equity.size());
    curve.windows.push_back(window);
    for (int day = 0; day < 3; ++day) {
      v1::EquityPoint& point = curve.equity.emplace_back();
      point.set_time((10 * window + day) * 86400);
      point.set_equity(1000 + 10 * window + day);
    }
  }
  result.set_efficiency(0.8);
  result.mutable_stitched()->set_final_equity(1022);
  report.stitched = curve;
  const std::string page = RenderJobReport(report, kLibrary);
  EXPECT_THAT(page, HasSubstr("id=\"stitched-chart\""));
  EXPECT_THAT(page, HasSubstr("\"boundaries\":[[0,\"W0\"],[864000,\"W1\"],"
                              "[1728000,\"W2\"]]"));
  EXPECT_THAT(page, HasSubstr("[1900800,1022]"));  // the last point
  EXPECT_THAT(page, HasSubstr("<td>2021-03-01..</td><td>fast=15</td>"));
  EXPECT_THAT(page, HasSubstr("<td>2.50</td>"));  // window 2's efficiency
  EXPECT_THAT(page, HasSubstr("<td>0.80</td>"));  // overall
  EXPECT_THAT(page, HasSubstr("<td>1,022.00</td>"));
}

TEST(JobReportTest, WalkForwardWithoutACurveSaysWhy) {
  JobReport report;
  report.view.job.set_kind(v1::WALK_FORWARD);
  report.stitched_note = "no walk-forward window has an out-of-sample run yet";
  const std::string page = RenderJobReport(report, kLibrary);
  EXPECT_THAT(page, Not(HasSubstr("id=\"stitched-chart\"")));
  EXPECT_THAT(page, HasSubstr("No stitched curve: no walk-forward window"));
}

TEST(JobReportTest, EscapesTextFromTheJob) {
  JobReport report = Sweep({"<b>fast</b>", "slow"});
  report.view.job.set_name("<script>alert('x')</script>");
  v1::JobChild child = Child({{"slow", 30}}, 1, 1.0);
  (*child.mutable_params())["<b>fast</b>"].set_text("\"><img src=x>");
  report.view.children = {child};
  const std::string page = RenderJobReport(report, kLibrary);
  EXPECT_THAT(page, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(page, Not(HasSubstr("<img")));
  EXPECT_THAT(page, Not(HasSubstr("<b>fast")));
  EXPECT_THAT(page, HasSubstr("<h1>&lt;script&gt;alert(&#39;x&#39;)"
                              "&lt;/script&gt;</h1>"));
  EXPECT_THAT(page, HasSubstr("&quot;&gt;&lt;img src=x&gt;"));
}

}  // namespace
}  // namespace seed::cli
