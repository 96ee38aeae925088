#include "services/results/results_engine.h"

#include <cmath>
#include <filesystem>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/results/metrics.h"
#include "services/results/postgres_database.h"
#include "services/results/test_database.h"

namespace seed::results {
namespace {

using ::backtest::v1::AppendRecordsRequest;
using ::backtest::v1::AppendRecordsResponse;
using ::backtest::v1::BeginRunRequest;
using ::backtest::v1::BeginRunResponse;
using ::backtest::v1::EquityPoint;
using ::backtest::v1::FinishRunRequest;
using ::backtest::v1::FinishRunResponse;
using ::backtest::v1::GetRunRequest;
using ::backtest::v1::GetRunResponse;
using ::backtest::v1::ListRunsRequest;
using ::backtest::v1::ListRunsResponse;
using ::backtest::v1::Trade;
using ::google::protobuf::util::MessageDifferencer;

constexpr int64_t kDay = 86400;
constexpr int64_t kStart = 1420070400;  // 2015-01-01

// Every run is begun with it: the metrics must be measured as it says.
backtest::v1::MetricsSpec MetricsSpec() {
  backtest::v1::MetricsSpec spec;
  spec.set_risk_free_rate(0.02);
  spec.set_bootstrap_resamples(200);
  spec.set_bootstrap_seed(7);
  return spec;
}

// Every test runs on a SQLite file and on a PostgreSQL database.
class ResultsEngineTest : public testing::TestWithParam<Driver> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> path = FreshDatabase(GetParam());
    ASSERT_TRUE(path.ok()) << path.status();
    path_ = *path;
    absl::StatusOr<std::unique_ptr<ResultsEngine>> engine =
        ResultsEngine::Open(path_);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
  }

  absl::Status Begin(const std::string& run_id,
                     const std::string& strategy = "sma_cross",
                     const std::string& created_at = "",
                     const backtest::v1::MetricsSpec& metrics = MetricsSpec(),
                     const std::string& canonical_spec = "") {
    BeginRunRequest request;
    request.set_canonical_spec(canonical_spec);
    request.mutable_run()->set_run_id(run_id);
    request.mutable_run()->set_created_at(created_at);
    request.mutable_run()->set_name("demo");
    request.mutable_run()->set_strategy(strategy);
    request.mutable_run()->add_symbols("ORCL");
    request.set_initial_cash(1000);
    request.set_interval_seconds(kDay);
    *request.mutable_metrics() = metrics;
    BeginRunResponse response;
    absl::Status status = engine_->BeginRun(request, &response);
    if (status.ok()) {
      EXPECT_EQ(response.location(), engine_->database_path());
    }
    return status;
  }

  std::string path_;
  std::unique_ptr<ResultsEngine> engine_;
};

INSTANTIATE_TEST_SUITE_P(Drivers, ResultsEngineTest,
                         testing::Values(Driver::kSqlite, Driver::kPostgres),
                         DriverName);

EquityPoint Point(int64_t step, double cash, double equity) {
  EquityPoint point;
  point.set_time(kStart + step * kDay);
  point.set_cash(cash);
  point.set_equity(equity);
  return point;
}

Trade ClosedTrade(int64_t exit_step, double net_pnl) {
  Trade trade;
  trade.set_symbol("ORCL");
  trade.set_side(backtest::v1::BUY);
  trade.set_entry_time(kStart);
  trade.set_exit_time(kStart + exit_step * kDay);
  trade.set_net_pnl(net_pnl);
  trade.set_exit_reason("signal");
  return trade;
}

std::string Reason(const absl::Status& status) {
  return ToStageError(status, "").reason();
}

TEST_P(ResultsEngineTest, FullLifecycleComputesMetricsFromTheStoredRecords) {
  ASSERT_TRUE(Begin("run-1").ok());
  // The file's absolute path, or the URI without its password.
  EXPECT_EQ(engine_->database_path(),
            GetParam() == Driver::kSqlite
                ? std::filesystem::absolute(path_).string()
                : RedactPassword(path_));

  AppendRecordsRequest first;
  first.set_run_id("run-1");
  *first.add_equity() = Point(0, 1000, 1000);
  *first.add_equity() = Point(1, 500, 1100);
  backtest::v1::Fill* fill = first.add_fills();
  fill->set_order_id(1);
  fill->set_side(backtest::v1::BUY);
  fill->set_time(kStart);
  fill->set_commission(1.5);
  AppendRecordsRequest second;
  second.set_run_id("run-1");
  *second.add_equity() = Point(2, 500, 990);
  *second.add_equity() = Point(3, 1210, 1210);
  *second.add_fills() = *fill;
  second.mutable_fills(0)->set_commission(2.25);
  *second.add_trades() = ClosedTrade(3, 215);
  *second.add_trades() = ClosedTrade(2, -10);
  AppendRecordsResponse appended;
  ASSERT_TRUE(engine_->AppendRecords(first, &appended).ok());
  ASSERT_TRUE(engine_->AppendRecords(second, &appended).ok());

  FinishRunRequest finish;
  finish.set_run_id("run-1");
  finish.set_state(backtest::v1::SUCCEEDED);
  Trade open = ClosedTrade(0, 3);
  open.set_exit_time(0);
  open.set_exit_reason("open");
  *finish.add_open_trades() = open;
  FinishRunResponse finished;
  ASSERT_TRUE(engine_->FinishRun(finish, &finished).ok());
  EXPECT_EQ(finished.run().state(), backtest::v1::SUCCEEDED);
  EXPECT_FALSE(finished.run().finished_at().empty());

  // The same data straight into ComputeMetrics.
  const std::vector<EquityPoint> equity = {first.equity(0), first.equity(1),
                                           second.equity(0), second.equity(1)};
  const std::vector<Trade> closed = {second.trades(1), second.trades(0)};
  const std::vector<Trade> open_trades = {open};
  const std::vector<backtest::v1::Fill> fills = {first.fills(0),
                                                 second.fills(0)};
  const backtest::v1::Metrics expected =
      ComputeMetrics({.equity = equity,
                      .closed_trades = closed,
                      .open_trades = open_trades,
                      .fills = fills,
                      .initial_cash = 1000,
                      .interval_seconds = kDay,
                      .spec = MetricsSpec()});
  EXPECT_TRUE(MessageDifferencer::Equals(finished.run().metrics(), expected))
      << finished.run().metrics().DebugString() << "expected:\n"
      << expected.DebugString();
  // Hand-checked anchors of the same metrics: 1210 / 1000 - 1, 1 - 990/1100.
  EXPECT_NEAR(finished.run().metrics().total_return(), 0.21, 1e-12);
  EXPECT_NEAR(finished.run().metrics().max_drawdown(), 0.1, 1e-12);
  EXPECT_EQ(finished.run().metrics().trades(), 2);
  EXPECT_EQ(finished.run().metrics().open_trades(), 1);
  EXPECT_DOUBLE_EQ(finished.run().metrics().total_commission(), 3.75);
  // The stored spec was used: intervals of 200 resamples (the two trades'
  // means always exist), and Sharpe measured against a non-zero rate.
  EXPECT_TRUE(finished.run().metrics().expectancy_ci().defined());
  EXPECT_EQ(finished.run().metrics().expectancy_ci().resamples(), 200);
  backtest::v1::Metrics at_zero_rate = ComputeMetrics(
      {.equity = equity, .initial_cash = 1000, .interval_seconds = kDay});
  ASSERT_TRUE(at_zero_rate.has_sharpe());
  EXPECT_LT(finished.run().metrics().sharpe(), at_zero_rate.sharpe());

  GetRunRequest get;
  get.set_run_id("run-1");
  get.set_include_records(true);
  GetRunResponse run;
  ASSERT_TRUE(engine_->GetRun(get, &run).ok());
  EXPECT_EQ(run.location(), engine_->database_path());
  EXPECT_TRUE(MessageDifferencer::Equals(run.run(), finished.run()));
  ASSERT_EQ(run.equity_size(), 4);
  EXPECT_EQ(run.fills_size(), 2);
  // Closed in exit-time order, then the open trade.
  ASSERT_EQ(run.trades_size(), 3);
  EXPECT_DOUBLE_EQ(run.trades(0).net_pnl(), -10);
  EXPECT_DOUBLE_EQ(run.trades(1).net_pnl(), 215);
  EXPECT_EQ(run.trades(2).exit_time(), 0);

  get.set_include_records(false);
  GetRunResponse summary_only;
  ASSERT_TRUE(engine_->GetRun(get, &summary_only).ok());
  EXPECT_EQ(summary_only.trades_size(), 0);
  EXPECT_EQ(summary_only.equity_size(), 0);
}

TEST_P(ResultsEngineTest, FinishRunComparesWithTheBenchmarkItIsGiven) {
  backtest::v1::MetricsSpec spec = MetricsSpec();
  spec.set_benchmark("SPY");
  ASSERT_TRUE(Begin("run-1", "sma_cross", "", spec).ok());
  AppendRecordsRequest records;
  records.set_run_id("run-1");
  for (const double equity : {1000, 1100, 990, 1210}) {
    *records.add_equity() = Point(records.equity_size(), equity, equity);
  }
  AppendRecordsResponse appended;
  ASSERT_TRUE(engine_->AppendRecords(records, &appended).ok());

  FinishRunRequest finish;
  finish.set_run_id("run-1");
  finish.set_state(backtest::v1::SUCCEEDED);
  backtest::v1::BarSeries& bars = *finish.mutable_benchmark();
  bars.set_symbol("SPY");
  for (const double close : {50, 55, 55, 66}) {
    bars.add_time(kStart + bars.time_size() * kDay);
    bars.add_close(close);
  }
  FinishRunResponse finished;
  ASSERT_TRUE(engine_->FinishRun(finish, &finished).ok());
  const backtest::v1::Metrics& metrics = finished.run().metrics();
  EXPECT_EQ(metrics.benchmark(), "SPY");
  // Returns 0.1, -0.1, 2/9 against 0.1, 0, 0.2 (metrics_test.cc): 66 / 50 -
  // 1, beta 29/18.
  EXPECT_NEAR(metrics.benchmark_return(), 0.32, 1e-12);
  EXPECT_NEAR(metrics.beta(), 29.0 / 18, 1e-12);
  EXPECT_TRUE(metrics.has_alpha());
  EXPECT_TRUE(metrics.has_correlation());
  const std::vector<EquityPoint> equity(records.equity().begin(),
                                        records.equity().end());
  const std::vector<int64_t> times(bars.time().begin(), bars.time().end());
  const std::vector<double> closes(bars.close().begin(), bars.close().end());
  const backtest::v1::Metrics expected =
      ComputeMetrics({.equity = equity,
                      .initial_cash = 1000,
                      .interval_seconds = kDay,
                      .spec = spec,
                      .benchmark_time = times,
                      .benchmark_close = closes});
  EXPECT_TRUE(MessageDifferencer::Equals(metrics, expected))
      << metrics.DebugString() << "expected:\n"
      << expected.DebugString();

  // The bars are not stored; the metrics computed with them are.
  GetRunRequest get;
  get.set_run_id("run-1");
  GetRunResponse run;
  ASSERT_TRUE(engine_->GetRun(get, &run).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(run.run().metrics(), metrics));
}

TEST_P(ResultsEngineTest, FinishRunListsEveryProblemOfTheBenchmarkBars) {
  ASSERT_TRUE(Begin("run-1").ok());
  FinishRunRequest finish;
  finish.set_run_id("run-1");
  finish.set_state(backtest::v1::SUCCEEDED);
  backtest::v1::BarSeries& bars = *finish.mutable_benchmark();
  bars.set_symbol("SPY");
  // Day 2 comes back to day 1 and day 3 repeats day 2; closes 0 and NaN;
  // five times and four closes.
  for (const int64_t day : {0, 2, 1, 1, 3}) bars.add_time(kStart + day * kDay);
  for (const double close : {10.0, 0.0, std::nan(""), 11.0}) {
    bars.add_close(close);
  }
  FinishRunResponse finished;
  const absl::Status status = engine_->FinishRun(finish, &finished);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(status), "INVALID_FINISH_RUN");
  const std::vector<FieldProblem> problems = FieldProblems(status);
  ASSERT_EQ(problems.size(), 3) << status;
  EXPECT_EQ(problems[0].field, "benchmark.close");
  EXPECT_NE(problems[0].description.find("got 5 times and 4 closes"),
            std::string::npos)
      << status;
  EXPECT_EQ(problems[1].field, "benchmark.time");
  EXPECT_NE(problems[1].description.find(
                "time[2] = 2015-01-02 is not after time[1] = 2015-01-03; 2 "
                "such times"),
            std::string::npos)
      << status;
  EXPECT_EQ(problems[2].field, "benchmark.close");
  EXPECT_NE(problems[2].description.find(
                "(SPY): close[1] = 0 at 2015-01-03; 2 such closes"),
            std::string::npos)
      << status;

  // Nothing was stored: the run can still finish with good bars.
  bars.clear_time();
  bars.clear_close();
  bars.add_time(kStart);
  bars.add_close(10);
  EXPECT_TRUE(engine_->FinishRun(finish, &finished).ok());
}

// A run of two strategies: the stored spec names them, the records carry
// them, and the metrics attribute the run to each (metrics_test checks the
// numbers; here, that the stored spec and records reach them).
TEST_P(ResultsEngineTest, AttributesARunOfSeveralStrategiesToEach) {
  ASSERT_TRUE(Begin("two", "fast+slow", "", MetricsSpec(),
                    R"({"strategies": [
                      {"name": "sma_cross", "id": "fast", "allocation": 0.75},
                      {"name": "momentum", "id": "slow", "allocation": 0.25}]})")
                  .ok());
  AppendRecordsRequest batch;
  batch.set_run_id("two");
  for (const auto& [step, fast, slow] :
       std::vector<std::tuple<int64_t, double, double>>{
           {0, 750, 250}, {1, 800, 240}, {2, 780, 260}}) {
    EquityPoint& point = *batch.add_equity() = Point(step, 0, fast + slow);
    point.add_strategy_equity(fast);
    point.add_strategy_equity(slow);
  }
  backtest::v1::Fill& fill = *batch.add_fills();
  fill.set_strategy(1);
  fill.set_commission(0.5);
  *batch.add_trades() = ClosedTrade(1, 12);
  batch.mutable_trades(0)->set_strategy("slow");
  backtest::v1::Rejection& rejection = *batch.add_rejections();
  rejection.set_strategy(1);
  rejection.set_code("INSUFFICIENT_CASH");
  AppendRecordsResponse appended;
  ASSERT_TRUE(engine_->AppendRecords(batch, &appended).ok());
  FinishRunRequest finish;
  finish.set_run_id("two");
  finish.set_state(backtest::v1::SUCCEEDED);
  FinishRunResponse finished;
  ASSERT_TRUE(engine_->FinishRun(finish, &finished).ok());

  const backtest::v1::Metrics& metrics = finished.run().metrics();
  ASSERT_EQ(metrics.strategies_size(), 2);
  EXPECT_EQ(metrics.strategies(0).id(), "fast");
  EXPECT_EQ(metrics.strategies(0).name(), "sma_cross");
  // fast: 0.75 * 1000 = 750 to 780; slow: 0.25 * 1000 = 250 to 260.
  EXPECT_DOUBLE_EQ(metrics.strategies(0).initial_equity(), 750);
  EXPECT_DOUBLE_EQ(metrics.strategies(0).net_pnl(), 30);
  EXPECT_EQ(metrics.strategies(0).trades(), 0);
  EXPECT_EQ(metrics.strategies(1).id(), "slow");
  EXPECT_DOUBLE_EQ(metrics.strategies(1).net_pnl(), 10);
  EXPECT_EQ(metrics.strategies(1).trades(), 1);
  EXPECT_DOUBLE_EQ(metrics.strategies(1).total_commission(), 0.5);

  GetRunRequest get;
  get.set_run_id("two");
  get.set_include_records(true);
  GetRunResponse run;
  ASSERT_TRUE(engine_->GetRun(get, &run).ok());
  ASSERT_EQ(run.equity_size(), 3);
  EXPECT_EQ(run.equity(2).strategy_equity_size(), 2);
  EXPECT_DOUBLE_EQ(run.equity(2).strategy_equity(1), 260);
  EXPECT_EQ(run.fills(0).strategy(), 1);
  EXPECT_EQ(run.rejections(0).strategy(), 1);
  EXPECT_EQ(run.trades(0).strategy(), "slow");
  EXPECT_TRUE(MessageDifferencer::Equals(run.run(), finished.run()));
}

// A stored spec changed behind the engine's back cannot say which
// strategies ran: the run is not finished with metrics that leave them out.
TEST_P(ResultsEngineTest, FinishRunRefusesAStoredSpecItCannotRead) {
  ASSERT_TRUE(Begin("run-1").ok());
  ASSERT_TRUE(
      ExecuteSql(path_, "UPDATE runs SET canonical_spec = 'garbled'").ok());
  FinishRunRequest finish;
  finish.set_run_id("run-1");
  finish.set_state(backtest::v1::SUCCEEDED);
  FinishRunResponse finished;
  const absl::Status status = engine_->FinishRun(finish, &finished);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Reason(status), "DATABASE_CORRUPT") << status;
  EXPECT_NE(status.message().find("cannot compute the metrics of run run-1: "
                                  "its stored spec is not a "
                                  "backtest.v1.BacktestSpec in JSON"),
            std::string::npos)
      << status;
  // Nothing was stored: the run is still running.
  GetRunRequest get;
  get.set_run_id("run-1");
  GetRunResponse run;
  ASSERT_TRUE(engine_->GetRun(get, &run).ok());
  EXPECT_EQ(run.run().state(), backtest::v1::RUNNING);
}

TEST_P(ResultsEngineTest, GetRunByUniquePrefix) {
  ASSERT_TRUE(Begin("20240501-abc").ok());
  ASSERT_TRUE(Begin("20240501-abd").ok());
  ASSERT_TRUE(Begin("20240501-ab").ok());
  GetRunRequest request;
  GetRunResponse response;

  request.set_run_id("20240501-abc");
  ASSERT_TRUE(engine_->GetRun(request, &response).ok());
  EXPECT_EQ(response.run().run_id(), "20240501-abc");

  request.set_run_id("20240501-abd");
  response.Clear();
  ASSERT_TRUE(engine_->GetRun(request, &response).ok());
  EXPECT_EQ(response.run().run_id(), "20240501-abd");

  // An exact id wins even though it prefixes two others.
  request.set_run_id("20240501-ab");
  response.Clear();
  ASSERT_TRUE(engine_->GetRun(request, &response).ok());
  EXPECT_EQ(response.run().run_id(), "20240501-ab");
}

// A trace is stored with its run, replaced when stored again, and read back
// by a prefix of the run id; a run without one says so.
TEST_P(ResultsEngineTest, StoresAndReturnsARunsTrace) {
  ASSERT_TRUE(Begin("20240501-trace").ok());
  backtest::v1::GetTraceRequest get;
  get.set_run_id("20240501-tr");
  backtest::v1::GetTraceResponse got;
  EXPECT_EQ(Reason(engine_->GetTrace(get, &got)), "NO_TRACE");

  backtest::v1::StoreTraceRequest store;
  store.set_run_id("20240501-trace");
  backtest::v1::Span* span = store.mutable_trace()->add_spans();
  span->set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  span->set_span_id("00f067aa0ba902b7");
  span->set_name("first");
  backtest::v1::StoreTraceResponse stored;
  ASSERT_TRUE(engine_->StoreTrace(store, &stored).ok());
  span->set_name("run");
  span->set_status_code(backtest::v1::SPAN_STATUS_ERROR);
  ASSERT_TRUE(engine_->StoreTrace(store, &stored).ok());

  ASSERT_TRUE(engine_->GetTrace(get, &got).ok());
  EXPECT_EQ(got.run_id(), "20240501-trace");
  EXPECT_TRUE(MessageDifferencer::Equals(got.trace(), store.trace()))
      << got.DebugString();

  store.set_run_id("no-such-run");
  EXPECT_EQ(Reason(engine_->StoreTrace(store, &stored)), "UNKNOWN_RUN");
}

TEST_P(ResultsEngineTest, AmbiguousAndUnknownPrefixes) {
  ASSERT_TRUE(Begin("abc1").ok());
  ASSERT_TRUE(Begin("abc2").ok());
  GetRunRequest request;
  GetRunResponse response;
  request.set_run_id("ab");
  absl::Status status = engine_->GetRun(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(status), "AMBIGUOUS_RUN_ID");
  EXPECT_NE(status.message().find("abc1, abc2"), std::string::npos) << status;

  request.set_run_id("XYZ");
  status = engine_->GetRun(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Reason(status), "UNKNOWN_RUN");
  EXPECT_NE(status.message().find("no run XYZ in " + engine_->database_path()),
            std::string::npos)
      << status;
}

TEST_P(ResultsEngineTest, AmbiguousPrefixNamesAtMostTenCandidates) {
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(Begin(absl::StrCat("run-", 10 + i)).ok());
  }
  GetRunRequest request;
  request.set_run_id("run-");
  GetRunResponse response;
  const absl::Status status = engine_->GetRun(request, &response);
  EXPECT_EQ(Reason(status), "AMBIGUOUS_RUN_ID");
  EXPECT_NE(status.message().find("more than 10 runs"), std::string::npos)
      << status;
  EXPECT_EQ(status.message().find("run-20"), std::string::npos) << status;
}

TEST_P(ResultsEngineTest, ListRunsNewestFirstWithFilters) {
  ASSERT_TRUE(Begin("a", "sma_cross").ok());
  ASSERT_TRUE(Begin("b", "breakout").ok());
  ASSERT_TRUE(Begin("c", "sma_cross").ok());
  FinishRunRequest finish;
  finish.set_run_id("a");
  finish.set_state(backtest::v1::CANCELLED);
  FinishRunResponse finished;
  ASSERT_TRUE(engine_->FinishRun(finish, &finished).ok());

  ListRunsRequest request;
  ListRunsResponse response;
  ASSERT_TRUE(engine_->ListRuns(request, &response).ok());
  ASSERT_EQ(response.runs_size(), 3);
  // Begun within the same second: insertion order decides.
  EXPECT_EQ(response.runs(0).run_id(), "c");
  EXPECT_EQ(response.runs(2).run_id(), "a");
  EXPECT_EQ(response.runs(1).state(), backtest::v1::RUNNING);

  request.set_strategy("sma_cross");
  request.set_state("cancelled");
  response.Clear();
  ASSERT_TRUE(engine_->ListRuns(request, &response).ok());
  ASSERT_EQ(response.runs_size(), 1);
  EXPECT_EQ(response.runs(0).run_id(), "a");

  request.set_state("done");
  request.set_limit(-1);
  const absl::Status status = engine_->ListRuns(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldProblems(status).size(), 2);
}

TEST_P(ResultsEngineTest, ListRunsBySymbolAndCreationTime) {
  ASSERT_TRUE(Begin("a", "sma_cross", "2024-02-29T23:59:59Z").ok());
  ASSERT_TRUE(Begin("b", "sma_cross", "2024-03-01T00:00:00Z").ok());
  ASSERT_TRUE(Begin("c", "sma_cross", "2024-03-01T23:59:59Z").ok());
  ASSERT_TRUE(Begin("d", "sma_cross", "2024-03-02T00:00:00Z").ok());
  const auto ids = [&](const std::string& since, const std::string& until,
                       const std::string& symbol = "") {
    ListRunsRequest request;
    request.set_since(since);
    request.set_until(until);
    request.set_symbol(symbol);
    ListRunsResponse response;
    const absl::Status status = engine_->ListRuns(request, &response);
    EXPECT_TRUE(status.ok()) << status;
    std::string out;
    for (const auto& run : response.runs()) out += run.run_id();
    return out;
  };
  EXPECT_EQ(ids("2024-03-01", ""), "dcb");
  // A date alone as `until` includes that whole day.
  EXPECT_EQ(ids("", "2024-03-01"), "cba");
  EXPECT_EQ(ids("2024-03-01T00:00:00Z", "2024-03-01T23:59:58"), "b");
  // Minutes without seconds mean second 0; the bound itself is included.
  EXPECT_EQ(ids("2024-02-29 23:59", "2024-03-01T23:59"), "ba");
  EXPECT_EQ(ids("", "", "ORCL"), "dcba");
  EXPECT_EQ(ids("", "", "NVDA"), "");

  ListRunsRequest bad;
  bad.set_since("March");
  bad.set_until("2024-02-30");
  bad.set_symbol("ORCL,NVDA");
  ListRunsResponse response;
  const absl::Status status = engine_->ListRuns(bad, &response);
  EXPECT_EQ(Reason(status), "INVALID_LIST_RUNS");
  EXPECT_EQ(FieldProblems(status).size(), 3) << status;
  EXPECT_NE(status.message().find("got 'March'"), absl::string_view::npos)
      << status;
}

TEST_P(ResultsEngineTest, RejectsInvalidRequestsListingEveryProblem) {
  BeginRunRequest begin;
  begin.set_initial_cash(-5);
  begin.set_interval_seconds(-1);
  begin.mutable_metrics()->set_risk_free_rate(-1);
  begin.mutable_metrics()->set_bootstrap_resamples(kMaxBootstrapResamples + 1);
  begin.set_canonical_spec("name: a spec in YAML");
  BeginRunResponse begun;
  absl::Status status = engine_->BeginRun(begin, &begun);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::vector<FieldProblem> problems = FieldProblems(status);
  ASSERT_EQ(problems.size(), 6) << status;
  EXPECT_EQ(problems.back().field, "canonical_spec");

  ASSERT_TRUE(Begin("run-1").ok());
  EXPECT_EQ(Begin("run-1").code(), absl::StatusCode::kAlreadyExists);

  FinishRunRequest finish;
  finish.set_run_id("run-1");
  finish.set_state(backtest::v1::RUNNING);
  FinishRunResponse finished;
  status = engine_->FinishRun(finish, &finished);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);

  finish.set_run_id("missing");
  finish.set_state(backtest::v1::SUCCEEDED);
  EXPECT_EQ(Reason(engine_->FinishRun(finish, &finished)), "UNKNOWN_RUN");
}

TEST_P(ResultsEngineTest, ConcurrentAppendsAreSerialized) {
  ASSERT_TRUE(Begin("run-1").ok());
  constexpr int kThreads = 4;
  constexpr int kBatches = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        AppendRecordsRequest request;
        request.set_run_id("run-1");
        *request.add_equity() = Point(t * kBatches + b, 1000, 1000);
        AppendRecordsResponse response;
        EXPECT_TRUE(engine_->AppendRecords(request, &response).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  GetRunRequest request;
  request.set_run_id("run-1");
  request.set_include_records(true);
  GetRunResponse response;
  ASSERT_TRUE(engine_->GetRun(request, &response).ok());
  EXPECT_EQ(response.equity_size(), kThreads * kBatches);
}

}  // namespace
}  // namespace seed::results
