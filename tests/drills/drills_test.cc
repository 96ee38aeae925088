// Failure drills (docs/failures.md): every stage is broken on purpose, in
// distributed mode (each service its own `bt serve --only=NAME` process, so
// one can be killed and restarted) and in embedded mode where the fault can
// happen there. Each drill checks that the run ends FAILED naming the right
// stage (symbol and bar where they apply), that its stored trace marks the
// failing span (CheckTrace), that everything recorded before the failure is
// still stored and equals a healthy reference run's records up to that
// point, and that the coordinator goes on serving other runs.
#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/drills/drill_fixture.h"

namespace seed::drills {
namespace {

// --- 1. data ---------------------------------------------------------------

TEST_F(DrillsTest, DataCorruptRowUnderTheStrictPolicy) {
  const fs::path corrupt = Workspace() / "corrupt";
  fs::remove_all(corrupt);
  fs::copy(Market(), corrupt);
  std::vector<std::string> lines =
      absl::StrSplit(ReadText(corrupt / "SYNB.csv"), '\n');
  ASSERT_GT(lines.size(), 300u);
  // Line 300 of the file (lines[299]): its close becomes text.
  std::vector<std::string> fields = absl::StrSplit(lines[299], ',');
  ASSERT_EQ(fields.size(), 6u) << lines[299];
  const std::string date = fields[0];
  fields[4] = "oops";
  lines[299] = absl::StrJoin(fields, ",");
  WriteText(corrupt / "SYNB.csv", absl::StrJoin(lines, "\n"));

  const std::string spec =
      Spec("corrupt", MarketData(corrupt, ", on_bad_rows: reject"),
           "{name: sma_cross}");
  const ExpectedEnd expected{.stage = "data",
                             .reason = "BAD_ROWS",
                             .symbol = "SYNB",
                             .message_has = "SYNB.csv line 300"};
  const Outcome embedded = RunEmbedded(spec);
  CheckEnd(embedded, expected);
  EXPECT_TRUE(
      absl::StrContains(embedded.progress.summary().error().message(), date));
  const Outcome distributed = RunDistributed(spec);
  CheckEnd(distributed, expected);
  // Nothing ran: the data is checked before the first step.
  EXPECT_EQ(distributed.stored.equity_size(), 0);
  ExpectCoordinatorServes();
}

TEST_F(DrillsTest, DataSymbolWithNoBarsInTheRange) {
  const std::string spec = Spec(
      "no-bars", MarketData(Market(), ", start: 1990-01-01, end: 1990-12-31"),
      "{name: sma_cross}");
  const ExpectedEnd expected{.stage = "data",
                             .reason = "NO_BARS_IN_RANGE",
                             .message_has = "1990-01-01"};
  CheckEnd(RunEmbedded(spec), expected);
  CheckEnd(RunDistributed(spec), expected);
  ExpectCoordinatorServes();
}

// Tests run as root, which reads any file whatever its mode; a directory
// where SYNA.csv should be is a fault root cannot read past.
TEST_F(DrillsTest, DataFileUnreadable) {
  const fs::path broken = Workspace() / "dir_in_place_of_file";
  fs::remove_all(broken);
  fs::copy(Market(), broken);
  fs::remove(broken / "SYNA.csv");
  fs::create_directory(broken / "SYNA.csv");
  const std::string spec =
      Spec("unreadable-file", MarketData(broken), "{name: sma_cross}");
  const ExpectedEnd expected{
      .stage = "data",
      .reason = "NOT_A_REGULAR_FILE",
      .symbol = "SYNA",
      .message_has = absl::StrCat((broken / "SYNA.csv").string(),
                                  " is a directory, not a regular file")};
  CheckEnd(RunEmbedded(spec), expected);
  CheckEnd(RunDistributed(spec), expected);
  ExpectCoordinatorServes();
}

// data.path runs through a regular file: no directory can be read there.
TEST_F(DrillsTest, DataDirectoryUnreadable) {
  const std::string path = (Market() / "SYNA.csv" / "prices").string();
  const std::string spec = Spec(
      "unreadable-dir", absl::StrCat("{path: ", path, ", symbols: [SYNA]}"),
      "{name: sma_cross}");
  const ExpectedEnd expected{
      .stage = "data",
      .reason = "DATA_DIR_UNREADABLE",
      .message_has = absl::StrCat("cannot read data directory ", path,
                                  ": Not a directory")};
  CheckEnd(RunEmbedded(spec), expected);
  CheckEnd(RunDistributed(spec), expected);
  ExpectCoordinatorServes();
}

// --- 2. strategy -------------------------------------------------------------

class StrategyDrillsTest : public DrillsTest {
 protected:
  // The faulty strategy acts up at this step; it trades before, so records
  // exist to be kept.
  static constexpr int kFaultStep = 300;

  // The date of step kFaultStep (every synthetic symbol trades from the
  // first day but the late listing, so steps follow SYNA's rows).
  static std::string FaultDate() {
    std::vector<std::string> lines =
        absl::StrSplit(ReadText(Market() / "SYNA.csv"), '\n');
    return std::vector<std::string>(absl::StrSplit(lines[kFaultStep], ','))[0];
  }

  // Runs the fault in both modes against a reference run of the same
  // strategy without a fault.
  void Drill(const std::string& fault, const ExpectedEnd& expected) {
    const Outcome reference = RunEmbedded(FaultySpec("none", kFaultStep));
    ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED)
        << reference.progress.DebugString();
    ASSERT_GT(reference.stored.fills_size(), 0);
    for (const bool distributed : {false, true}) {
      SCOPED_TRACE(distributed ? "distributed" : "embedded");
      const Outcome failed = distributed
                                 ? RunDistributed(FaultySpec(fault, kFaultStep))
                                 : RunEmbedded(FaultySpec(fault, kFaultStep));
      CheckEnd(failed, expected);
      ExpectRecordsKept(failed, reference, kFaultStep / 2);
      EXPECT_GT(failed.stored.fills_size(), 0);
    }
    ExpectCoordinatorServes();
  }
};

TEST_F(StrategyDrillsTest, StrategyThrowsAtABar) {
  Drill("throw", {.stage = "strategy",
                  .reason = "STRATEGY_EXCEPTION",
                  .bar_time = FaultDate(),
                  .message_has = "deliberate exception at step 300"});
}

TEST_F(StrategyDrillsTest, StrategyNeverAnswers) {
  Drill("hang", {.stage = "strategy",
                 .reason = "DEADLINE_EXCEEDED",
                 .bar_time = FaultDate()});
}

// A malformed intent fails the run as the strategy's fault: the portfolio
// checks every intent with common/intent_check before sizing, whichever
// process made it.
TEST_F(StrategyDrillsTest, StrategyReturnsNegativeQuantity) {
  Drill("negative_quantity", {.stage = "strategy",
                              .reason = "INVALID_INTENT",
                              .symbol = "SYNA",
                              .bar_time = FaultDate()});
}

TEST_F(StrategyDrillsTest, StrategyReturnsStopOnTheWrongSide) {
  Drill("wrong_side_stop", {.stage = "strategy",
                            .reason = "INVALID_INTENT",
                            .symbol = "SYNA",
                            .bar_time = FaultDate()});
}

TEST_F(StrategyDrillsTest, StrategyReturnsUnknownSymbol) {
  Drill("unknown_symbol", {.stage = "strategy",
                           .reason = "INVALID_INTENT",
                           .bar_time = FaultDate()});
}

// --- 3. portfolio
// -------------------------------------------------------------

// portfolio.limits.on_breach: fail, and a margin account's liquidation.
TEST_F(DrillsTest, PortfolioHardLimitInStrictMode) {
  // Each entry is sized at 30% of equity; the cap is 10%.
  const std::string spec = absl::StrCat(
      "name: strict-limit\n", "data: ", MarketData(Market()), "\n",
      "strategy: {name: sma_cross, params: {fast: 5, slow: 20}}\n"
      "portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, "
      "percent: 0.3}, limits: {max_position_percent: 0.1, on_breach: fail}}\n"
      "execution: {commission: {model: none}, slippage: {model: none}}\n");
  const Outcome reference =
      RunEmbedded(Spec("reference", MarketData(Market()),
                       "{name: sma_cross, params: {fast: 5, slow: 20}}"));
  for (const bool distributed : {false, true}) {
    SCOPED_TRACE(distributed ? "distributed" : "embedded");
    const Outcome failed =
        distributed ? RunDistributed(spec) : RunEmbedded(spec);
    CheckEnd(failed,
             {.stage = "portfolio", .message_has = "max_position_percent"});
    EXPECT_FALSE(failed.progress.summary().error().symbol().empty());
    EXPECT_FALSE(failed.progress.summary().error().bar_time().empty());
    // The first entry breaks the cap: the equity before it is kept.
    EXPECT_EQ(failed.stored.fills_size(), 0);
    ExpectPrefix(failed.stored.equity(), reference.stored.equity(), "equity");
  }
  ExpectCoordinatorServes();
}

// A leveraged long position in a symbol that rises (sma_cross buys) and then
// crashes by 70%: the maintenance margin is breached, the position is
// liquidated, and the run completes with the liquidation recorded.
TEST_F(DrillsTest, PortfolioMarginBreachLiquidates) {
  const fs::path dir = Workspace() / "crash";
  fs::create_directories(dir);
  std::string csv = "date,open,high,low,close,volume\n";
  std::vector<double> closes;
  for (int i = 0; i < 10; ++i) closes.push_back(100 - i);     // falling
  for (int i = 0; i < 10; ++i) closes.push_back(92 + 3 * i);  // rising: buy
  for (int i = 0; i < 10; ++i) closes.push_back(36);          // crashed
  absl::CivilDay day(2020, 1, 1);
  for (const double close : closes) {
    while (absl::GetWeekday(day) == absl::Weekday::saturday ||
           absl::GetWeekday(day) == absl::Weekday::sunday) {
      ++day;
    }
    absl::StrAppend(&csv, absl::FormatCivilTime(day), ",", close, ",", close,
                    ",", close, ",", close, ",1000\n");
    ++day;
  }
  WriteText(dir / "CRASH.csv", csv);
  const std::string spec = absl::StrCat(
      "name: margin-call\n", "data: {path: ", dir.string(),
      ", symbols: [CRASH]}\n",
      "strategy: {name: sma_cross, params: {fast: 2, slow: 4}}\n"
      "portfolio: {initial_cash: 100000, sizing: {rule: fixed_quantity, "
      "quantity: 1900}, account: {type: margin, initial_margin: 0.5, "
      "maintenance_margin: 0.25}}\n"
      "execution: {commission: {model: none}, slippage: {model: none}}\n");
  for (const bool distributed : {false, true}) {
    SCOPED_TRACE(distributed ? "distributed" : "embedded");
    const Outcome outcome =
        distributed ? RunDistributed(spec) : RunEmbedded(spec);
    CheckEnd(outcome, {.state = v1::SUCCEEDED});
    bool liquidated = false;
    for (const v1::Trade& trade : outcome.stored.trades()) {
      liquidated = liquidated || trade.exit_reason() == "liquidation";
    }
    EXPECT_TRUE(liquidated) << outcome.stored.DebugString();
    // The trace shows it: the portfolio's call that stopped at the margin
    // call, and the sizing that added the liquidating order.
    ASSERT_TRUE(outcome.trace.ok());
    std::string margin_call;
    bool liquidation_ordered = false;
    for (const v1::Span& span : outcome.trace->spans()) {
      if (span.name() == "portfolio.apply_steps" && margin_call.empty()) {
        margin_call = StringAttribute(span, "margin_call");
      }
      for (const v1::SpanAttribute& attribute : span.attributes()) {
        liquidation_ordered =
            liquidation_ordered || (span.name() == "portfolio.size_intents" &&
                                    attribute.key() == "liquidation_orders" &&
                                    attribute.int_value() == 1);
      }
    }
    EXPECT_TRUE(absl::StrContains(margin_call, "maintenance")) << margin_call;
    EXPECT_TRUE(liquidation_ordered);
  }
}

// --- 4. execution
// -------------------------------------------------------------

// SIGKILL of the execution service in the middle of a run; then it restarts,
// reports SERVING once ready, and the same spec (same fingerprint) runs to
// the end with the records the interrupted run kept as its beginning.
TEST_F(DrillsTest, ExecutionKilledMidRun) {
  const std::string spec = LongSpec("execution-killed");
  const Outcome reference = RunEmbedded(spec);
  ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED);

  const Outcome killed = WatchToEnd(Submit(spec), StrikeAfter(4096, [] {
                                      services_["execution"]->Signal(SIGKILL);
                                    }));
  CheckEnd(killed, {.stage = "execution",
                    .reason = "STAGE_UNAVAILABLE",
                    .message_has = addresses_.execution,
                    .failing_span = "execution.execute_steps"});
  // The run ends without asking the dead service again (which would only
  // wait for it a second time), and says so.
  EXPECT_TRUE(std::any_of(
      killed.progress.notices().begin(), killed.progress.notices().end(),
      [](const std::string& notice) {
        return absl::StrContains(notice, "the execution stage was not asked "
                                         "to end the run");
      }))
      << killed.progress.DebugString();
  ExpectRecordsKept(killed, reference, 4096);
  EXPECT_LT(killed.stored.equity_size(), reference.stored.equity_size());

  services_["execution"]->Wait();
  delete services_["execution"];
  services_.erase("execution");
  EXPECT_FALSE(
      WaitUntilServing(addresses_.execution, absl::Milliseconds(300)).ok());
  StartService("execution");
  ASSERT_TRUE(WaitUntilServing(addresses_.execution, absl::Seconds(1)).ok());
  // The coordinator's channel retries the connection every
  // kReconnectBackoffMs; until then its calls fail at once.
  ExpectCoordinatorServesWithin(absl::Seconds(10));

  const Outcome rerun = RunDistributed(spec);
  CheckEnd(rerun, {.state = v1::SUCCEEDED});
  EXPECT_EQ(rerun.stored.equity_size(), reference.stored.equity_size());
  ExpectRecordsKept(killed, rerun, 4096);
  // Same fingerprint: spec, data and code.
  EXPECT_EQ(rerun.stored.run().spec_hash(), killed.stored.run().spec_hash());
  EXPECT_EQ(rerun.stored.run().data_hash(), killed.stored.run().data_hash());
  EXPECT_EQ(rerun.stored.run().engine_version(),
            killed.stored.run().engine_version());
  EXPECT_FALSE(rerun.stored.run().spec_hash().empty());
  ExpectCoordinatorServes();
}

// --- 5. results -------------------------------------------------------------

// The disk fills up while the run writes: the results service runs under a
// file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored, so a write past it
// fails with EFBIG as on a full disk) big enough for the run to start but
// not for its first batch of records. Then the limit goes away (the service
// restarts on the same database) and a retry stores the whole run. The
// failed run's trace cannot reach the full disk either, and it is not kept
// (storing it later would fill the disk again): the run's notice says so,
// and the retry stores only its own.
TEST_F(DrillsTest, ResultsDiskFullWhileTheRunWrites) {
  const std::string spec = LongSpec("disk-full");
  const Outcome reference = RunEmbedded(spec);
  ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED);
  const fs::path database = Workspace() / "disk_full.db";
  fs::remove(database);

  StopService("results", SIGTERM);
  StartService("results", "trap '' XFSZ; ulimit -f 256", database);
  if (HasFatalFailure()) return;
  const Outcome failed = RunDistributed(spec);
  // The failure is the results service's own span of the call, or the
  // coordinator's when the run passed the trace's span cap before its first
  // batch (records go out every second: how many spans a second makes
  // depends on the machine).
  const ExpectedEnd expected{
      .stage = "results",
      .reason = "DISK_FULL",
      .message_has = "full",
      .failing_span_one_of = {"backtest.v1.ResultsService/AppendRecords",
                              "results.append_records"}};
  EXPECT_EQ(failed.progress.state(), v1::FAILED);
  const v1::StageError& error = failed.progress.summary().error();
  EXPECT_EQ(error.stage(), expected.stage) << failed.progress.DebugString();
  EXPECT_EQ(error.reason(), expected.reason) << failed.progress.DebugString();
  EXPECT_TRUE(absl::StrContains(error.message(), expected.message_has))
      << failed.progress.DebugString();
  // The bars whose records the full disk refused, FIRST..LAST.
  EXPECT_TRUE(absl::StrContains(error.bar_time(), ".."))
      << failed.progress.DebugString();
  // Its trace is not stored, and the run says it is not kept.
  EXPECT_TRUE(absl::IsNotFound(failed.trace.status())) << failed.trace.status();
  bool trace_not_kept = false;
  for (const std::string& notice : failed.progress.notices()) {
    trace_not_kept = trace_not_kept ||
                     absl::StrContains(notice, "the trace is not kept");
  }
  EXPECT_TRUE(trace_not_kept) << failed.progress.DebugString();

  StopService("results", SIGTERM);
  StartService("results", "", database);
  if (HasFatalFailure()) return;
  // What reached the disk before it filled up is still there, and the
  // outcome (an update in place, no growth) says why the run failed.
  Outcome kept = failed;
  coordinator::Stages remote = coordinator::MakeRemoteStages(addresses_);
  kept.stored = testing::FetchRun(*remote.results, failed.run_id);
  ExpectRecordsKept(kept, reference, 0);
  const Outcome retry = RunDistributed(spec);
  CheckEnd(retry, {.state = v1::SUCCEEDED});
  ExpectRecordsKept(retry, reference, reference.stored.equity_size());
  EXPECT_EQ(retry.stored.equity_size(), reference.stored.equity_size());
  EXPECT_EQ(retry.stored.fills_size(), reference.stored.fills_size());
  EXPECT_EQ(retry.stored.run().spec_hash(), reference.stored.run().spec_hash());
  EXPECT_EQ(retry.stored.run().data_hash(), reference.stored.run().data_hash());
  // The failed run's trace was given up, not stored by the retry.
  EXPECT_TRUE(absl::IsNotFound(
      FetchTrace(*remote.results, failed.run_id).status()));

  StopService("results", SIGTERM);
  StartService("results");
  if (HasFatalFailure()) return;
  ExpectCoordinatorServes();
}

}  // namespace
}  // namespace seed::drills
