#include "common/tracing.h"

#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"

namespace seed::tracing {
namespace {

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kSpanId[] = "00f067aa0ba902b7";

bool IsLowerHexOfLength(const std::string& text, size_t length) {
  return text.size() == length &&
         text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(TracingTest, IdsAreLowercaseHexOfTheRightLengthAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string trace_id = NewTraceId();
    const std::string span_id = NewSpanId();
    EXPECT_TRUE(IsLowerHexOfLength(trace_id, 32)) << trace_id;
    EXPECT_TRUE(IsLowerHexOfLength(span_id, 16)) << span_id;
    EXPECT_NE(trace_id, std::string(32, '0'));
    seen.insert(span_id);
  }
  EXPECT_EQ(seen.size(), 1000);  // 64 random bits: a repeat means a bug
}

TEST(TracingTest, TraceparentRoundTrips) {
  const std::string header = absl::StrCat("00-", kTraceId, "-", kSpanId, "-01");
  const absl::StatusOr<SpanContext> context = ParseTraceparent(header);
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_EQ(context->trace_id, kTraceId);
  EXPECT_EQ(context->span_id, kSpanId);
  EXPECT_TRUE(context->sampled);
  EXPECT_EQ(FormatTraceparent(*context), header);

  const absl::StatusOr<SpanContext> unsampled =
      ParseTraceparent(absl::StrCat("00-", kTraceId, "-", kSpanId, "-00"));
  ASSERT_TRUE(unsampled.ok());
  EXPECT_FALSE(unsampled->sampled);
  EXPECT_EQ(FormatTraceparent(*unsampled),
            absl::StrCat("00-", kTraceId, "-", kSpanId, "-00"));
  // A later version may carry more fields after the four it shares with 00.
  EXPECT_TRUE(
      ParseTraceparent(absl::StrCat("01-", kTraceId, "-", kSpanId, "-01-xyz"))
          .ok());
}

TEST(TracingTest, MalformedTraceparentsAreRejected) {
  const std::string zeros32(32, '0');
  const std::string zeros16(16, '0');
  for (const std::string& header : {
           std::string(""),
           std::string("00-abc-def-01"),
           absl::StrCat("00-", kTraceId, "-", kSpanId, "-0"),     // short
           absl::StrCat("00-", kTraceId, "-", kSpanId, "-01-x"),  // 00 + more
           absl::StrCat("00-", kTraceId, "_", kSpanId, "-01"),    // separator
           absl::StrCat("00-", "4BF92F3577B34DA6A3CE929D0E0E4736", "-", kSpanId,
                        "-01"),  // uppercase
           absl::StrCat("00-", kTraceId, "-", "00f067aa0ba902bz", "-01"),
           absl::StrCat("ff-", kTraceId, "-", kSpanId, "-01"),  // version
           absl::StrCat("00-", zeros32, "-", kSpanId, "-01"),   // zero ids
           absl::StrCat("00-", kTraceId, "-", zeros16, "-01"),
       }) {
    const absl::StatusOr<SpanContext> context = ParseTraceparent(header);
    EXPECT_FALSE(context.ok()) << header;
    EXPECT_EQ(context.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(TracingTest, SpansOutsideATraceRecordNothing) {
  Span span("nothing", backtest::v1::SPAN_KIND_INTERNAL);
  EXPECT_FALSE(span.recording());
  span.SetAttribute("steps", 3);
  EXPECT_FALSE(span.ChildContext().recording());
}

TEST(TracingTest, ChildSpansLinkToTheirParentsAndCarryAttributes) {
  TraceRecorder recorder;
  const TraceContext root{&recorder, {kTraceId, kSpanId}, "coordinator"};
  std::string child_id;
  {
    ContextScope scope(root);
    Span parent("run", backtest::v1::SPAN_KIND_INTERNAL);
    ASSERT_TRUE(parent.recording());
    parent.SetAttribute("symbols", "ORCL,NVDA");
    parent.SetAttribute("steps", 42);
    parent.SetAttribute("fraction", 0.5);
    parent.SetAttribute("partial", true);
    {
      ContextScope inner(parent.ChildContext());
      Span child("execution.execute_steps", backtest::v1::SPAN_KIND_CLIENT);
      child_id = child.data().span_id();
      EXPECT_EQ(child.data().parent_span_id(), parent.data().span_id());
    }
    // The scope ended: new spans are children of the root again.
    Span sibling("results.append_records", backtest::v1::SPAN_KIND_CLIENT);
    EXPECT_EQ(sibling.data().parent_span_id(), kSpanId);
  }
  EXPECT_FALSE(CurrentContext().recording());  // every scope restored
  const backtest::v1::Trace trace = recorder.Snapshot();
  ASSERT_EQ(trace.spans_size(), 3);
  // Spans are recorded as they end: child, sibling, parent.
  EXPECT_EQ(trace.spans(0).span_id(), child_id);
  EXPECT_EQ(trace.spans(1).name(), "results.append_records");
  const backtest::v1::Span& run = trace.spans(2);
  EXPECT_EQ(run.name(), "run");
  EXPECT_EQ(run.trace_id(), kTraceId);
  EXPECT_EQ(run.parent_span_id(), kSpanId);
  EXPECT_EQ(run.service(), "coordinator");
  EXPECT_LE(run.start_unix_nanos(), run.end_unix_nanos());
  EXPECT_GT(run.start_unix_nanos(), 1600000000LL * 1000000000LL);
  ASSERT_EQ(run.attributes_size(), 4);
  EXPECT_EQ(run.attributes(0).string_value(), "ORCL,NVDA");
  EXPECT_EQ(run.attributes(1).int_value(), 42);
  EXPECT_EQ(run.attributes(2).double_value(), 0.5);
  EXPECT_TRUE(run.attributes(3).bool_value());
  EXPECT_EQ(run.status_code(), backtest::v1::SPAN_STATUS_UNSET);
}

TEST(TracingTest, AFailureMarksTheSpanWithReasonSymbolBarAndAnEvent) {
  TraceRecorder recorder;
  {
    Span span(TraceContext{&recorder, {kTraceId, kSpanId}, "coordinator"},
              "strategy.on_steps", backtest::v1::SPAN_KIND_CLIENT);
    span.SetError(absl::OkStatus(), "strategy");  // ignored
    EXPECT_FALSE(span.failed());
    span.SetError(StageFailure(absl::StatusCode::kInternal, "strategy",
                               "STRATEGY_FAILED", "boom at bar 7",
                               {.symbol = "ORCL", .bar_time = "2001-02-03"}),
                  "coordinator");
    EXPECT_TRUE(span.failed());
  }
  const backtest::v1::Trace trace = recorder.Snapshot();
  ASSERT_EQ(trace.spans_size(), 1);
  const backtest::v1::Span& span = trace.spans(0);
  EXPECT_EQ(span.status_code(), backtest::v1::SPAN_STATUS_ERROR);
  EXPECT_EQ(span.status_message(), "strategy STRATEGY_FAILED: boom at bar 7");
  std::map<std::string, std::string> attributes;
  for (const auto& attribute : span.attributes()) {
    attributes[attribute.key()] = attribute.string_value();
  }
  EXPECT_EQ(attributes["error.stage"], "strategy");
  EXPECT_EQ(attributes["error.reason"], "STRATEGY_FAILED");
  EXPECT_EQ(attributes["error.symbol"], "ORCL");
  EXPECT_EQ(attributes["error.bar_time"], "2001-02-03");
  ASSERT_EQ(span.events_size(), 1);
  EXPECT_EQ(span.events(0).name(), "exception");
  ASSERT_EQ(span.events(0).attributes_size(), 2);
  EXPECT_EQ(span.events(0).attributes(0).key(), "exception.type");
  EXPECT_EQ(span.events(0).attributes(0).string_value(), "STRATEGY_FAILED");
  EXPECT_EQ(span.events(0).attributes(1).string_value(), "boom at bar 7");
}

// A context crosses threads explicitly: the thread opens a scope with a copy.
TEST(TracingTest, ContextCrossesThreadsExplicitlyAndRecorderIsThreadSafe) {
  TraceRecorder recorder;
  const TraceContext root{&recorder, {kTraceId, kSpanId}, "coordinator"};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([root] {
      EXPECT_FALSE(CurrentContext().recording());  // nothing implicit
      ContextScope scope(root);
      for (int i = 0; i < 250; ++i) {
        Span span("chunk", backtest::v1::SPAN_KIND_INTERNAL);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const backtest::v1::Trace trace = recorder.Snapshot();
  ASSERT_EQ(trace.spans_size(), 1000);  // 4 threads x 250 spans
  for (const backtest::v1::Span& span : trace.spans()) {
    EXPECT_EQ(span.parent_span_id(), kSpanId);
  }
}

TEST(TracingTest, BeyondTheCapOnlyFailuresAreKept) {
  TraceRecorder recorder;
  backtest::v1::Span plain;
  plain.set_name("chunk");
  for (int i = 0; i < TraceRecorder::kMaxSpans; ++i) recorder.Add(plain);
  EXPECT_TRUE(recorder.full());
  recorder.Add(plain);
  EXPECT_EQ(recorder.dropped(), 1);

  const TraceContext root{&recorder, {kTraceId, kSpanId}, "coordinator"};
  ContextScope scope(root);
  {
    // Started once full: deferred, with no children, then dropped.
    Span healthy("execution.execute_steps", backtest::v1::SPAN_KIND_CLIENT);
    EXPECT_FALSE(healthy.recording());
    EXPECT_FALSE(healthy.ChildContext().recording());
  }
  EXPECT_EQ(recorder.dropped(), 2);
  {
    Span failing("strategy.on_steps", backtest::v1::SPAN_KIND_CLIENT);
    failing.SetError(absl::InternalError("boom"), "strategy");
    EXPECT_TRUE(failing.failed());
  }
  const backtest::v1::Trace trace = recorder.Snapshot();
  ASSERT_EQ(trace.spans_size(), TraceRecorder::kMaxSpans + 1);
  const backtest::v1::Span& kept = trace.spans(TraceRecorder::kMaxSpans);
  EXPECT_EQ(kept.name(), "strategy.on_steps");
  EXPECT_EQ(kept.parent_span_id(), kSpanId);
  EXPECT_EQ(kept.trace_id(), kTraceId);
  EXPECT_EQ(kept.kind(), backtest::v1::SPAN_KIND_CLIENT);
  EXPECT_EQ(kept.status_code(), backtest::v1::SPAN_STATUS_ERROR);
  EXPECT_GT(kept.start_unix_nanos(), 0);
  EXPECT_GE(kept.end_unix_nanos(), kept.start_unix_nanos());
  EXPECT_EQ(recorder.dropped(), 2);

  // Taking the trace empties the recorder, which records in full again.
  EXPECT_EQ(recorder.Take().spans_size(), TraceRecorder::kMaxSpans + 1);
  EXPECT_FALSE(recorder.full());
  EXPECT_EQ(recorder.Snapshot().spans_size(), 0);
}

// A span that ends after its children were recorded is kept, failed or not:
// no recorded span loses its parent (the run span, or a call whose server
// span came back just before the cap).
TEST(TracingTest, BeyondTheCapParentsOfRecordedSpansAreKept) {
  TraceRecorder parents;
  backtest::v1::Span child;
  child.set_span_id("00000000000000c1");
  child.set_parent_span_id("00000000000000a1");
  for (int i = 0; i < TraceRecorder::kMaxSpans; ++i) parents.Add(child);
  ASSERT_TRUE(parents.full());
  backtest::v1::Span parent;
  parent.set_span_id("00000000000000a1");
  parent.set_parent_span_id("00000000000000f1");
  parents.Add(parent);
  backtest::v1::Span grandparent;
  grandparent.set_span_id("00000000000000f1");
  parents.Add(grandparent);
  backtest::v1::Span stranger;
  stranger.set_span_id("00000000000000b1");
  parents.Add(stranger);
  const backtest::v1::Trace with_parents = parents.Snapshot();
  ASSERT_EQ(with_parents.spans_size(), TraceRecorder::kMaxSpans + 2);
  EXPECT_EQ(with_parents.spans(TraceRecorder::kMaxSpans).span_id(),
            "00000000000000a1");
  EXPECT_EQ(with_parents.spans(TraceRecorder::kMaxSpans + 1).span_id(),
            "00000000000000f1");
  EXPECT_EQ(parents.dropped(), 1);  // the stranger
}

}  // namespace
}  // namespace seed::tracing
