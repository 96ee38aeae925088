#include "services/results/run_store_test_util.h"

#include <cmath>
#include <limits>
#include <random>

#include "absl/base/casts.h"
#include "common/stage_error.h"

namespace seed::results {

using ::backtest::v1::AppendRecordsRequest;
using ::backtest::v1::BeginRunRequest;
using ::backtest::v1::FinishRunRequest;
using ::backtest::v1::Metrics;
using ::backtest::v1::RunSummary;

BeginRunRequest Begin(const std::string& run_id, const std::string& strategy,
                      const std::string& created_at) {
  BeginRunRequest request;
  RunSummary& run = *request.mutable_run();
  run.set_run_id(run_id);
  run.set_name("demo " + run_id);
  run.set_state(backtest::v1::RUNNING);
  run.set_strategy(strategy);
  run.add_symbols("ORCL");
  run.add_symbols("NVDA");
  run.set_created_at(created_at);
  run.set_spec_hash("spec-hash");
  run.set_data_hash("data-hash");
  run.set_engine_version("0.1.0");
  run.set_first_time("1995-01-03");
  run.set_last_time("2014-12-31");
  request.set_canonical_spec(R"({"strategy":{"name":"sma_cross"}})");
  (*request.mutable_symbol_hashes())["ORCL"] = "aaa";
  (*request.mutable_symbol_hashes())["NVDA"] = "bbb";
  request.set_initial_cash(100000);
  request.set_interval_seconds(86400);
  request.mutable_metrics()->set_risk_free_rate(0.02);
  request.mutable_metrics()->set_bootstrap_resamples(500);
  request.mutable_metrics()->set_bootstrap_seed(99);
  return request;
}

AppendRecordsRequest Batch(const std::string& run_id, int64_t time) {
  AppendRecordsRequest request;
  request.set_run_id(run_id);
  for (int i = 0; i < 3; ++i) {
    backtest::v1::EquityPoint* point = request.add_equity();
    point->set_time(time + i * 86400);
    point->set_cash(1000.25 + i);
    point->set_equity(1000.5 + 0.1 * i);
    point->add_strategy_equity(600.125 + i);
    point->add_strategy_equity(400.375 - 0.1 * i);
  }
  backtest::v1::Fill* fill = request.add_fills();
  fill->set_order_id(7);
  fill->set_symbol(1);
  fill->set_side(backtest::v1::SELL);
  fill->set_time(time);
  fill->set_quantity(12.5);
  fill->set_price(33.125);
  fill->set_commission(1.25);
  fill->set_slippage(0.0625);
  fill->set_reason("sma 10 crossed below sma 30");
  fill->set_raw_price(33.1875);
  fill->set_role(backtest::v1::TAKE_PROFIT);
  fill->set_type(backtest::v1::LIMIT);
  fill->set_partial(true);
  fill->set_remaining_quantity(7.5);
  fill->set_same_bar_resolution("stop first (pessimistic)");
  fill->set_gap(true);
  fill->set_tag("exit-1");
  fill->set_strategy(1);
  backtest::v1::Rejection* rejection = request.add_rejections();
  rejection->set_order_id(8);
  rejection->set_symbol(0);
  rejection->set_side(backtest::v1::BUY);
  rejection->set_quantity(100);
  rejection->set_time(time + 86400);
  rejection->set_stage("portfolio");
  rejection->set_code("INSUFFICIENT_CASH");
  rejection->set_message("needs 3300, has 10");
  rejection->set_tag("entry-2");
  rejection->set_strategy(1);
  backtest::v1::Trade* trade = request.add_trades();
  trade->set_symbol("NVDA");
  trade->set_side(backtest::v1::BUY);
  trade->set_entry_time(time - 10 * 86400);
  trade->set_entry_price(30.5);
  trade->set_exit_time(time);
  trade->set_exit_price(33.125);
  trade->set_quantity(12.5);
  trade->set_gross_pnl(32.8125);
  trade->set_commission(2.5);
  trade->set_net_pnl(30.3125);
  trade->set_exit_reason("signal");
  trade->set_r_multiple(1.75);
  trade->set_borrow_fees(0.5);
  trade->set_slippage(0.0625);
  trade->set_mae(-1.25);
  trade->set_mfe(3.5);
  trade->set_initial_stop(29);
  trade->set_strategy("slow");
  return request;
}

namespace {

backtest::v1::Trade OpenTrade() {
  backtest::v1::Trade trade;
  trade.set_symbol("ORCL");
  trade.set_side(backtest::v1::BUY);
  trade.set_entry_time(1419984000);
  trade.set_entry_price(44.5);
  trade.set_exit_price(45);
  trade.set_quantity(10);
  trade.set_gross_pnl(5);
  trade.set_net_pnl(4);
  trade.set_commission(1);
  trade.set_exit_reason("open");
  trade.set_strategy("fast");
  return trade;
}

}  // namespace

FinishRunRequest Finish(const std::string& run_id) {
  FinishRunRequest request;
  request.set_run_id(run_id);
  request.set_state(backtest::v1::FAILED);
  request.mutable_error()->set_stage("data");
  request.mutable_error()->set_reason("NO_BARS_IN_RANGE");
  request.mutable_error()->set_message("no bars");
  *request.add_open_trades() = OpenTrade();
  return request;
}

Metrics CountingMetrics(const StoredRun& run, const RunRecords& records) {
  Metrics metrics;
  metrics.set_initial_equity(run.initial_cash);
  metrics.set_trades(records.closed_trades.size());
  metrics.set_open_trades(records.open_trades.size());
  metrics.set_max_drawdown_duration_steps(records.equity.size());
  metrics.set_sharpe(1.5);
  metrics.mutable_sharpe_ci()->set_resamples(
      run.metrics_spec.bootstrap_resamples());
  return metrics;
}

std::string Reason(const absl::Status& status) {
  return ToStageError(status, "").reason();
}

std::unique_ptr<RunStore> OpenOrDie(const std::string& path, OpenMode mode) {
  absl::StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(path, mode);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

AppendRecordsRequest ExtremeEquity(const std::string& run_id, int64_t count,
                                   int strategies) {
  AppendRecordsRequest request;
  request.set_run_id(run_id);
  std::mt19937_64 random(count);
  const std::vector<double> special = {
      0.0,
      -0.0,
      std::numeric_limits<double>::denorm_min(),
      -std::numeric_limits<double>::min(),
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      0.1,
      100000.25};
  auto value = [&](int64_t i) {
    if (i % 7 == 0) return special[(i / 7) % special.size()];
    double random_value;
    do {
      random_value = absl::bit_cast<double>(random());
    } while (std::isnan(random_value));
    return random_value;
  };
  request.mutable_equity()->Reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    backtest::v1::EquityPoint* point = request.add_equity();
    point->set_time(i % 3 == 0 ? static_cast<int64_t>(random())
                               : -86400 + 60 * i);
    point->set_cash(value(i));
    point->set_equity(value(i + 3));
    for (int strategy = 0; strategy < strategies; ++strategy) {
      point->add_strategy_equity(value(i + 5 + strategy));
    }
  }
  return request;
}

void ExpectIdenticalEquity(
    const std::vector<backtest::v1::EquityPoint>& actual,
    const google::protobuf::RepeatedPtrField<backtest::v1::EquityPoint>&
        expected) {
  ASSERT_EQ(actual.size(), expected.size());
  int64_t different = 0;
  auto bits = [](double value) { return absl::bit_cast<uint64_t>(value); };
  for (int i = 0; i < expected.size(); ++i) {
    bool same =
        actual[i].time() == expected[i].time() &&
        bits(actual[i].cash()) == bits(expected[i].cash()) &&
        bits(actual[i].equity()) == bits(expected[i].equity()) &&
        actual[i].strategy_equity_size() == expected[i].strategy_equity_size();
    for (int k = 0; same && k < expected[i].strategy_equity_size(); ++k) {
      same = bits(actual[i].strategy_equity(k)) ==
             bits(expected[i].strategy_equity(k));
    }
    if (!same && different++ == 0) {
      ADD_FAILURE() << "first different point " << i << ":\n"
                    << actual[i].DebugString() << "expected:\n"
                    << expected[i].DebugString();
    }
  }
  EXPECT_EQ(different, 0);
}

}  // namespace seed::results
