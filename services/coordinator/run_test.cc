// End-to-end runs through the embedded stages on hand-made series, where every
// fill, trade and equity figure is checked by hand.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/server.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/forwarding_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/coordinator/run_test_fixture.h"
#include "services/coordinator/spec.h"
#include "services/data/synthetic_market.h"
#include "services/strategy/strategy_engine.h"
#include "services/strategy/strategy_service.h"

namespace seed::coordinator {
namespace {

using ::testing::HasSubstr;

// Closes 10 9 8 10 12 11 8 9 with fast 2 / slow 3:
//   day3 sma2 8.5 < sma3 9; day4 both 9 (equal, skipped);
//   day5 sma2 11 > sma3 10 -> cross above: buy floor(0.99*10000/12) = 825;
//   day6 fills at the open 11: cost 9075 + commission 9.075; cash 915.925;
//   day7 sma2 9.5 < sma3 10.33 -> cross below: close;
//   day8 fills at the open 9: proceeds 7425 - 7.425; cash 8333.5.
const std::vector<std::pair<double, double>> kRoundTrip = {
    {10, 10}, {10, 9}, {9, 8}, {8, 10}, {10, 12}, {11, 11}, {11, 8}, {9, 9}};

TEST_F(RunTest, RoundTripMatchesHandCalculation) {
  WriteBars("AAA", kRoundTrip);
  const v1::RunProgress progress = RunToEnd(Spec("AAA"));
  ASSERT_EQ(progress.state(), v1::SUCCEEDED) << progress.DebugString();
  EXPECT_EQ(progress.steps_done(), 8);
  const v1::Metrics& metrics = progress.summary().metrics();
  EXPECT_NEAR(metrics.final_equity(), 8333.5, 1e-9);
  EXPECT_EQ(metrics.trades(), 1);

  const v1::GetRunResponse run = Stored(progress.run_id());
  ASSERT_EQ(run.fills_size(), 2);
  EXPECT_EQ(run.fills(0).quantity(), 825);
  EXPECT_EQ(run.fills(0).price(), 11);
  EXPECT_NEAR(run.fills(0).commission(), 9.075, 1e-12);
  EXPECT_EQ(run.fills(1).price(), 9);
  ASSERT_EQ(run.trades_size(), 1);
  const v1::Trade& trade = run.trades(0);
  EXPECT_EQ(trade.symbol(), "AAA");
  EXPECT_EQ(trade.entry_price(), 11);
  EXPECT_EQ(trade.exit_price(), 9);
  EXPECT_NEAR(trade.gross_pnl(), -1650, 1e-9);
  EXPECT_NEAR(trade.commission(), 16.5, 1e-9);
  EXPECT_NEAR(trade.net_pnl(), -1666.5, 1e-9);
  EXPECT_EQ(trade.exit_reason(), "signal");
  ASSERT_EQ(run.equity_size(), 8);
  EXPECT_NEAR(run.equity(5).equity(), 915.925 + 825 * 11, 1e-9);  // day 6
  EXPECT_NEAR(run.equity(6).equity(), 915.925 + 825 * 8, 1e-9);   // day 7
  EXPECT_NEAR(run.equity(7).cash(), 8333.5, 1e-9);
}

TEST_F(RunTest, BuyThatGapsAboveTheCashIsRejectedAtTheFillAndStaysFlat) {
  // As above, but day 6 opens at 13: 825 * 13 = 10725 > 10000 cash.
  std::vector<std::pair<double, double>> bars = kRoundTrip;
  bars[5] = {13, 11};
  WriteBars("AAA", bars);
  const v1::RunProgress progress = RunToEnd(Spec("AAA"));
  ASSERT_EQ(progress.state(), v1::SUCCEEDED);
  const v1::GetRunResponse run = Stored(progress.run_id());
  EXPECT_EQ(run.fills_size(), 0);
  EXPECT_EQ(run.trades_size(), 0);
  ASSERT_EQ(run.rejections_size(), 1);
  EXPECT_EQ(run.rejections(0).stage(), "execution");
  EXPECT_EQ(run.rejections(0).code(), "INSUFFICIENT_CASH");
  EXPECT_NEAR(progress.summary().metrics().final_equity(), 10000, 1e-9);
}

TEST_F(RunTest, OpenPositionAtTheEndStaysOpenMarkedToTheLastClose) {
  // Stop after day 6: the position bought at 11 is still open at close 11.
  WriteBars("AAA", std::vector<std::pair<double, double>>(
                       kRoundTrip.begin(), kRoundTrip.begin() + 6));
  const v1::RunProgress progress = RunToEnd(Spec("AAA"));
  ASSERT_EQ(progress.state(), v1::SUCCEEDED);
  const v1::GetRunResponse run = Stored(progress.run_id());
  ASSERT_EQ(run.trades_size(), 1);
  EXPECT_EQ(run.trades(0).exit_time(), 0);
  EXPECT_EQ(run.trades(0).exit_reason(), "open");
  EXPECT_EQ(run.trades(0).exit_price(), 11);
  EXPECT_EQ(progress.summary().metrics().open_trades(), 1);
  EXPECT_NEAR(progress.summary().metrics().final_equity(), 9990.925, 1e-9);
}

TEST_F(RunTest, SymbolsWithDifferentCalendarsShareOneClock) {
  WriteBars("AAA", kRoundTrip);
  WriteBars("BBB", {{5, 5}, {5, 5}});  // only the first two days
  const v1::RunProgress progress = RunToEnd(Spec("AAA, BBB"));
  ASSERT_EQ(progress.state(), v1::SUCCEEDED);
  EXPECT_EQ(progress.steps_done(), 8);
}

TEST_F(RunTest, InvalidSpecListsEveryProblemOfEveryStage) {
  WriteBars("AAA", kRoundTrip);
  const absl::StatusOr<std::string> run_id = runs_->Submit(
      "data: {path: data, symbols: [AAA]}\n"
      "strategy: {name: sma_cross, params: {fast: 0, slowest: 3}}\n"
      "portfolio: {initial_cash: -5}\n"
      "execution: {commission: {model: free}}\n",
      directory_.string());
  ASSERT_FALSE(run_id.ok());
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(run_id.status())) {
    fields.push_back(problem.field);
  }
  EXPECT_THAT(fields,
              ::testing::IsSupersetOf(
                  {"strategy.params.fast", "strategy.params.slowest",
                   "portfolio.initial_cash", "execution.commission.model"}))
      << run_id.status();
}

TEST_F(RunTest, MissingSymbolFailsInDataAndTheFailedRunIsStored) {
  WriteBars("AAA", kRoundTrip);
  const v1::RunProgress progress = RunToEnd(Spec("AAA, XYZ"));
  ASSERT_EQ(progress.state(), v1::FAILED);
  const v1::StageError& error = progress.summary().error();
  EXPECT_EQ(error.stage(), "data");
  EXPECT_EQ(error.reason(), "NO_DATA_FILE");
  EXPECT_EQ(error.symbol(), "XYZ");
  EXPECT_THAT(error.message(), HasSubstr("AAA"));  // lists what exists
  const v1::GetRunResponse run = Stored(progress.run_id());
  EXPECT_EQ(run.run().state(), v1::FAILED);
  EXPECT_EQ(run.run().error().reason(), "NO_DATA_FILE");
}

TEST_F(RunTest, RangeWithoutBarsNamesTheRangeAndWhatExists) {
  WriteBars("AAA", kRoundTrip);
  const v1::RunProgress empty = RunToEnd(
      "data: {path: data, symbols: [AAA], start: 2021-01-01, end: 2021-12-31}\n"
      "strategy: {name: sma_cross}\n");
  ASSERT_EQ(empty.state(), v1::FAILED);
  EXPECT_EQ(empty.summary().error().reason(), "NO_BARS_IN_RANGE");
  EXPECT_THAT(empty.summary().error().message(), HasSubstr("2021-01-01"));
  EXPECT_THAT(empty.summary().error().message(), HasSubstr("2020-01-06"));
}

TEST_F(RunTest, CancelledRunKeepsEverythingRecordedBeforeTheCancel) {
  data::SyntheticMarketOptions market;
  market.output_dir = (directory_ / "data").string();
  market.symbols = 5;
  market.trading_days = 20000;
  ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());
  absl::StatusOr<std::string> run_id = runs_->Submit(
      "data: {path: data, symbols: [SYNA, SYNB, SYNC, SYND, SYNE]}\n"
      "strategy: {name: sma_cross}\n",
      directory_.string());
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  ASSERT_TRUE(runs_->Cancel(*run_id).ok());
  const v1::RunProgress progress = *runs_->Wait(*run_id);
  ASSERT_EQ(progress.state(), v1::CANCELLED);
  EXPECT_EQ(progress.summary().error().stage(), "coordinator");
  EXPECT_EQ(progress.summary().error().reason(), "CANCELLED");
  EXPECT_LT(progress.steps_done(), 20000);
  const v1::GetRunResponse run = Stored(*run_id);
  EXPECT_EQ(run.run().state(), v1::CANCELLED);
  EXPECT_EQ(run.equity_size(), progress.steps_done());
}

// Runs of many steps with tentative commits must give exactly what one step
// per call gives: every fill, rejection, trade and equity point.
TEST_F(RunTest, RunsOfStepsMatchOneStepAtATime) {
  data::SyntheticMarketOptions market;
  market.output_dir = (directory_ / "data").string();
  market.symbols = 6;
  market.trading_days = 1500;
  ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());
  const std::string spec =
      "data: {path: data, symbols: [SYNA, SYNB, SYNC, SYND, SYNE, SYNF]}\n"
      "strategy: {name: sma_cross, params: {fast: 3, slow: 12}}\n"
      "portfolio: {initial_cash: 20000, sizing: {rule: percent_of_equity, "
      "percent: 0.45}}\n"
      "execution: {commission: {model: percent, bps: 20}, slippage: {model: "
      "fixed_bps, bps: 30}}\n";
  const v1::RunProgress chunked = RunToEnd(spec);
  absl::StatusOr<Stages> stages =
      MakeEmbeddedStages((directory_ / "stepwise.db").string());
  ASSERT_TRUE(stages.ok());
  RunManager stepwise_runs(*std::move(stages), {.max_steps_per_call = 1});
  const absl::StatusOr<std::string> stepwise_id =
      stepwise_runs.Submit(spec, directory_.string());
  ASSERT_TRUE(stepwise_id.ok()) << stepwise_id.status();
  const v1::RunProgress stepwise = *stepwise_runs.Wait(*stepwise_id);
  ASSERT_EQ(chunked.state(), v1::SUCCEEDED);
  ASSERT_EQ(stepwise.state(), v1::SUCCEEDED);

  v1::GetRunRequest request;
  request.set_run_id(*stepwise_id);
  request.set_include_records(true);
  v1::GetRunResponse expected;
  ASSERT_TRUE(stepwise_runs.stages().results->GetRun(request, &expected).ok());
  const v1::GetRunResponse actual = Stored(chunked.run_id());
  // Enough activity that runs were cut short and fills re-simulated.
  EXPECT_GT(expected.fills_size(), 100);
  EXPECT_GT(expected.rejections_size(), 0);
  ASSERT_EQ(actual.fills_size(), expected.fills_size());
  for (int i = 0; i < expected.fills_size(); ++i) {
    EXPECT_EQ(actual.fills(i).SerializeAsString(),
              expected.fills(i).SerializeAsString())
        << "fill " << i;
  }
  ASSERT_EQ(actual.rejections_size(), expected.rejections_size());
  ASSERT_EQ(actual.trades_size(), expected.trades_size());
  for (int i = 0; i < expected.trades_size(); ++i) {
    EXPECT_EQ(actual.trades(i).SerializeAsString(),
              expected.trades(i).SerializeAsString())
        << "trade " << i;
  }
  ASSERT_EQ(actual.equity_size(), expected.equity_size());
  for (int i = 0; i < expected.equity_size(); ++i) {
    ASSERT_EQ(actual.equity(i).SerializeAsString(),
              expected.equity(i).SerializeAsString())
        << "equity " << i;
  }
}

// The steps the strategy went through (on_bar), as it saw them.
class StepRecordingStrategy final : public ForwardingStrategyStage {
 public:
  StepRecordingStrategy(std::unique_ptr<StrategyStage> inner,
                        std::vector<v1::TimeStep>& steps)
      : ForwardingStrategyStage(std::move(inner)), steps_(steps) {}

  absl::Status OnSteps(const v1::StrategyStepsRequest& request,
                       v1::StrategyStepsResponse* response) override {
    const absl::Status status = inner().OnSteps(request, response);
    for (int i = 0; status.ok() && i < response->steps_used(); ++i) {
      steps_.push_back(request.steps(i));
    }
    return status;
  }

 private:
  std::vector<v1::TimeStep>& steps_;
};

TEST_F(RunTest, ADayBarArrivesOnTheNextDaysFirstStepAndNeverEarlier) {
  // One-minute bars over three days; Jan 2 ends with a 22:00 bar.
  std::ofstream(directory_ / "data" / "MIN.csv")
      << "timestamp,open,high,low,close,volume\n"
         "2006-01-02T09:01:00,10,11,9,10.5,100\n"
         "2006-01-02T09:02:00,10.5,13,10,12,200\n"
         "2006-01-02T22:00:00,12,12.5,8,9,300\n"
         "2006-01-03T09:01:00,20,21,19,20,400\n"
         "2006-01-03T09:02:00,20,22,20,21,500\n"
         "2006-01-04T09:01:00,30,31,29,30,600\n";
  absl::StatusOr<Stages> stages =
      MakeEmbeddedStages((directory_ / "mtf.db").string());
  ASSERT_TRUE(stages.ok()) << stages.status();
  std::vector<v1::TimeStep> seen;
  stages->strategy = std::make_unique<StepRecordingStrategy>(
      std::move(stages->strategy), seen);
  RunManager runs(*std::move(stages));
  const absl::StatusOr<std::string> run_id = runs.Submit(
      "data: {path: data, symbols: [MIN]}\n"
      "strategy: {name: mtf_trend, params: {timeframe: 1d}}\n",
      directory_.string());
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  const v1::RunProgress progress = *runs.Wait(*run_id);
  ASSERT_EQ(progress.state(), v1::SUCCEEDED) << progress.DebugString();

  ASSERT_EQ(seen.size(), 6u);
  for (const int i : {0, 1, 2, 4}) {
    EXPECT_EQ(seen[i].closed_bars_size(), 0)
        << FormatTime(seen[i].time()) << ": " << seen[i].ShortDebugString();
  }
  // Jan 2 closed at midnight: its bar rides on Jan 3 09:01, the first step
  // after it (not on Jan 2 22:00, its own last bar); it aggregates Jan 2's
  // three bars. Jan 3's rides on Jan 4 09:01; Jan 4's never closes inside
  // the data (no step on Jan 5) and is never delivered.
  const v1::TimeStep& next_day = seen[3];
  EXPECT_EQ(FormatTime(next_day.time()), "2006-01-03T09:01:00");
  ASSERT_EQ(next_day.closed_bars_size(), 1);
  const v1::ClosedBar& day = next_day.closed_bars(0);
  EXPECT_EQ(day.timeframe(), "1d");
  EXPECT_EQ(FormatTime(day.time()), "2006-01-02");
  EXPECT_EQ(FormatTime(day.close_time()), "2006-01-03");
  EXPECT_EQ(day.bar().symbol(), 0);
  EXPECT_EQ(day.bar().open(), 10);
  EXPECT_EQ(day.bar().high(), 13);     // max(11, 13, 12.5)
  EXPECT_EQ(day.bar().low(), 8);       // min(9, 10, 8)
  EXPECT_EQ(day.bar().close(), 9);     // the 22:00 close
  EXPECT_EQ(day.bar().volume(), 600);  // 100 + 200 + 300
  ASSERT_EQ(seen[5].closed_bars_size(), 1);
  EXPECT_EQ(FormatTime(seen[5].closed_bars(0).time()), "2006-01-03");
  EXPECT_EQ(seen[5].closed_bars(0).bar().close(), 21);
}

TEST_F(RunTest, ATimeframeTheBarsCannotMakeFailsInTheDataStage) {
  WriteBars("AAA", kRoundTrip);  // daily bars: a day is no higher timeframe
  const v1::RunProgress progress = RunToEnd(
      "data: {path: data, symbols: [AAA]}\n"
      "strategy: {name: mtf_trend, params: {timeframe: 1d}}\n");
  ASSERT_EQ(progress.state(), v1::FAILED);
  const v1::StageError& error = progress.summary().error();
  EXPECT_EQ(error.stage(), "data");
  EXPECT_EQ(error.reason(), "INVALID_TIMEFRAME");
  EXPECT_EQ(error.symbol(), "AAA");
  EXPECT_THAT(error.message(),
              HasSubstr("timeframe_seconds 86400 for AAA is not larger than "
                        "AAA's bar interval, 86400 s (1d)"));
}

TEST_F(RunTest, BenchmarkThatIsNotTradedIsComparedWith) {
  WriteBars("AAA", kRoundTrip);
  // BBB rises 1% a day: AAA's equity moves are compared against it.
  std::vector<std::pair<double, double>> rising;
  double price = 100;
  for (size_t i = 0; i < kRoundTrip.size(); ++i, price *= 1.01) {
    rising.push_back({price, price * (i % 2 == 0 ? 1.004 : 1.012)});
  }
  WriteBars("BBB", rising);
  const v1::RunProgress progress =
      RunToEnd(Spec("AAA", "metrics: {benchmark: BBB}\n"));
  ASSERT_EQ(progress.state(), v1::SUCCEEDED) << progress.DebugString();
  const v1::Metrics& metrics = progress.summary().metrics();
  EXPECT_EQ(metrics.benchmark(), "BBB");
  // Closes 100.4 on day 1 and 100*1.01^7*1.012 on day 8 (the file holds
  // them to 6 significant digits).
  EXPECT_NEAR(metrics.benchmark_return(),
              100 * std::pow(1.01, 7) * 1.012 / 100.4 - 1, 1e-5);
  EXPECT_TRUE(metrics.has_beta());
  EXPECT_TRUE(metrics.has_correlation());
}

TEST_F(RunTest, MissingBenchmarkFailsBeforeAnyStepNamingIt) {
  WriteBars("AAA", kRoundTrip);
  const v1::RunProgress progress =
      RunToEnd(Spec("AAA", "metrics: {benchmark: SPY}\n"));
  ASSERT_EQ(progress.state(), v1::FAILED);
  EXPECT_EQ(progress.steps_done(), 0);
  EXPECT_EQ(progress.summary().error().stage(), "data");
  EXPECT_EQ(progress.summary().error().symbol(), "SPY");
  EXPECT_THAT(progress.summary().error().message(), HasSubstr("SPY"));
}

// A strategy served at an address of the run's own (a plug-in) goes through
// gRPC; here the built-in service itself, so the runs must be identical.
TEST_F(RunTest, StrategyAtItsOwnAddressGivesTheSameRun) {
  data::SyntheticMarketOptions market;
  market.output_dir = (directory_ / "data").string();
  market.symbols = 3;
  market.trading_days = 400;
  ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());
  strategy::StrategyEngine engine;
  strategy::StrategyServiceImpl service(engine);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartServer("127.0.0.1:0", {&service}, &port);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string base =
      "data: {path: data, symbols: [SYNA, SYNB, SYNC]}\n"
      "portfolio: {sizing: {rule: percent_of_equity, percent: 0.3}}\n";
  const v1::RunProgress built_in = RunToEnd(
      base + "strategy: {name: sma_cross, params: {fast: 4, slow: 15}}\n");
  const v1::RunProgress plugged =
      RunToEnd(base +
               "strategy: {name: sma_cross, params: {fast: 4, slow: 15}, "
               "address: '127.0.0.1:" +
               std::to_string(port) + "'}\n");
  ASSERT_EQ(plugged.state(), v1::SUCCEEDED) << plugged.DebugString();
  const v1::GetRunResponse expected = Stored(built_in.run_id());
  const v1::GetRunResponse actual = Stored(plugged.run_id());
  EXPECT_GT(expected.trades_size(), 5);
  ASSERT_EQ(actual.trades_size(), expected.trades_size());
  for (int i = 0; i < expected.trades_size(); ++i) {
    EXPECT_EQ(actual.trades(i).SerializeAsString(),
              expected.trades(i).SerializeAsString());
  }
  EXPECT_EQ(actual.run().metrics().final_equity(),
            expected.run().metrics().final_equity());
  (*server)->Shutdown();
}

TEST_F(RunTest, UnreachableStrategyAddressIsNamedBeforeTheRunStarts) {
  WriteBars("AAA", kRoundTrip);
  const absl::StatusOr<std::string> run_id =
      runs_->Submit(Spec("AAA").replace(Spec("AAA").find("strategy: {"), 11,
                                        "strategy: {address: '127.0.0.1:1', "),
                    directory_.string());
  ASSERT_FALSE(run_id.ok());
  const v1::StageError error = ToStageError(run_id.status(), "coordinator");
  EXPECT_EQ(error.stage(), "strategy");
  EXPECT_EQ(error.reason(), "STAGE_UNAVAILABLE");
  EXPECT_THAT(error.message(), HasSubstr("127.0.0.1:1"));
}

TEST_F(RunTest, UnknownRunIsNamed) {
  const absl::Status status = runs_->Cancel("nope").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("nope"));
}

// Embedded mode records the same trace: the run span as the root, one span
// per stage call under it with what the call covered.
TEST_F(RunTest, TheRunsTraceIsStoredWithItsStageCalls) {
  WriteBars("AAA", kRoundTrip);
  const v1::RunProgress progress = RunToEnd(Spec("AAA"));
  ASSERT_EQ(progress.state(), v1::SUCCEEDED) << progress.DebugString();
  const v1::Trace trace = StoredTrace(progress.run_id());
  std::map<std::string, const v1::Span*> by_id;
  const v1::Span* run = nullptr;
  for (const v1::Span& span : trace.spans()) {
    by_id[span.span_id()] = &span;
    if (span.name() == "run") run = &span;
  }
  ASSERT_NE(run, nullptr);
  EXPECT_TRUE(run->parent_span_id().empty());
  int64_t steps = 0, fills = 0;
  std::set<std::string> names;
  for (const v1::Span& span : trace.spans()) {
    EXPECT_EQ(span.trace_id(), run->trace_id());
    EXPECT_EQ(span.service(), "coordinator");
    if (&span == run) continue;
    EXPECT_EQ(span.parent_span_id(), run->span_id()) << span.name();
    names.insert(span.name());
    for (const v1::SpanAttribute& attribute : span.attributes()) {
      if (span.name() == "strategy.on_steps" && attribute.key() == "steps_used")
        steps += attribute.int_value();
      if (span.name() == "execution.execute_steps" &&
          attribute.key() == "fills")
        fills += attribute.int_value();
    }
  }
  // The strategy saw each of the 8 steps once; execution filled 2 orders.
  EXPECT_EQ(steps, 8);
  EXPECT_EQ(fills, 2);
  for (const char* name : {"strategy.start_run", "data.open_dataset",
                           "results.begin_run", "portfolio.apply_steps",
                           "portfolio.size_intents", "execution.execute_steps",
                           "results.append_records", "results.finish_run"}) {
    EXPECT_EQ(names.count(name), 1) << name;
  }
}

TEST_F(RunTest, AFailedRunsTraceMarksTheFailingCallAndTheRun) {
  WriteBars("AAA", kRoundTrip);
  const v1::RunProgress progress = RunToEnd(Spec("AAA, ZZZ"));
  ASSERT_EQ(progress.state(), v1::FAILED) << progress.DebugString();
  const v1::Trace trace = StoredTrace(progress.run_id());
  int failed = 0;
  for (const v1::Span& span : trace.spans()) {
    if (span.status_code() != v1::SPAN_STATUS_ERROR) continue;
    ++failed;
    EXPECT_TRUE(span.name() == "run" || span.name() == "data.open_dataset")
        << span.name();
    EXPECT_THAT(span.status_message(), HasSubstr("NO_DATA_FILE"));
    ASSERT_EQ(span.events_size(), 1);
    EXPECT_EQ(span.events(0).name(), "exception");
  }
  EXPECT_EQ(failed, 2);
}

// A trace with its spans by id, its roots (spans whose parent is not in it)
// and the run span. Not copyable: it points into itself.
struct TraceIndex {
  explicit TraceIndex(v1::Trace stored) : trace(std::move(stored)) {
    for (const v1::Span& span : trace.spans()) by_id[span.span_id()] = &span;
    for (const v1::Span& span : trace.spans()) {
      if (by_id.count(span.parent_span_id()) == 0) roots.push_back(&span);
      if (span.name() == "run") run = &span;
      if (span.status_code() == v1::SPAN_STATUS_ERROR) ++errors;
    }
  }
  std::string Attribute(const v1::Span& span, const std::string& key) const {
    for (const v1::SpanAttribute& attribute : span.attributes()) {
      if (attribute.key() == key) {
        return attribute.has_int_value() ? absl::StrCat(attribute.int_value())
                                         : attribute.string_value();
      }
    }
    return "";
  }
  TraceIndex(const TraceIndex&) = delete;
  TraceIndex& operator=(const TraceIndex&) = delete;

  const v1::Trace trace;
  std::map<std::string, const v1::Span*> by_id;
  std::vector<const v1::Span*> roots;
  const v1::Span* run = nullptr;
  int errors = 0;
};

// A strategy stage that tells `on_step` the index of every step it is shown.
class WatchedStrategy final : public ForwardingStrategyStage {
 public:
  WatchedStrategy(std::unique_ptr<StrategyStage> inner,
                  std::function<void(int64_t)> on_step)
      : ForwardingStrategyStage(std::move(inner)),
        on_step_(std::move(on_step)) {}
  absl::Status OnSteps(const v1::StrategyStepsRequest& request,
                       v1::StrategyStepsResponse* response) override {
    for (const v1::TimeStep& step : request.steps()) on_step_(step.index());
    return inner().OnSteps(request, response);
  }

 private:
  std::function<void(int64_t)> on_step_;
};

// One step per call: each step is at least two stage calls (the portfolio's
// and the strategy's), so more than 2500 steps make more than the 5000 spans
// a trace keeps. This market has about 4000 (its one symbol lists a third of
// the way in).
constexpr int kTradingDays = 6000;
constexpr int kStepsBeyondTheCap = 2500;

class LongTraceTest : public RunTest {
 protected:
  void SetUp() override {
    RunTest::SetUp();
    data::SyntheticMarketOptions market;
    market.output_dir = (directory_ / "data").string();
    market.symbols = 1;
    market.trading_days = kTradingDays;
    ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());
  }

  // A RunManager of one step per call over the embedded stages, the
  // strategy's steps shown to `on_step`.
  std::unique_ptr<RunManager> Runs(std::function<void(int64_t)> on_step) {
    absl::StatusOr<Stages> stages =
        MakeEmbeddedStages((directory_ / "results.db").string());
    EXPECT_TRUE(stages.ok()) << stages.status();
    stages->strategy = std::make_unique<WatchedStrategy>(
        std::move(stages->strategy), std::move(on_step));
    return std::make_unique<RunManager>(*std::move(stages),
                                        RunOptions{.max_steps_per_call = 1});
  }

  static constexpr char kSpec[] =
      "data: {path: data, symbols: [SYNA]}\n"
      "strategy: {name: sma_cross, params: {fast: 5, slow: 20}}\n";
};

// Past the cap only failures used to be kept, so a run that did not fail
// lost its root span and the trace fell apart into thousands of roots.
TEST_F(LongTraceTest, ATraceBeyondItsCapKeepsTheRunSpanAsItsOnlyRoot) {
  runs_ = Runs([](int64_t) {});
  const v1::RunProgress progress = RunToEnd(kSpec);
  ASSERT_EQ(progress.state(), v1::SUCCEEDED) << progress.DebugString();
  EXPECT_GT(progress.steps_done(), kStepsBeyondTheCap);
  const TraceIndex trace(StoredTrace(progress.run_id()));
  ASSERT_NE(trace.run, nullptr);
  ASSERT_EQ(trace.roots.size(), 1u);
  EXPECT_EQ(trace.roots[0], trace.run);
  EXPECT_EQ(trace.Attribute(*trace.run, "run.state"), "SUCCEEDED");
  EXPECT_GT(std::stoll(trace.Attribute(*trace.run, "trace.dropped_spans")), 0);
  EXPECT_EQ(trace.errors, 0);
}

// Cancelled once the trace is full: the run span is there and says
// CANCELLED; a cancel is no error, so no span is ERROR.
TEST_F(LongTraceTest, ARunCancelledBeyondTheCapKeepsItsRunSpan) {
  constexpr int64_t kCancelAtStep = 3500;
  absl::Notification submitted;
  std::string run_id;
  bool cancelled = false;
  runs_ = Runs([&](int64_t step) {
    if (cancelled || step < kCancelAtStep) return;
    cancelled = true;
    submitted.WaitForNotification();
    EXPECT_TRUE(runs_->Cancel(run_id).ok());
  });
  absl::StatusOr<std::string> submitted_id =
      runs_->Submit(kSpec, directory_.string());
  ASSERT_TRUE(submitted_id.ok()) << submitted_id.status();
  run_id = *submitted_id;
  submitted.Notify();
  const v1::RunProgress progress = *runs_->Wait(run_id);
  ASSERT_EQ(progress.state(), v1::CANCELLED) << progress.DebugString();
  // Steps 0..kCancelAtStep: the run stops after the call that saw the cancel.
  EXPECT_EQ(progress.steps_done(), kCancelAtStep + 1);
  const TraceIndex trace(StoredTrace(run_id));
  ASSERT_NE(trace.run, nullptr);
  ASSERT_EQ(trace.roots.size(), 1u);
  EXPECT_EQ(trace.roots[0], trace.run);
  EXPECT_EQ(trace.Attribute(*trace.run, "run.state"), "CANCELLED");
  EXPECT_GT(std::stoll(trace.Attribute(*trace.run, "trace.dropped_spans")), 0);
  EXPECT_EQ(trace.errors, 0);
}

// A results stage that refuses traces with `*refusal` while it is not OK.
class RefusesTraces final : public ForwardingResultsStage {
 public:
  RefusesTraces(std::unique_ptr<ResultsStage> inner,
                const absl::Status* refusal)
      : ForwardingResultsStage(std::move(inner)), refusal_(refusal) {}
  absl::Status StoreTrace(const v1::StoreTraceRequest& request,
                          v1::StoreTraceResponse* response) override {
    if (!refusal_->ok()) return *refusal_;
    return inner().StoreTrace(request, response);
  }

 private:
  const absl::Status* refusal_;
};

class TraceKeepingTest : public RunTest {
 protected:
  // Runs to the end while the results stage refuses traces with `refusal`,
  // then once more with traces taken; returns both runs.
  std::pair<v1::RunProgress, v1::RunProgress> RunRefusedThenTaken(
      absl::Status refusal) {
    absl::Status current = std::move(refusal);
    absl::StatusOr<Stages> stages =
        MakeEmbeddedStages((directory_ / "results.db").string());
    EXPECT_TRUE(stages.ok()) << stages.status();
    stages->results =
        std::make_unique<RefusesTraces>(std::move(stages->results), &current);
    runs_ = std::make_unique<RunManager>(*std::move(stages));
    WriteBars("AAA", kRoundTrip);
    v1::RunProgress first = RunToEnd(Spec("AAA"));
    EXPECT_EQ(first.state(), v1::SUCCEEDED) << first.DebugString();
    v1::GetTraceRequest request;
    request.set_run_id(first.run_id());
    v1::GetTraceResponse response;
    EXPECT_TRUE(absl::IsNotFound(
        runs_->stages().results->GetTrace(request, &response)));
    current = absl::OkStatus();
    v1::RunProgress second = RunToEnd(Spec("AAA"));
    EXPECT_EQ(second.state(), v1::SUCCEEDED) << second.DebugString();
    return {std::move(first), std::move(second)};
  }

  static bool HasNotice(const v1::RunProgress& run, absl::string_view a,
                        absl::string_view b) {
    for (const std::string& notice : run.notices()) {
      if (absl::StrContains(notice, a) && absl::StrContains(notice, b)) {
        return true;
      }
    }
    return false;
  }
};

// The trace of a run the results stage could not store is kept by the
// coordinator and stored with its next run's.
TEST_F(TraceKeepingTest,
       ATraceTheResultsStageCannotTakeIsStoredWithTheNextRun) {
  const auto [first, second] = RunRefusedThenTaken(
      StageFailure(absl::StatusCode::kUnavailable, "results", "RPC_FAILED",
                   "the results stage is restarting"));
  EXPECT_TRUE(HasNotice(first, "restarting", "the coordinator keeps the trace"))
      << first.DebugString();
  for (const v1::RunProgress* run : {&first, &second}) {
    const TraceIndex trace(StoredTrace(run->run_id()));
    ASSERT_NE(trace.run, nullptr) << run->run_id();
    EXPECT_EQ(trace.Attribute(*trace.run, "run.id"), run->run_id());
  }
}

// A trace refused because the results database's disk is full is not kept:
// storing it later would fill the disk again.
TEST_F(TraceKeepingTest, ATraceRefusedForAFullDiskIsNotKept) {
  const auto [first, second] = RunRefusedThenTaken(
      StageFailure(absl::StatusCode::kResourceExhausted, "results", "DISK_FULL",
                   "database or disk is full"));
  EXPECT_TRUE(HasNotice(first, "disk is full", "the trace is not kept"))
      << first.DebugString();
  v1::GetTraceRequest request;
  request.set_run_id(first.run_id());
  v1::GetTraceResponse response;
  EXPECT_TRUE(
      absl::IsNotFound(runs_->stages().results->GetTrace(request, &response)));
  const TraceIndex trace(StoredTrace(second.run_id()));
  ASSERT_NE(trace.run, nullptr);
}

// A results stage that cannot begin runs (down, or restarting past the
// channel's retries).
class RefusesBeginRun final : public ForwardingResultsStage {
 public:
  using ForwardingResultsStage::ForwardingResultsStage;
  absl::Status BeginRun(const v1::BeginRunRequest&,
                        v1::BeginRunResponse*) override {
    return StageFailure(absl::StatusCode::kUnavailable, "results", "RPC_FAILED",
                        "the results stage is down");
  }
};

// No run id without a stored run: a submission the results stage cannot
// store is refused, with its cause, and nothing runs.
TEST_F(RunTest, ASubmissionTheResultsStageCannotStoreIsRefused) {
  absl::StatusOr<Stages> stages =
      MakeEmbeddedStages((directory_ / "results.db").string());
  ASSERT_TRUE(stages.ok()) << stages.status();
  stages->results =
      std::make_unique<RefusesBeginRun>(std::move(stages->results));
  runs_ = std::make_unique<RunManager>(*std::move(stages));
  WriteBars("AAA", kRoundTrip);
  const absl::StatusOr<std::string> run_id =
      runs_->Submit(Spec("AAA"), directory_.string());
  ASSERT_FALSE(run_id.ok());
  EXPECT_TRUE(absl::IsUnavailable(run_id.status())) << run_id.status();
  EXPECT_THAT(std::string(run_id.status().message()),
              HasSubstr("the results stage is down"));
}

// A submitted run is stored at once, QUEUED, before it starts.
TEST_F(RunTest, ASubmittedRunIsStoredBeforeItStarts) {
  WriteBars("AAA", kRoundTrip);
  absl::StatusOr<v1::BacktestSpec> spec =
      ParseSpec(Spec("AAA"), directory_.string());
  ASSERT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<std::unique_ptr<coordinator::Run>> run =
      coordinator::Run::Prepare(runs_->stages(), *spec, "stored-before-start");
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE((*run)->Record().ok());
  v1::ListRunsRequest list;
  list.set_state("QUEUED");
  v1::ListRunsResponse listed;
  ASSERT_TRUE(runs_->stages().results->ListRuns(list, &listed).ok());
  ASSERT_EQ(listed.runs_size(), 1);
  EXPECT_EQ(listed.runs(0).run_id(), "stored-before-start");
  EXPECT_TRUE(listed.runs(0).data_hash().empty()) << "not loaded yet";

  const v1::RunProgress progress =
      (*run)->Execute([](const v1::RunProgress&) {});
  EXPECT_EQ(progress.state(), v1::SUCCEEDED) << progress.DebugString();
  EXPECT_FALSE(progress.summary().data_hash().empty());
  EXPECT_EQ(progress.summary().created_at(), listed.runs(0).created_at());
}

// Two strategies in one run, each with its sleeve of the cash, trade as each
// would alone with that cash when no cap binds: the run's trades are the
// union of theirs, and its equity the sum of theirs at every step.
TEST_F(RunTest, SeveralStrategiesTradeLikeEachAloneWithItsAllocation) {
  data::SyntheticMarketOptions market;
  market.output_dir = (directory_ / "data").string();
  market.symbols = 3;
  market.trading_days = 400;
  ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());
  const std::string common =
      "data: {path: data, symbols: [SYNA, SYNB, SYNC]}\n"
      "execution: {commission: {model: percent, bps: 10}}\n";
  const std::string sizing = "sizing: {rule: percent_of_equity, percent: 0.3}";
  const std::string fast = "{name: sma_cross, params: {fast: 5, slow: 20}}";
  const std::string momentum = "{name: momentum, params: {lookback: 20}}";
  const v1::RunProgress together = RunToEnd(
      common + "strategies: [" + fast.substr(0, fast.size() - 1) +
      ", id: fast, allocation: 0.6}, " +
      momentum.substr(0, momentum.size() - 1) +
      ", id: mom}]\nportfolio: {initial_cash: 100000, " + sizing + "}\n");
  ASSERT_EQ(together.state(), v1::SUCCEEDED) << together.DebugString();
  EXPECT_EQ(together.summary().strategy(), "fast+mom");
  const v1::RunProgress fast_alone =
      RunToEnd(common + "strategy: " + fast +
               "\nportfolio: {initial_cash: 60000, " + sizing + "}\n");
  const v1::RunProgress momentum_alone =
      RunToEnd(common + "strategy: " + momentum +
               "\nportfolio: {initial_cash: 40000, " + sizing + "}\n");
  ASSERT_EQ(fast_alone.state(), v1::SUCCEEDED);
  ASSERT_EQ(momentum_alone.state(), v1::SUCCEEDED);

  const auto key = [](const v1::Trade& trade) {
    return std::make_tuple(trade.symbol(), trade.entry_time(),
                           trade.exit_time(), trade.quantity(),
                           trade.net_pnl());
  };
  const v1::GetRunResponse run = Stored(together.run_id());
  std::multiset<std::tuple<std::string, int64_t, int64_t, double, double>>
      expected, got;
  std::map<
      std::string,
      std::multiset<std::tuple<std::string, int64_t, int64_t, double, double>>>
      by_strategy;
  for (const auto& [id, alone] :
       {std::pair{"fast", &fast_alone}, {"mom", &momentum_alone}}) {
    const v1::GetRunResponse stored = Stored(alone->run_id());
    for (const v1::Trade& trade : stored.trades()) {
      expected.insert(key(trade));
      by_strategy[id].insert(key(trade));
    }
  }
  for (const v1::Trade& trade : run.trades()) got.insert(key(trade));
  EXPECT_GT(expected.size(), 10u);
  EXPECT_EQ(got, expected);
  // Each trade names the sleeve that made it.
  std::map<
      std::string,
      std::multiset<std::tuple<std::string, int64_t, int64_t, double, double>>>
      got_by_strategy;
  for (const v1::Trade& trade : run.trades()) {
    got_by_strategy[trade.strategy()].insert(key(trade));
  }
  EXPECT_EQ(got_by_strategy, by_strategy);
  // P&L is attributed to each: its sleeve ends where it would alone.
  const v1::Metrics& metrics = together.summary().metrics();
  ASSERT_EQ(metrics.strategies_size(), 2);
  EXPECT_EQ(metrics.strategies(0).id(), "fast");
  EXPECT_NEAR(metrics.strategies(0).final_equity(),
              fast_alone.summary().metrics().final_equity(), 1e-6);
  EXPECT_NEAR(metrics.strategies(1).final_equity(),
              momentum_alone.summary().metrics().final_equity(), 1e-6);

  const v1::GetRunResponse fast_run = Stored(fast_alone.run_id());
  const v1::GetRunResponse momentum_run = Stored(momentum_alone.run_id());
  ASSERT_EQ(run.equity_size(), fast_run.equity_size());
  ASSERT_EQ(run.equity_size(), momentum_run.equity_size());
  for (int i = 0; i < run.equity_size(); ++i) {
    EXPECT_NEAR(run.equity(i).equity(),
                fast_run.equity(i).equity() + momentum_run.equity(i).equity(),
                1e-6)
        << "at point " << i;
    ASSERT_EQ(run.equity(i).strategy_equity_size(), 2);
    EXPECT_DOUBLE_EQ(run.equity(i).strategy_equity(0),
                     fast_run.equity(i).equity());
    EXPECT_DOUBLE_EQ(run.equity(i).strategy_equity(1),
                     momentum_run.equity(i).equity());
  }
}

// Each strategy of a run reads only the higher timeframe it asked for, though
// every step carries both: together they trade as each alone.
TEST_F(RunTest, SeveralStrategiesEachReadTheirOwnTimeframe) {
  // Ten weekdays of 240 one-minute bars from 09:01: two waves on a drift
  // that turns with the days, so both the day's and the hour's trend flip.
  std::ofstream file(directory_ / "data" / "MIN.csv");
  file << "timestamp,open,high,low,close,volume\n";
  double close = 100;
  for (int day = 0; day < 10; ++day) {
    const int64_t date = ParseTime("2006-01-02").value() +
                         (day + day / 5 * 2) * kSecondsPerDay;  // weekdays
    for (int minute = 1; minute <= 240; ++minute) {
      const int i = day * 240 + minute;
      const double open = close;
      close = 100 + 4 * std::sin(i / 23.0) + 6 * std::sin(i / 310.0) +
              (day % 4 < 2 ? 0.5 : -0.5) * day;
      file << FormatTime(date + 9 * 3600 + minute * 60) << "," << open << ","
           << std::max(open, close) + 0.05 << ","
           << std::min(open, close) - 0.05 << "," << close << ",1000\n";
    }
  }
  file.close();
  const std::string common =
      "data: {path: data, symbols: [MIN]}\n"
      "execution: {commission: {model: percent, bps: 10}}\n";
  const std::string sizing = "sizing: {rule: percent_of_equity, percent: 0.5}";
  const std::string daily =
      "{name: mtf_trend, params: {timeframe: 1d, trend_length: 2, "
      "ema_length: 10}";
  const std::string hourly =
      "{name: mtf_trend, params: {timeframe: 1h, trend_length: 3, "
      "ema_length: 10}";
  const v1::RunProgress together = RunToEnd(
      common + "strategies: [" + daily + ", id: daily}, " + hourly +
      ", id: hourly}]\nportfolio: {initial_cash: 100000, " + sizing + "}\n");
  ASSERT_EQ(together.state(), v1::SUCCEEDED) << together.DebugString();
  std::map<std::string, std::vector<std::string>> trades;
  const v1::GetRunResponse run = Stored(together.run_id());
  for (const v1::Trade& trade : run.trades()) {
    trades[trade.strategy()].push_back(trade.ShortDebugString());
  }
  const v1::Metrics& metrics = together.summary().metrics();
  ASSERT_EQ(metrics.strategies_size(), 2);
  for (const auto& [index, id, strategy] :
       {std::tuple{0, "daily", daily}, {1, "hourly", hourly}}) {
    SCOPED_TRACE(id);
    const v1::RunProgress alone =
        RunToEnd(common + "strategy: " + strategy +
                 "}\nportfolio: {initial_cash: 50000, " + sizing + "}\n");
    ASSERT_EQ(alone.state(), v1::SUCCEEDED) << alone.DebugString();
    std::vector<std::string> expected;
    const v1::GetRunResponse alone_run = Stored(alone.run_id());
    for (v1::Trade trade : alone_run.trades()) {
      trade.set_strategy(id);
      expected.push_back(trade.ShortDebugString());
    }
    EXPECT_GT(expected.size(), 3u);
    EXPECT_EQ(trades[id], expected);
    EXPECT_NEAR(metrics.strategies(index).final_equity(),
                alone.summary().metrics().final_equity(), 1e-6);
  }
}

TEST_F(RunTest, ProblemsOfSeveralStrategiesNameTheirEntry) {
  WriteBars("AAA", kRoundTrip);
  const absl::StatusOr<std::string> run_id = runs_->Submit(
      "data: {path: data, symbols: [AAA]}\n"
      "strategies: [{name: sma_cross, allocation: 0.5},"
      " {name: sma_cross, params: {fast: 0}, allocation: 0.7}]\n",
      directory_.string());
  ASSERT_FALSE(run_id.ok());
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(run_id.status())) {
    fields.push_back(problem.field);
  }
  // The second has the first's default id and the two take 1.2 of the cash.
  EXPECT_THAT(fields, ::testing::ElementsAre("strategies[1].id", "strategies"))
      << run_id.status();

  const absl::StatusOr<std::string> bad_param = runs_->Submit(
      "data: {path: data, symbols: [AAA]}\n"
      "strategies: [{name: sma_cross, id: a},"
      " {name: sma_cross, id: b, params: {fast: 0}}]\n",
      directory_.string());
  ASSERT_FALSE(bad_param.ok());
  fields.clear();
  for (const FieldProblem& problem : FieldProblems(bad_param.status())) {
    fields.push_back(problem.field);
  }
  EXPECT_THAT(fields, ::testing::Contains("strategies[1].params.fast"))
      << bad_param.status();
}

// A strategy service that answers StartRun with only its name and resolved
// params, which is all the contract asks of a plug-in.
class TerseStrategy final : public ForwardingStrategyStage {
 public:
  using ForwardingStrategyStage::ForwardingStrategyStage;
  absl::Status StartRun(const v1::StrategyStartRequest& request,
                        v1::StrategyStartResponse* response) override {
    const absl::Status status =
        ForwardingStrategyStage::StartRun(request, response);
    v1::StrategySpec terse;
    terse.set_name(response->resolved().name());
    *terse.mutable_params() = response->resolved().params();
    *response->mutable_resolved() = std::move(terse);
    return status;
  }
};

TEST_F(RunTest, AStrategyThatResolvesOnlyItsParamsKeepsItsIdAndAllocation) {
  WriteBars("AAA", kRoundTrip);
  absl::StatusOr<Stages> stages =
      MakeEmbeddedStages((directory_ / "terse.db").string());
  ASSERT_TRUE(stages.ok()) << stages.status();
  stages->strategy =
      std::make_unique<TerseStrategy>(std::move(stages->strategy));
  RunManager runs(*std::move(stages));
  const absl::StatusOr<std::string> run_id = runs.Submit(
      "data: {path: data, symbols: [AAA]}\n"
      "strategies: [{name: sma_cross, id: a, allocation: 0.6,"
      " params: {fast: 2, slow: 3}}, {name: sma_cross, id: b}]\n"
      "portfolio: {initial_cash: 10000}\n",
      directory_.string());
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  const v1::RunProgress progress = *runs.Wait(*run_id);
  ASSERT_EQ(progress.state(), v1::SUCCEEDED) << progress.DebugString();
  // 0.6 and the 0.4 left of 10000; b's params are its schema's defaults.
  const v1::Metrics& metrics = progress.summary().metrics();
  ASSERT_EQ(metrics.strategies_size(), 2);
  EXPECT_EQ(metrics.strategies(0).id(), "a");
  EXPECT_DOUBLE_EQ(metrics.strategies(0).initial_equity(), 6000);
  EXPECT_EQ(metrics.strategies(1).id(), "b");
  EXPECT_DOUBLE_EQ(metrics.strategies(1).initial_equity(), 4000);
}

}  // namespace
}  // namespace seed::coordinator
