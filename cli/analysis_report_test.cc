#include "cli/analysis_report.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kLibrary[] = "/* chart library */";

MonteCarloReport TinyMonteCarlo() {
  MonteCarloReport report;
  report.run_id = "run-<1>";
  report.trades = 2;
  report.initial_equity = 100;
  report.spec.paths = 4;
  report.spec.percentiles = {95, 5, 50};  // as asked: not sorted
  report.original_equity = {100, 110, 105};
  research::MonteCarloResult& result = report.result;
  result.fan = {{0, {100, 100, 100}}, {1, {112, 90, 101}}, {2, {120, 80, 104}}};
  result.final_equity.percentiles = {120, 80, 104};
  result.max_drawdown.percentiles = {0.3, 0.05, 0.1};
  result.longest_drawdown.percentiles = {2, 0, 1};
  result.final_equity.histogram = {{80, 100, 120}, {1, 3}};
  result.max_drawdown.histogram = {{0.05, 0.175, 0.3}, {3, 1}};
  return report;
}

TEST(MonteCarloReportTest, FanBandsFollowThePercentiles) {
  const std::string page = RenderMonteCarloReport(TinyMonteCarlo(), kLibrary);
  // Levels sorted: the 5-95 band is the only pair, 50 the middle line.
  EXPECT_THAT(page, HasSubstr("class=\"band\" data-levels=\"5-95\" "
                              "data-low=\"100,90,80\" "
                              "data-high=\"100,112,120\""));
  EXPECT_THAT(page, HasSubstr("class=\"median\" data-level=\"50\" "
                              "data-values=\"100,101,104\""));
  EXPECT_THAT(page,
              HasSubstr("class=\"original\" data-values=\"100,110,105\""));
  EXPECT_THAT(page, Not(HasSubstr("data-levels=\"50")));
}

TEST(MonteCarloReportTest, HistogramsCountPathsPerBin) {
  const std::string page = RenderMonteCarloReport(TinyMonteCarlo(), kLibrary);
  const size_t final_equity = page.find("id=\"final-equity-histogram\"");
  const size_t drawdown = page.find("id=\"max-drawdown-histogram\"");
  ASSERT_NE(final_equity, std::string::npos);
  ASSERT_NE(drawdown, std::string::npos);
  const std::string equity_chart =
      page.substr(final_equity, drawdown - final_equity);
  EXPECT_THAT(equity_chart, HasSubstr("data-label=\"80\" data-value=\"1\""));
  EXPECT_THAT(equity_chart, HasSubstr("data-label=\"100\" data-value=\"3\""));
  EXPECT_THAT(equity_chart, HasSubstr("<title>[100, 120): 3 paths</title>"));
  EXPECT_THAT(page.substr(drawdown),
              HasSubstr("<title>[5.0%, 17.5%): 3 paths</title>"));
  EXPECT_THAT(page, HasSubstr("Monte Carlo of run <code>run-&lt;1&gt;</code>"));
  EXPECT_THAT(page, Not(HasSubstr("run-<1>")));
}

FactorStudy TinyStudy() {
  FactorStudy study;
  study.symbols = {"AAA", "BBB", "CCC"};
  study.times = 100;
  study.options.min_windows = 3;
  research::FactorIc momentum;
  momentum.factor = "momentum";
  momentum.windows = 4;
  momentum.mean_ic = 0.25;
  momentum.t_stat = 2.5;
  momentum.unreliable = false;
  momentum.series = {{.time = 86400, .ic = 0.2},
                     {.time = 2 * 86400, .ic = 0.3}};
  research::FactorIc noise;
  noise.factor = "<noise>";
  noise.windows = 2;
  noise.mean_ic = -0.1;
  noise.t_stat = -0.4;
  noise.unreliable = true;
  noise.series = {{.time = 86400, .ic = -0.1}};
  study.factors = {momentum, noise};
  return study;
}

TEST(FactorReportTest, BarsCarryMeanIcAndTStat) {
  const std::string page = RenderFactorReport(TinyStudy(), kLibrary);
  EXPECT_THAT(page, HasSubstr("data-label=\"momentum (t=2.50)\" "
                              "data-value=\"0.25\""));
  // The unreliable factor: grey, escaped, and said so.
  EXPECT_THAT(page, HasSubstr("data-label=\"&lt;noise&gt; (t=-0.40)\" "
                              "data-value=\"-0.1\""));
  EXPECT_THAT(page, HasSubstr("fill=\"#afb8c1\"><title>&lt;noise&gt;: mean "
                              "IC -0.1000 over 2 windows, UNRELIABLE"));
  EXPECT_THAT(page, HasSubstr("UNRELIABLE (2 windows &lt; 3)"));
  EXPECT_THAT(page, Not(HasSubstr("<noise>")));
}

TEST(FactorReportTest, EachFactorHasItsIcSeries) {
  const std::string page = RenderFactorReport(TinyStudy(), kLibrary);
  EXPECT_THAT(page, HasSubstr("<div class=\"chart\" id=\"ic-series-0\">"));
  EXPECT_THAT(page, HasSubstr("<div class=\"chart\" id=\"ic-series-1\">"));
  EXPECT_THAT(page, HasSubstr("{\"id\":\"ic-series-0\",\"name\":\"momentum\","
                              "\"series\":[{\"title\":\"IC\",\"color\":"
                              "\"#2962ff\",\"points\":[[86400,0.2],"
                              "[172800,0.3]]}]"));
  EXPECT_THAT(page, HasSubstr("\"name\":\"\\u003cnoise\\u003e\""));
}

}  // namespace
}  // namespace seed::cli
