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

TEST(ReportTest, RunThatFailedAfterReadingDataShowsPartialResults) {
  v1::RunSummary run;
  run.set_state(v1::FAILED);
  run.set_first_time("2020-01-02");
  run.mutable_metrics()->set_total_return(0.01);
  v1::StageError& error = *run.mutable_error();
  error.set_stage("strategy");
  error.set_reason("STRATEGY_FAILED");
  error.set_message("division by zero");
  const std::string text = FormatSummary(run);
  EXPECT_THAT(text, HasSubstr("\npartial results, up to the failure:\n"));
  EXPECT_THAT(text, HasSubstr("total return"));
}

TEST(ReportTest, CancelledRunSaysCancelledNotFailed) {
  v1::RunSummary run;
  run.set_state(v1::CANCELLED);
  run.set_first_time("2020-01-02");
  run.mutable_metrics()->set_total_return(0.01);
  v1::StageError& error = *run.mutable_error();
  error.set_stage("coordinator");
  error.set_reason("CANCELLED");
  error.set_message("cancelled by request after 4096 steps");
  const std::string text = FormatSummary(run);
  EXPECT_THAT(text, HasSubstr("CANCELLED: cancelled by request after 4096 "
                              "steps\n"));
  EXPECT_THAT(text, Not(HasSubstr("FAILED")));
  EXPECT_THAT(text, HasSubstr("partial results, up to the cancel:"));
}

// A run of two strategies: after the account's metrics, one row each, and
// every trade and rejection says whose it was.
TEST(ReportTest, DetailsOfARunOfSeveralStrategiesShowEachOne) {
  v1::GetRunResponse run;
  v1::RunSummary& summary = *run.mutable_run();
  summary.set_state(v1::SUCCEEDED);
  summary.set_strategy("fast+slow");
  summary.set_first_time("1995-01-03");
  v1::Metrics& m = *summary.mutable_metrics();
  m.set_final_equity(110000);
  v1::StrategyAttribution& fast = *m.add_strategies();
  fast.set_id("fast");
  fast.set_name("sma_cross");
  fast.set_allocation(0.6);
  fast.set_final_equity(66000);
  fast.set_total_return(0.1);
  fast.set_max_drawdown(0.05);
  fast.set_trades(3);
  fast.set_open_trades(1);
  fast.set_win_rate(2.0 / 3);
  fast.set_exposure(0.25);
  v1::StrategyAttribution& slow = *m.add_strategies();
  slow.set_id("slow");
  slow.set_name("momentum");
  slow.set_allocation(0.4);
  slow.set_final_equity(44000);
  slow.set_total_return(0.1);
  v1::Trade& trade = *run.add_trades();
  trade.set_symbol("ORCL");
  trade.set_exit_reason("signal");
  trade.set_strategy("slow");
  v1::Rejection& rejection = *run.add_rejections();
  rejection.set_stage("portfolio");
  rejection.set_code("MAX_POSITIONS");
  rejection.set_message("3 positions held");
  rejection.set_strategy(0);

  const std::string text = FormatRunDetails(run);
  EXPECT_THAT(text,
              HasSubstr("\nstrategies (definitions: docs/metrics.md)\n"
                        "  ID             STRATEGY           ALLOC   FINAL "
                        "EQUITY    RETURN    MAX DD     TRADES  WIN RATE  "
                        "EXPOSURE\n"
                        "  fast           sma_cross         60.00%       "
                        "66000.00    10.00%    -5.00%     3 (+1)    66.67%    "
                        "25.00%\n"
                        "  slow           momentum          40.00%       "
                        "44000.00    10.00%     0.00%          0         -    "
                        "     -\n"));
  EXPECT_LT(text.find("more metrics"), text.find("strategies ("));
  EXPECT_LT(text.find("strategies ("), text.find("fingerprint"));
  EXPECT_THAT(text, HasSubstr("signal  [slow]\n"));
  EXPECT_THAT(text, HasSubstr("MAX_POSITIONS: 3 positions held  [fast]\n"));
}

TEST(ReportTest, DetailsOfARunOfOneHaveNoStrategyTable) {
  v1::GetRunResponse run;
  run.mutable_run()->set_state(v1::SUCCEEDED);
  run.mutable_run()->set_first_time("1995-01-03");
  run.mutable_run()->mutable_metrics()->set_final_equity(1000);
  run.add_trades()->set_exit_reason("signal");
  const std::string text = FormatRunDetails(run);
  EXPECT_THAT(text, Not(HasSubstr("strategies (")));
  EXPECT_THAT(text, Not(HasSubstr("[")));
}

}  // namespace
}  // namespace seed::cli
