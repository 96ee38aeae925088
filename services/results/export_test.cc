#include "services/results/export.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
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
  closed->set_borrow_fees(0.25);
  closed->set_slippage(1.5);
  closed->set_mae(-0.75);
  closed->set_mfe(2.5);
  closed->set_initial_stop(38.6);
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

  backtest::v1::Fill* entry = run.add_fills();
  entry->set_time(1420070400);
  entry->set_symbol(0);
  entry->set_side(backtest::v1::BUY);
  entry->set_quantity(100);
  entry->set_price(40.1);
  entry->set_raw_price(40.05);
  entry->set_commission(0.1);
  entry->set_slippage(5);
  entry->set_order_id(7);
  entry->set_type(backtest::v1::MARKET);
  entry->set_reason("sma 10 crossed above sma 30, up");
  backtest::v1::Fill* exit = run.add_fills();
  exit->set_time(1420243200);
  exit->set_symbol(0);
  exit->set_side(backtest::v1::SELL);
  exit->set_quantity(50);
  exit->set_price(42.35);
  exit->set_raw_price(42.35);
  exit->set_order_id(8);
  exit->set_type(backtest::v1::STOP);
  exit->set_role(backtest::v1::STOP_LOSS);
  exit->set_partial(true);
  exit->set_remaining_quantity(50);
  exit->set_gap(true);
  exit->set_same_bar_resolution("stop first (pessimistic)");
  exit->set_tag("exit");
  backtest::v1::Rejection* rejection = run.add_rejections();
  rejection->set_time(1420156800);
  rejection->set_symbol(0);
  rejection->set_side(backtest::v1::SELL);
  rejection->set_quantity(50);
  rejection->set_stage("portfolio");
  rejection->set_code("NOT_SHORTABLE");
  rejection->set_message("ORCL is not shortable");
  rejection->set_tag("t1");

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
            "gross_pnl,commission,net_pnl,exit_reason,r_multiple,borrow_fees,"
            "slippage,mae,mfe,initial_stop");
  EXPECT_EQ(lines[1],
            "ORCL,long,2015-01-01,40.1,2015-01-03,42.35,100,225,0.1,224.9,"
            "\"stop, gapped\",1.5,0.25,1.5,-0.75,2.5,38.6");
  EXPECT_EQ(lines[2],
            "ORCL,short,2015-01-05T09:30:00,43,,42.5,50,25,0,25,open,,0,0,0,0,"
            "0");
}

TEST(ExportRunTest, WritesFillsAndRejectionsWithTickersAndNames) {
  const std::filesystem::path dir = FreshDir("fills");
  ASSERT_TRUE(ExportRun(SampleRun(), dir.string()).ok());
  EXPECT_EQ(Read(dir / "fills.csv"),
            "time,symbol,side,quantity,price,raw_price,commission,slippage,"
            "order_id,type,role,partial,remaining_quantity,gap,"
            "same_bar_resolution,reason,tag\n"
            "2015-01-01,ORCL,buy,100,40.1,40.05,0.1,5,7,market,,0,0,0,,"
            "\"sma 10 crossed above sma 30, up\",\n"
            "2015-01-03,ORCL,sell,50,42.35,42.35,0,0,8,stop,stop_loss,1,50,1,"
            "stop first (pessimistic),,exit\n");
  EXPECT_EQ(Read(dir / "rejections.csv"),
            "time,symbol,side,quantity,order_id,stage,code,message,tag\n"
            "2015-01-02,ORCL,sell,50,0,portfolio,NOT_SHORTABLE,ORCL is not "
            "shortable,t1\n");
  // A run of one strategy has no attribution file.
  EXPECT_FALSE(std::filesystem::exists(dir / "strategies.csv"));
}

// A run of two strategies: the spec names them, the records say whose they
// are.
GetRunResponse TwoStrategyRun() {
  GetRunResponse run = SampleRun();
  run.set_canonical_spec(R"({"strategies": [
      {"name": "sma_cross", "id": "fast", "allocation": 0.75},
      {"name": "momentum", "id": "slow, careful", "allocation": 0.25}]})");
  run.mutable_trades(0)->set_strategy("fast");
  run.mutable_trades(1)->set_strategy("slow, careful");
  run.mutable_fills(1)->set_strategy(1);
  run.mutable_rejections(0)->set_strategy(1);
  run.mutable_equity(0)->add_strategy_equity(7500000);
  run.mutable_equity(0)->add_strategy_equity(2500000);
  backtest::v1::Metrics& metrics = *run.mutable_run()->mutable_metrics();
  backtest::v1::StrategyAttribution& fast = *metrics.add_strategies();
  fast.set_id("fast");
  fast.set_name("sma_cross");
  fast.set_allocation(0.75);
  fast.set_initial_equity(75000);
  fast.set_final_equity(7500000);
  fast.set_net_pnl(7425000);
  fast.set_total_return(99);
  fast.set_max_drawdown(0.125);
  fast.set_trades(1);
  fast.set_win_rate(1);
  fast.set_total_commission(0.1);
  fast.set_exposure(0.5);
  backtest::v1::StrategyAttribution& slow = *metrics.add_strategies();
  slow.set_id("slow, careful");
  slow.set_name("momentum");
  slow.set_allocation(0.25);
  slow.set_open_trades(1);
  return run;
}

TEST(ExportRunTest, ARunOfSeveralStrategiesNamesEachRecordsStrategy) {
  const std::filesystem::path dir = FreshDir("strategies");
  ASSERT_TRUE(ExportRun(TwoStrategyRun(), dir.string()).ok());
  const std::vector<std::string> trades = Lines(Read(dir / "trades.csv"));
  ASSERT_EQ(trades.size(), 3);
  EXPECT_EQ(trades[0], absl::StrCat(kTradesCsvHeader, ",strategy"));
  EXPECT_EQ(trades[1],
            "ORCL,long,2015-01-01,40.1,2015-01-03,42.35,100,225,0.1,224.9,"
            "\"stop, gapped\",1.5,0.25,1.5,-0.75,2.5,38.6,fast");
  EXPECT_EQ(trades[2],
            "ORCL,short,2015-01-05T09:30:00,43,,42.5,50,25,0,25,open,,0,0,0,0,"
            "0,\"slow, careful\"");
  const std::vector<std::string> fills = Lines(Read(dir / "fills.csv"));
  ASSERT_EQ(fills.size(), 3);
  EXPECT_EQ(fills[0], absl::StrCat(kFillsCsvHeader, ",strategy"));
  EXPECT_TRUE(absl::EndsWith(fills[1], ",fast")) << fills[1];
  EXPECT_TRUE(absl::EndsWith(fills[2], ",exit,\"slow, careful\"")) << fills[2];
  EXPECT_EQ(Read(dir / "rejections.csv"),
            absl::StrCat(kRejectionsCsvHeader,
                         ",strategy\n2015-01-02,ORCL,sell,50,0,portfolio,"
                         "NOT_SHORTABLE,ORCL is not shortable,t1,"
                         "\"slow, careful\"\n"));
  // Each sleeve's equity; the second point has none recorded.
  EXPECT_EQ(Read(dir / "equity.csv"),
            "time,cash,equity,equity_fast,\"equity_slow, careful\"\n"
            "2015-01-01,100000,10000000,7500000,2500000\n"
            "2015-01-02,0.1,123456.789,,\n");
  // Every StrategyAttribution field, unset ones empty.
  EXPECT_EQ(Read(dir / "strategies.csv"),
            "id,name,allocation,initial_equity,final_equity,net_pnl,"
            "total_return,max_drawdown,trades,open_trades,win_rate,"
            "total_commission,total_borrow_fees,exposure\n"
            "fast,sma_cross,0.75,75000,7500000,7425000,99,0.125,1,0,1,0.1,0,"
            "0.5\n"
            "\"slow, careful\",momentum,0.25,0,0,0,0,0,0,1,,0,0,\n");
  EXPECT_NE(Read(dir / "metrics.json")
                .find("\"strategies\": [\n    {\"id\": "
                      "\"fast\", \"name\": "
                      "\"sma_cross\", \"allocation\": "
                      "0.75,"),
            std::string::npos);
}

TEST(ExportRunTest, AStoredSpecThatDoesNotReadFailsBeforeWriting) {
  GetRunResponse run = SampleRun();
  run.set_canonical_spec("strategies: [a, b]");
  const std::filesystem::path dir = FreshDir("bad_spec");
  const absl::Status status = ExportRun(run, dir.string());
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("cannot export run run-1: its stored spec "
                                  "is not a backtest.v1.BacktestSpec in JSON"),
            std::string::npos)
      << status;
  EXPECT_FALSE(std::filesystem::exists(dir));
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
  for (const char* line : {"\"run_id\": \"run-1\"",
                           "\"name\": \"say \\\"hi\\\"\"",
                           "\"state\": \"SUCCEEDED\"",
                           "\"final_equity\": 10000000",
                           "\"total_return\": 99",
                           "\"trades\": 1",
                           "\"sharpe\": 1.25",
                           "\"cagr\": null",
                           "\"win_rate\": null",
                           "\"exposure\": null",
                           "\"sharpe_ci\": null",
                           "\"max_drawdown_detail\": null",
                           "\"monthly_returns\": []",
                           "\"total_slippage\": 0",
                           "\"benchmark\": \"\"",
                           "\"benchmark_return\": null",
                           "\"beta\": null",
                           "\"alpha\": null",
                           "\"correlation\": null",
                           "\"spec_hash\": \"spec-hash\"",
                           "\"data_hash\": \"data-hash\"",
                           "\"engine_version\": \"0.1.0\"",
                           "\"error\": null"}) {
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
  metrics.set_sortino(1.75);
  metrics.set_calmar(0.5);
  metrics.set_expectancy(224.9);
  metrics.set_average_win(224.9);
  metrics.set_average_loss(-10);
  metrics.set_median_trade(224.9);
  metrics.set_expectancy_without_top5(-1);
  metrics.set_average_r(1.5);
  metrics.set_turnover(3);
  metrics.set_benchmark("SPY");
  metrics.set_benchmark_return(0.32);
  metrics.set_beta(1.5);
  metrics.set_alpha(-0.25);
  metrics.set_correlation(0.75);
  backtest::v1::ConfidenceInterval& sharpe_ci = *metrics.mutable_sharpe_ci();
  sharpe_ci.set_low(-0.5);
  sharpe_ci.set_high(2.25);
  sharpe_ci.set_level(0.95);
  sharpe_ci.set_resamples(1000);
  sharpe_ci.set_defined(true);
  metrics.mutable_expectancy_ci()->set_level(0.95);
  backtest::v1::Drawdown& drawdown = *metrics.mutable_max_drawdown_detail();
  drawdown.set_peak_time("2015-01-01");
  drawdown.set_trough_time("2015-01-02");
  drawdown.set_duration_days(1);
  for (const auto& [period, value] :
       std::vector<std::pair<std::string, double>>{{"2015-01", 0.01},
                                                   {"2015-02", -0.02}}) {
    backtest::v1::PeriodReturn& month = *metrics.add_monthly_returns();
    month.set_period(period);
    month.set_value(value);
  }
  metrics.add_yearly_returns()->set_period("2015");
  backtest::v1::RBucket& bucket = *metrics.add_r_distribution();
  bucket.set_from(1);
  bucket.set_to(1.5);
  bucket.set_trades(2);
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
  // Nested messages are objects with every field; repeated messages are
  // arrays, one element per line.
  for (const char* text :
       {"\"sharpe_ci\": {\"low\": -0.5, \"high\": 2.25, \"level\": 0.95, "
        "\"resamples\": 1000, \"defined\": true}",
        "\"expectancy_ci\": {\"low\": 0, \"high\": 0, \"level\": 0.95, "
        "\"resamples\": 0, \"defined\": false}",
        "\"max_drawdown_detail\": {\"peak_time\": \"2015-01-01\", "
        "\"trough_time\": \"2015-01-02\", \"recovery_time\": \"\", "
        "\"duration_days\": 1}",
        "\"monthly_returns\": [\n    {\"period\": \"2015-01\", \"value\": "
        "0.01},\n    {\"period\": \"2015-02\", \"value\": -0.02}\n  ]",
        "\"yearly_returns\": [\n    {\"period\": \"2015\", \"value\": 0}\n  "
        "]",
        "\"r_distribution\": [\n    {\"from\": 1, \"to\": 1.5, \"trades\": "
        "2}\n  ]",
        "\"benchmark\": \"SPY\"", "\"benchmark_return\": 0.32", "\"beta\": 1.5",
        "\"alpha\": -0.25", "\"correlation\": 0.75"}) {
    EXPECT_NE(json.find(text), std::string::npos) << text << " in\n" << json;
  }
  // And the whole file is JSON.
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok())
      << json;
  EXPECT_EQ(parsed.fields().at("monthly_returns").list_value().values_size(),
            2);
  EXPECT_EQ(parsed.fields()
                .at("sharpe_ci")
                .struct_value()
                .fields()
                .at("high")
                .number_value(),
            2.25);
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
