#include "cli/trace_tree.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kMs = 1000000;
constexpr int64_t kStart = 1700000000LL * 1000000000LL;

backtest::v1::Span* AddSpan(backtest::v1::Trace& trace, const std::string& id,
                            const std::string& parent, const std::string& name,
                            const std::string& service, int64_t start_ms,
                            int64_t end_ms) {
  backtest::v1::Span* span = trace.add_spans();
  span->set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  span->set_span_id(id);
  span->set_parent_span_id(parent);
  span->set_name(name);
  span->set_service(service);
  span->set_start_unix_nanos(kStart + start_ms * kMs);
  span->set_end_unix_nanos(kStart + end_ms * kMs);
  return span;
}

void SetInt(backtest::v1::Span* span, const std::string& key, int64_t value) {
  auto* attribute = span->add_attributes();
  attribute->set_key(key);
  attribute->set_int_value(value);
}

void SetText(backtest::v1::Span* span, const std::string& key,
             const std::string& value) {
  auto* attribute = span->add_attributes();
  attribute->set_key(key);
  attribute->set_string_value(value);
}

void Fail(backtest::v1::Span* span, const std::string& message) {
  span->set_status_code(backtest::v1::SPAN_STATUS_ERROR);
  span->set_status_message(message);
}

// A run whose strategy service failed on its fourth chunk.
backtest::v1::Trace FailedRun() {
  backtest::v1::Trace trace;
  backtest::v1::Span* run =
      AddSpan(trace, "r000000000000001", "c000000000000000", "run",
              "coordinator", 0, 1500);
  Fail(run, "coordinator STRATEGY_FAILED: boom");
  SetText(run, "error.bar_time", "1995-01-05");
  for (int i = 0; i < 3; ++i) {
    backtest::v1::Span* chunk =
        AddSpan(trace, absl::StrCat("s00000000000000", i), "r000000000000001",
                "strategy.on_steps", "coordinator", 10 + i * 10, 12 + i * 10);
    SetInt(chunk, "steps", 10);
    SetInt(chunk, "time.first", 788918400 + i * 86400);  // 1995-01-01 + i
    SetInt(chunk, "time.last", 788918400 + i * 86400);
    AddSpan(trace, absl::StrCat("v00000000000000", i),
            absl::StrCat("s00000000000000", i),
            "backtest.v1.StrategyService/OnSteps", "strategy", 10 + i * 10,
            11 + i * 10);
  }
  backtest::v1::Span* failed_call =
      AddSpan(trace, "s000000000000009", "r000000000000001",
              "strategy.on_steps", "coordinator", 50, 53);
  Fail(failed_call, "strategy STRATEGY_FAILED: boom");
  backtest::v1::Span* failed_rpc =
      AddSpan(trace, "v000000000000009", "s000000000000009",
              "backtest.v1.StrategyService/OnSteps", "strategy", 51, 52);
  Fail(failed_rpc, "strategy STRATEGY_FAILED: boom");
  SetText(failed_rpc, "error.stage", "strategy");
  SetText(failed_rpc, "error.symbol", "ORCL");
  return trace;
}

TEST(TraceTreeTest, MarksTheDeepestFailingSpanAndFoldsRepeatedChunks) {
  const std::string tree = FormatTraceTree(FailedRun());
  EXPECT_THAT(tree, HasSubstr("trace 4bf92f3577b34da6a3ce929d0e0e4736  (9 "
                              "spans from coordinator, strategy)"));
  EXPECT_THAT(tree, HasSubstr("run  1.50 s  [coordinator]  ERROR\n"));
  // Three healthy chunks, 2 ms each: one line with their summed steps and
  // their time range; their three server spans are counted, not printed.
  EXPECT_THAT(tree,
              HasSubstr("├─ strategy.on_steps x3  6.0 ms total  [coordinator]"
                        "  steps=30  1995-01-01..1995-01-03  (3 nested spans; "
                        "--all shows them)\n"));
  EXPECT_THAT(tree, HasSubstr("└─ strategy.on_steps  3.0 ms  [coordinator]  "
                              "ERROR\n"));
  EXPECT_THAT(tree, HasSubstr("   └─ backtest.v1.StrategyService/OnSteps  "
                              "1.0 ms  [strategy]  ERROR  <== FAILED HERE\n"));
  // The summary takes the stage and symbol from the failing span and the bar
  // time from its nearest ancestor that has one (the run span).
  EXPECT_THAT(tree, HasSubstr("FAILED in strategy at ORCL 1995-01-05: strategy "
                              "STRATEGY_FAILED: boom\n  failing span: "
                              "backtest.v1.StrategyService/OnSteps (strategy, "
                              "span v000000000000009)\n"));
}

TEST(TraceTreeTest, EverySpanShowsTheChunksOneByOne) {
  const std::string tree = FormatTraceTree(FailedRun(), {.every_span = true});
  EXPECT_THAT(tree, Not(HasSubstr(" x3")));
  EXPECT_THAT(tree, HasSubstr("├─ strategy.on_steps  2.0 ms  [coordinator]  "
                              "steps=10  1995-01-01\n"));
  EXPECT_THAT(tree, HasSubstr("│  └─ backtest.v1.StrategyService/OnSteps  "
                              "1.0 ms  [strategy]\n"));
}

TEST(TraceTreeTest, ASucceededRunHasNoFailureLine) {
  backtest::v1::Trace trace;
  AddSpan(trace, "r000000000000001", "", "run", "coordinator", 0, 2);
  const std::string tree = FormatTraceTree(trace);
  EXPECT_THAT(tree, HasSubstr("run  2.0 ms  [coordinator]\n"));
  EXPECT_THAT(tree, Not(HasSubstr("FAILED")));
  EXPECT_EQ(FormatTraceTree({}), "the trace has no spans\n");
}

// A killed execution service: its step call fails first, then the call that
// ends the run on it. The first is the failure.
TEST(TraceTreeTest, MarksTheFirstFailureNotTheCallsThatFollowedIt) {
  backtest::v1::Trace trace;
  backtest::v1::Span* run =
      AddSpan(trace, "r000000000000001", "", "run", "coordinator", 0, 100);
  Fail(run, "execution STAGE_UNAVAILABLE: Connection refused");
  SetText(run, "run.state", "FAILED");
  backtest::v1::Span* step = AddSpan(trace, "e000000000000001",
                                     "r000000000000001",
                                     "execution.execute_steps", "coordinator",
                                     10, 20);
  Fail(step, "execution STAGE_UNAVAILABLE: Socket closed");
  SetText(step, "error.stage", "execution");
  backtest::v1::Span* end = AddSpan(trace, "e000000000000002",
                                    "r000000000000001", "execution.end_run",
                                    "coordinator", 30, 40);
  Fail(end, "execution STAGE_UNAVAILABLE: Connection refused");
  SetText(end, "error.stage", "execution");
  const std::string tree = FormatTraceTree(trace);
  EXPECT_THAT(tree, HasSubstr("execution.execute_steps  10.0 ms  "
                              "[coordinator]  ERROR  <== FAILED HERE\n"));
  EXPECT_THAT(tree, HasSubstr("execution.end_run  10.0 ms  [coordinator]  "
                              "ERROR\n"));
  EXPECT_THAT(tree, HasSubstr("FAILED in execution: execution "
                              "STAGE_UNAVAILABLE: Socket closed\n"));
}

// A run that succeeded although the data service died after loading: the
// verdict is the run's, and the failed call is a note.
TEST(TraceTreeTest, ARunThatSucceededIsNotBlamedOnAFailedSpan) {
  backtest::v1::Trace trace;
  backtest::v1::Span* run =
      AddSpan(trace, "r000000000000001", "", "run", "coordinator", 0, 100);
  SetText(run, "run.state", "SUCCEEDED");
  backtest::v1::Span* close =
      AddSpan(trace, "d000000000000001", "r000000000000001",
              "data.close_dataset", "coordinator", 90, 95);
  Fail(close, "data STAGE_UNAVAILABLE: Connection refused");
  const std::string tree = FormatTraceTree(trace);
  EXPECT_THAT(tree, Not(HasSubstr("FAILED")));
  EXPECT_THAT(tree, HasSubstr("data.close_dataset  5.0 ms  [coordinator]  "
                              "ERROR\n"));
  EXPECT_THAT(tree, HasSubstr("the run did not fail; 1 span(s) failed without "
                              "failing it:\n  data.close_dataset "
                              "(coordinator): data STAGE_UNAVAILABLE: "
                              "Connection refused\n"));
}

}  // namespace
}  // namespace seed::cli
