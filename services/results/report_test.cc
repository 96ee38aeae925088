#include "services/results/report.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::results {
namespace {

namespace v1 = ::backtest::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kDay = 86400;
constexpr int64_t kJan2 = 1420156800;  // 2015-01-02, a Friday
constexpr int64_t kJan5 = kJan2 + 3 * kDay;
constexpr int64_t kJan6 = kJan2 + 4 * kDay;
constexpr char kLibrary[] =
    "/* fake chart library */ window.LightweightCharts = {};";

v1::GetRunResponse SucceededRun() {
  v1::GetRunResponse run;
  v1::RunSummary& summary = *run.mutable_run();
  summary.set_run_id("20150106-abc");
  summary.set_name("sma <b>cross</b>");
  summary.set_state(v1::SUCCEEDED);
  summary.set_strategy("sma_cross");
  summary.add_symbols("SYN");
  summary.set_first_time("2015-01-02");
  summary.set_last_time("2015-01-06");
  summary.set_spec_hash("spec-hash-1");
  summary.set_data_hash("data-hash-1");
  summary.set_engine_version("0.3.0");
  run.set_canonical_spec("{\"name\":\"sma \\u003cb\\u003ecross\"}");
  (*run.mutable_symbol_hashes())["SYN"] = "syn-hash";
  v1::Metrics& metrics = *summary.mutable_metrics();
  metrics.set_initial_equity(100000);
  metrics.set_final_equity(99000);
  metrics.set_total_return(-0.01);
  metrics.set_max_drawdown(0.1);
  metrics.set_trades(1);
  metrics.set_sharpe(1.25);
  metrics.mutable_sharpe_ci()->set_defined(true);
  metrics.mutable_sharpe_ci()->set_low(-1.5);
  metrics.mutable_sharpe_ci()->set_high(0.5);
  metrics.mutable_sharpe_ci()->set_level(0.95);
  metrics.mutable_max_drawdown_detail()->set_peak_time("2015-01-05");
  metrics.mutable_max_drawdown_detail()->set_trough_time("2015-01-06");
  v1::PeriodReturn* january = metrics.add_monthly_returns();
  january->set_period("2015-01");
  january->set_value(0.05);
  v1::PeriodReturn* february = metrics.add_monthly_returns();
  february->set_period("2015-02");
  february->set_value(-0.10);
  v1::PeriodReturn* year = metrics.add_yearly_returns();
  year->set_period("2015");
  year->set_value(-0.055);
  const std::pair<int64_t, double> equity[] = {
      {kJan2, 100000}, {kJan5, 110000}, {kJan6, 99000}};
  for (const auto& [time, value] : equity) {
    v1::EquityPoint* point = run.add_equity();
    point->set_time(time);
    point->set_cash(value);
    point->set_equity(value);
  }
  v1::Trade* trade = run.add_trades();
  trade->set_symbol("SYN");
  trade->set_side(v1::BUY);
  trade->set_entry_time(kJan5);
  trade->set_entry_price(11);
  trade->set_exit_time(kJan6);
  trade->set_exit_price(12);
  trade->set_quantity(100);
  trade->set_net_pnl(99);
  trade->set_commission(1);
  trade->set_exit_reason("signal");
  return run;
}

PriceData SynBars() {
  PriceData prices;
  v1::BarSeries& series = prices.series.emplace_back();
  series.set_symbol("SYN");
  const double bars[3][5] = {{10, 11, 9, 10.5, 1000},
                             {10.5, 12, 10, 11.5, 1200},
                             {11.5, 12.5, 11, 12, 900}};
  const int64_t times[3] = {kJan2, kJan5, kJan6};
  for (int i = 0; i < 3; ++i) {
    series.add_time(times[i]);
    series.add_open(bars[i][0]);
    series.add_high(bars[i][1]);
    series.add_low(bars[i][2]);
    series.add_close(bars[i][3]);
    series.add_volume(bars[i][4]);
  }
  return prices;
}

TEST(ReportTest, InlinesTheChartLibraryAndTheChartData) {
  const std::string html =
      RenderHtmlReport(SucceededRun(), SynBars(), kLibrary);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(html,
              HasSubstr(absl::StrCat("<script id=\"lightweight-charts\">\n",
                                     kLibrary, "\n</script>")));
  // Drawdown in percent below the running peak: 99000 / 110000 - 1 = -10%.
  EXPECT_THAT(html, HasSubstr(absl::StrCat(
                        "\"equity\":[[", kJan2, ",100000],[", kJan5,
                        ",110000],[", kJan6, ",99000]],\"drawdown\":[[", kJan2,
                        ",0],[", kJan5, ",0],[", kJan6, ",-10]]")));
  EXPECT_THAT(html, HasSubstr(absl::StrCat(
                        "{\"symbol\":\"SYN\",\"group\":1,\"candles\":[[", kJan2,
                        ",10,11,9,10.5],[", kJan5, ",10.5,12,10,11.5],[", kJan6,
                        ",11.5,12.5,11,12]],\"markers\":[[", kJan5, ",\"B\"],[",
                        kJan6, ",\"S\"]]}")));
  EXPECT_THAT(html, HasSubstr("\"intraday\":false"));
  EXPECT_THAT(html, HasSubstr("id=\"equity-chart\""));
  EXPECT_THAT(html, HasSubstr("id=\"price-chart-0\""));
  EXPECT_THAT(html, HasSubstr("<body data-render=\"pending\">"));
}

TEST(ReportTest, MonthlyHeatmapIsYearsByMonthsScaledToTheLargestMove) {
  const std::string html =
      RenderHtmlReport(SucceededRun(), SynBars(), kLibrary);
  EXPECT_THAT(html, HasSubstr("<tr><th></th><th>Jan</th><th>Feb</th>"));
  // -10% is the largest move: full loss color, white text. +5% is half way
  // from white to the gain color (26,152,80): (141,204,168).
  EXPECT_THAT(
      html, HasSubstr("<tr><th>2015</th><td class=\"heat\" data-value=\"0.05\" "
                      "style=\"background:#8dcca8\">5.0%</td><td "
                      "class=\"heat\" data-value=\"-0.1\" "
                      "style=\"background:#d73027;color:#fff\">-10.0%</td>"
                      "<td class=\"heat empty\"></td>"));
  EXPECT_THAT(html, HasSubstr("data-value=\"-0.055\""));
  EXPECT_THAT(html, HasSubstr(">-5.5%</td></tr>"));
}

TEST(ReportTest, SummaryTradesAndFingerprint) {
  const std::string html =
      RenderHtmlReport(SucceededRun(), SynBars(), kLibrary);
  EXPECT_THAT(html, HasSubstr("<th>Total return</th><td>-1.00%</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Sharpe</th><td>1.25</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Final equity</th><td>99,000.00</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Max drawdown</th><td>-10.00%</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Drawdown trough</th><td>2015-01-06</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Recovered</th><td>not yet</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Sharpe 95% CI</th><td>-1.50 .. 0.50</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Expectancy CI</th><td>-</td>"));
  EXPECT_THAT(html, HasSubstr("<table id=\"trade-table\" class=\"sortable\">"));
  EXPECT_THAT(html, HasSubstr("<th data-type=\"number\">Net P&amp;L</th>"));
  // Sort keys: epoch seconds for times, the plain number for money.
  EXPECT_THAT(html, HasSubstr(absl::StrCat("<td class=\"num\" data-sort=\"",
                                           kJan5, "\">2015-01-05</td>")));
  EXPECT_THAT(html, HasSubstr("data-sort=\"99\">99.00</td>"));
  // Return: 99 net on an entry value of 11 x 100.
  EXPECT_THAT(html, HasSubstr(">9.00%</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Spec hash</th><td>spec-hash-1</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Data hash</th><td>data-hash-1</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Engine version</th><td>0.3.0</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Data of SYN</th><td>syn-hash</td>"));
  EXPECT_THAT(html,
              HasSubstr("<pre id=\"canonical-spec\">{&quot;name&quot;:&quot;"
                        "sma \\u003cb\\u003ecross&quot;}</pre>"));
  EXPECT_THAT(html, Not(HasSubstr("id=\"failure\"")));
  // No benchmark: no comparison rows.
  EXPECT_THAT(html, Not(HasSubstr("<th>Beta</th>")));
}

TEST(ReportTest, ARunOfSeveralStrategiesListsEachOne) {
  v1::GetRunResponse run = SucceededRun();
  EXPECT_THAT(RenderHtmlReport(run, SynBars(), kLibrary),
              Not(HasSubstr("id=\"strategies\"")));
  v1::StrategyAttribution& fast =
      *run.mutable_run()->mutable_metrics()->add_strategies();
  fast.set_id("fast <1>");
  fast.set_name("sma_cross");
  fast.set_allocation(0.6);
  fast.set_final_equity(66000);
  fast.set_net_pnl(6000);
  fast.set_total_return(0.1);
  fast.set_max_drawdown(0.05);
  fast.set_trades(3);
  fast.set_open_trades(1);
  fast.set_win_rate(2.0 / 3);
  fast.set_exposure(0.25);
  fast.set_total_commission(12.5);
  const std::string html = RenderHtmlReport(run, SynBars(), kLibrary);
  EXPECT_THAT(html, HasSubstr("<tr><td>fast &lt;1&gt;</td><td>sma_cross</td>"
                              "<td class=\"num\">60.00%</td>"
                              "<td class=\"num\">66,000.00</td>"
                              "<td class=\"num\">6,000.00</td>"
                              "<td class=\"num\">10.00%</td>"
                              "<td class=\"num\">-5.00%</td>"
                              "<td class=\"num\">3 (+1 open)</td>"
                              "<td class=\"num\">66.67%</td>"
                              "<td class=\"num\">25.00%</td>"
                              "<td class=\"num\">12.50</td></tr>"));
  // After the account's summary.
  EXPECT_LT(html.find("id=\"summary\""), html.find("id=\"strategies\""));
}

TEST(ReportTest, SummaryComparesWithTheBenchmark) {
  v1::GetRunResponse run = SucceededRun();
  v1::Metrics& metrics = *run.mutable_run()->mutable_metrics();
  metrics.set_benchmark("S&P");
  metrics.set_benchmark_return(0.1234);
  metrics.set_beta(1.5);
  metrics.set_alpha(-0.021);
  const std::string html = RenderHtmlReport(run, SynBars(), kLibrary);
  EXPECT_THAT(html, HasSubstr("<th>Benchmark</th><td>S&amp;P</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Benchmark return</th><td>12.34%</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Beta</th><td>1.50</td>"));
  EXPECT_THAT(html, HasSubstr("<th>Alpha / year</th><td>-2.10%</td>"));
  // Unset (the strategy had no variance): shown as such.
  EXPECT_THAT(html, HasSubstr("<th>Correlation</th><td>-</td>"));
}

TEST(ReportTest, EscapesTheRunsTextEverywhere) {
  v1::GetRunResponse run = SucceededRun();
  run.mutable_trades(0)->set_symbol("</script><b>");
  PriceData prices = SynBars();
  prices.series[0].set_symbol("</script><b>");
  const std::string html =
      RenderHtmlReport(run, prices, "var s = '</script>'; // <!-- x");
  EXPECT_THAT(html, HasSubstr("<h1>sma &lt;b&gt;cross&lt;/b&gt;</h1>"));
  EXPECT_THAT(html, Not(HasSubstr("<b>cross")));
  EXPECT_THAT(html,
              HasSubstr("\"symbol\":\"\\u003c/script\\u003e\\u003cb\\u003e\""));
  EXPECT_THAT(html, HasSubstr("var s = '<\\/script>'; // <\\!-- x"));
  EXPECT_THAT(html, Not(HasSubstr("</script><b>")));
}

TEST(ReportTest, FailedRunShowsWhereItFailedAndWhyThereAreNoCharts) {
  v1::GetRunResponse run = SucceededRun();
  v1::RunSummary& summary = *run.mutable_run();
  summary.set_state(v1::FAILED);
  summary.clear_metrics();
  summary.clear_first_time();
  run.clear_equity();
  run.clear_trades();
  v1::StageError& error = *summary.mutable_error();
  error.set_stage("data");
  error.set_reason("NO_BARS_IN_RANGE");
  error.set_symbol("SYN");
  error.set_bar_time("2015-01-05");
  error.set_message("SYN has no bars in 2020-01-01..2020-12-31");
  error.set_hint("widen data.start/end");
  PriceData prices;
  prices.notes.push_back("the data cannot be read now: no file SYN.csv");
  const std::string html = RenderHtmlReport(run, prices, kLibrary);
  EXPECT_THAT(html, HasSubstr("<section id=\"failure\" class=\"failure\"><h2>"
                              "Run failed</h2>"));
  EXPECT_THAT(html, HasSubstr("<tr><th>Stage</th><td>data</td></tr>"));
  EXPECT_THAT(html,
              HasSubstr("<tr><th>Reason</th><td>NO_BARS_IN_RANGE</td></tr>"));
  EXPECT_THAT(html, HasSubstr("<tr><th>Symbol</th><td>SYN</td></tr>"));
  EXPECT_THAT(html, HasSubstr("<tr><th>Bar</th><td>2015-01-05</td></tr>"));
  EXPECT_THAT(html,
              HasSubstr("<tr><th>Hint</th><td>widen data.start/end</td>"));
  // The failure comes before everything else of the run.
  EXPECT_LT(html.find("id=\"failure\""), html.find("id=\"summary\""));
  EXPECT_THAT(html, HasSubstr("No price charts: the bars could not be read."));
  EXPECT_THAT(html, HasSubstr("the data cannot be read now: no file SYN.csv"));
  EXPECT_THAT(html, HasSubstr("No equity was recorded."));
  EXPECT_THAT(html, HasSubstr("\"equity\":[],\"drawdown\":[],\"prices\":[]"));
  EXPECT_THAT(html, Not(HasSubstr("id=\"equity-chart\"")));
  EXPECT_THAT(html, Not(HasSubstr("id=\"heatmap\"")));
}

TEST(ReportTest, LongSeriesAreMergedWithoutLosingExtremes) {
  v1::GetRunResponse run = SucceededRun();
  run.clear_equity();
  run.clear_trades();
  PriceData prices;
  v1::BarSeries& series = prices.series.emplace_back();
  series.set_symbol("MIN");
  constexpr int kBars = 2 * kMaxChartPoints + 1;     // groups of 3
  constexpr int64_t kStart = kJan2 + 9 * 3600 + 60;  // 09:01, intraday
  for (int i = 0; i < kBars; ++i) {
    series.add_time(kStart + 60 * i);
    series.add_open(70 + i);
    series.add_high(100 + i);
    series.add_low(50 - i);
    series.add_close(80 + i);
    series.add_volume(1);
    v1::EquityPoint* point = run.add_equity();
    point->set_time(kStart + 60 * i);
    point->set_equity(i == 1 ? 50 : 100);  // a one-bar 50% dip
  }
  const std::string html = RenderHtmlReport(run, prices, kLibrary);
  // First candle: open of bar 0, the highest high and lowest low of bars
  // 0..2, close of bar 2, stamped with bar 2's time.
  EXPECT_THAT(html, HasSubstr(absl::StrCat("\"group\":3,\"candles\":[[",
                                           kStart + 120, ",70,102,48,82],")));
  // The merged equity point keeps the dip.
  EXPECT_THAT(
      html, HasSubstr(absl::StrCat("\"drawdown\":[[", kStart + 120, ",-50],")));
  EXPECT_THAT(html, HasSubstr("\"intraday\":true"));
  EXPECT_THAT(html, HasSubstr("each candle merges 3 bars"));
  const size_t candles = html.find("\"candles\":");
  const size_t markers = html.find("\"markers\":", candles);
  int count = 0;
  for (size_t at = candles; (at = html.find("],[", at)) < markers; ++at)
    ++count;
  EXPECT_EQ(count + 1, (kBars + 2) / 3);
}

TEST(ReportTest, ReadChartsLibraryNamesThePathAndTheFix) {
  const std::string missing =
      (std::filesystem::path(::testing::TempDir()) / "no-such-charts.js")
          .string();
  const absl::StatusOr<std::string> library = ReadChartsLibrary(missing);
  ASSERT_FALSE(library.ok());
  EXPECT_EQ(library.status().code(), absl::StatusCode::kFailedPrecondition);
  const v1::StageError error = ToStageError(library.status(), "bt");
  EXPECT_EQ(error.stage(), "results");
  EXPECT_EQ(error.reason(), "CHARTS_LIBRARY_MISSING");
  EXPECT_THAT(std::string(library.status().message()), HasSubstr(missing));
  EXPECT_THAT(error.hint(), HasSubstr("scripts/setup.sh"));

  const std::string present =
      (std::filesystem::path(::testing::TempDir()) / "charts.js").string();
  std::ofstream(present) << kLibrary;
  EXPECT_EQ(*ReadChartsLibrary(present), kLibrary);
}

}  // namespace
}  // namespace seed::results
