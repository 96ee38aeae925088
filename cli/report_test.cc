#include "cli/report.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ReportTest, SummaryShowsEveryHeadlineMetric) {
  v1::RunSummary run;
  run.set_run_id("r1");
  run.set_name("demo");
  run.set_state(v1::SUCCEEDED);
  run.set_strategy("sma_cross");
  run.add_symbols("ORCL");
  run.set_first_time("1995-01-03");
  v1::Metrics& m = *run.mutable_metrics();
  m.set_total_return(0.5);
  m.set_cagr(0.1);
  m.set_sharpe(0.75);
  m.set_max_drawdown(0.2);
  m.set_trades(12);
  m.set_open_trades(1);
  m.set_win_rate(0.25);
  m.set_final_equity(150000);
  const std::string text = FormatSummary(run);
  EXPECT_THAT(text, HasSubstr("50.00%"));
  EXPECT_THAT(text, HasSubstr("10.00%"));
  EXPECT_THAT(text, HasSubstr("0.75"));
  EXPECT_THAT(text, HasSubstr("-20.00%"));
  EXPECT_THAT(text, HasSubstr("12 (+1 open)"));
  EXPECT_THAT(text, HasSubstr("25.00%"));
  EXPECT_THAT(text, HasSubstr("150000.00"));
  // No losing trade: profit factor is undefined, shown as a dash.
  EXPECT_THAT(text, HasSubstr("profit factor                 -"));
}

TEST(ReportTest, FailedRunNamesStageSymbolAndBar) {
  v1::RunSummary run;
  run.set_state(v1::FAILED);
  v1::StageError& error = *run.mutable_error();
  error.set_stage("data");
  error.set_reason("NO_BARS_IN_RANGE");
  error.set_message("no bars for XYZ");
  error.set_symbol("XYZ");
  error.set_bar_time("2020-01-02");
  const std::string text = FormatSummary(run);
  EXPECT_THAT(text, HasSubstr("FAILED in data at XYZ 2020-01-02: no bars"));
  EXPECT_THAT(text, Not(HasSubstr("total return")));
}

}  // namespace
}  // namespace seed::cli
