#include "services/results/export.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace seed::results {
namespace {

using ::backtest::v1::GetRunResponse;

std::string Read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

GetRunResponse SampleRun() {
  GetRunResponse run;
  backtest::v1::RunSummary& summary = *run.mutable_run();
  summary.set_run_id("run-1");
  summary.set_name("say \"hi\"");
  summary.set_state(backtest::v1::SUCCEEDED);
  summary.set_strategy("sma_cross");
  summary.add_symbols("ORCL");
  summary.set_spec_hash("spec-hash");
  summary.set_data_hash("data-hash");
  summary.set_engine_version("0.1.0");
  backtest::v1::Metrics& metrics = *summary.mutable_metrics();
  metrics.set_initial_equity(100000);
  metrics.set_final_equity(10000000);
  metrics.set_total_return(99);
  metrics.set_trades(1);
  metrics.set_open_trades(1);
  metrics.set_periods_per_year(252);
  metrics.set_sharpe(1.25);

  backtest::v1::Trade* closed = run.add_trades();
  closed->set_symbol("ORCL");
  closed->set_side(backtest::v1::BUY);
  closed->set_entry_time(1420070400);  // 2015-01-01
  closed->set_entry_price(40.1);
  closed->set_exit_time(1420243200);  // 2015-01-03
  closed->set_exit_price(42.35);
  closed->set_quantity(100);
  closed->set_gross_pnl(225);
  closed->set_commission(0.1);
  closed->set_net_pnl(224.9);
  closed->set_exit_reason("stop, gapped");
  closed->set_r_multiple(1.5);
  backtest::v1::Trade* open = run.add_trades();
  open->set_symbol("ORCL");
  open->set_side(backtest::v1::SELL);
  open->set_entry_time(1420416000 + 34200);  // 2015-01-05T09:30:00
  open->set_entry_price(43);
  open->set_exit_time(0);
  open->set_exit_price(42.5);
  open->set_quantity(50);
  open->set_gross_pnl(25);
  open->set_commission(0);
  open->set_net_pnl(25);
  open->set_exit_reason("whatever the portfolio said");

  backtest::v1::EquityPoint* point = run.add_equity();
  point->set_time(1420070400);
  point->set_cash(100000);
  point->set_equity(10000000);
  point = run.add_equity();
  point->set_time(1420156800);
  point->set_cash(0.1);
  point->set_equity(123456.789);
  return run;
}

std::filesystem::path FreshDir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / "export_test" / name;
  std::filesystem::remove_all(dir);
  return dir / "nested";  // ExportRun creates it
}

TEST(ExportRunTest, WritesTradesWithAnOpenTradeRow) {
  const std::filesystem::path dir = FreshDir("trades");
  ASSERT_TRUE(ExportRun(SampleRun(), dir.string()).ok());
  const std::vector<std::string> lines = Lines(Read(dir / "trades.csv"));
  ASSERT_EQ(lines.size(), 3);
  EXPECT_EQ(lines[0],
            "symbol,side,entry_time,entry_price,exit_time,exit_price,quantity,"
            "gross_pnl,commission,net_pnl,exit_reason,r_multiple");
  EXPECT_EQ(lines[1],
            "ORCL,long,2015-01-01,40.1,2015-01-03,42.35,100,225,0.1,224.9,"
            "\"stop, gapped\",1.5");
  EXPECT_EQ(lines[2],
            "ORCL,short,2015-01-05T09:30:00,43,,42.5,50,25,0,25,open,");
}

TEST(ExportRunTest, WritesEquityInPlainDecimals) {
  const std::filesystem::path dir = FreshDir("equity");
  ASSERT_TRUE(ExportRun(SampleRun(), dir.string()).ok());
  EXPECT_EQ(Read(dir / "equity.csv"),
            "time,cash,equity\n"
            "2015-01-01,100000,10000000\n"
            "2015-01-02,0.1,123456.789\n");
}

TEST(ExportRunTest, WritesEveryMetricWithNullForUnset) {
  const std::filesystem::path dir = FreshDir("metrics");
  ASSERT_TRUE(ExportRun(SampleRun(), dir.string()).ok());
  const std::string json = Read(dir / "metrics.json");
  for (const char* line :
       {"\"run_id\": \"run-1\"", "\"name\": \"say \\\"hi\\\"\"",
        "\"state\": \"SUCCEEDED\"", "\"final_equity\": 10000000",
        "\"total_return\": 99", "\"trades\": 1", "\"sharpe\": 1.25",
        "\"cagr\": null", "\"win_rate\": null", "\"exposure\": null",
        "\"spec_hash\": \"spec-hash\"", "\"data_hash\": \"data-hash\"",
        "\"engine_version\": \"0.1.0\"", "\"error\": null"}) {
    EXPECT_NE(json.find(line), std::string::npos) << line << " in\n" << json;
  }
  // Every Metrics field appears under its proto name.
  const google::protobuf::Descriptor* metrics =
      backtest::v1::Metrics::descriptor();
  for (int i = 0; i < metrics->field_count(); ++i) {
    EXPECT_NE(json.find("\"" + metrics->field(i)->name() + "\": "),
              std::string::npos)
        << metrics->field(i)->name();
  }
}

TEST(ExportRunTest, EverySetMetricHasAValue) {
  // Catches a Metrics field of a type the exporter does not write yet.
  GetRunResponse run = SampleRun();
  backtest::v1::Metrics& metrics = *run.mutable_run()->mutable_metrics();
  metrics.set_cagr(0.1);
  metrics.set_annual_volatility(0.2);
  metrics.set_win_rate(0.5);
  metrics.set_profit_factor(2);
  metrics.set_exposure(0.25);
  const std::filesystem::path dir = FreshDir("all_set");
  ASSERT_TRUE(ExportRun(run, dir.string()).ok());
  const std::string json = Read(dir / "metrics.json");
  const google::protobuf::Descriptor* descriptor =
      backtest::v1::Metrics::descriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    EXPECT_EQ(json.find("\"" + descriptor->field(i)->name() + "\": null"),
              std::string::npos)
        << descriptor->field(i)->name();
  }
}

TEST(ExportRunTest, UnwritableDirectoryFails) {
  const std::filesystem::path dir = FreshDir("blocked");
  std::filesystem::create_directories(dir.parent_path());
  std::ofstream(dir.string()) << "a file where the directory should be";
  const absl::Status status = ExportRun(SampleRun(), (dir / "x").string());
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(dir.string()), std::string::npos) << status;
}

}  // namespace
}  // namespace seed::results
