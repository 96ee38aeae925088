// The stage-call spans: what a failing call records, that a call past the
// trace's cap carries no trace context, and that a margin call shows.
#include "services/coordinator/traced_stages.h"

#include <memory>
#include <string>

#include "common/stage_error.h"
#include "common/tracing.h"
#include "gtest/gtest.h"
#include "services/coordinator/unimplemented_results.h"

namespace seed::coordinator {
namespace {

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kRunSpanId[] = "00f067aa0ba902b7";
// 2020-01-06, 2020-01-07 and 2020-01-08 at midnight (18267 days * 86400 s).
constexpr int64_t kMonday = 1578268800;
constexpr int64_t kDay = 86400;

// An execution stage that answers `failure` (when set) and remembers
// whether its call carried a trace context.
class FakeExecution final : public ExecutionStage {
 public:
  absl::Status StartRun(const v1::ExecutionStartRequest&,
                        v1::ExecutionStartResponse*) override {
    return absl::OkStatus();
  }
  absl::Status ExecuteSteps(const v1::ExecuteStepsRequest&,
                            v1::ExecuteStepsResponse* response) override {
    saw_trace_context = tracing::CurrentContext().recording();
    response->set_steps_used(1);
    return failure;
  }
  absl::Status EndRun(const v1::ExecutionEndRequest&,
                      v1::ExecutionEndResponse*) override {
    return absl::OkStatus();
  }

  absl::Status failure;
  bool saw_trace_context = false;
};

// A margin account breached at the last step: ApplySteps says so, and
// SizeIntents adds the order that liquidates.
class MarginCallPortfolio final : public PortfolioStage {
 public:
  absl::Status StartRun(const v1::PortfolioStartRequest&,
                        v1::PortfolioStartResponse*) override {
    return absl::OkStatus();
  }
  absl::Status ApplySteps(const v1::ApplyStepsRequest&,
                          v1::ApplyStepsResponse* response) override {
    response->set_margin_call("equity 24000 is below the maintenance margin");
    return absl::OkStatus();
  }
  absl::Status SizeIntents(const v1::SizeIntentsRequest&,
                           v1::SizeIntentsResponse* response) override {
    response->add_orders();  // the strategy's own
    response->add_orders()->set_role(v1::LIQUIDATION);
    return absl::OkStatus();
  }
  absl::Status EndRun(const v1::PortfolioEndRequest&,
                      v1::PortfolioEndResponse*) override {
    return absl::OkStatus();
  }
};

// Answers UpdateRun with `failure` and CreateJob with OK.
class FakeResults final : public UnimplementedResults {
 public:
  absl::Status UpdateRun(const v1::UpdateRunRequest&,
                         v1::UpdateRunResponse*) override {
    return failure;
  }
  absl::Status CreateJob(const v1::CreateJobRequest&,
                         v1::CreateJobResponse*) override {
    return absl::OkStatus();
  }

  absl::Status failure;
};

// The span's attribute `key`, present once (an empty one, and a test
// failure, when not).
const v1::SpanAttribute& Attribute(const v1::Span& span,
                                   const std::string& key) {
  static const v1::SpanAttribute* const kMissing = new v1::SpanAttribute();
  const v1::SpanAttribute* found = nullptr;
  for (const v1::SpanAttribute& attribute : span.attributes()) {
    if (attribute.key() == key) {
      EXPECT_EQ(found, nullptr) << key << " twice";
      found = &attribute;
    }
  }
  EXPECT_NE(found, nullptr)
      << "no " << key << " in " << span.ShortDebugString();
  return found == nullptr ? *kMissing : *found;
}

class TracedStagesTest : public ::testing::Test {
 protected:
  TracedStagesTest() {
    auto execution = std::make_unique<FakeExecution>();
    execution_ = execution.get();
    Stages stages;
    stages.execution = std::move(execution);
    stages.portfolio = std::make_unique<MarginCallPortfolio>();
    auto results = std::make_unique<FakeResults>();
    results_ = results.get();
    stages.results = std::move(results);
    stages_ = TraceStages(std::move(stages));
  }

  // ExecuteSteps over 2020-01-06..2020-01-08 under the run's span.
  absl::Status ExecuteThreeSteps() {
    v1::ExecuteStepsRequest request;
    request.set_run_id("run-1");
    for (int i = 0; i < 3; ++i) {
      request.add_steps()->set_time(kMonday + i * kDay);
    }
    v1::ExecuteStepsResponse response;
    tracing::ContextScope scope(run_);
    return stages_.execution->ExecuteSteps(request, &response);
  }

  const v1::Span& OnlySpan() {
    trace_ = recorder_.Snapshot();
    EXPECT_EQ(trace_.spans_size(), 1);
    return trace_.spans(0);
  }

  tracing::TraceRecorder recorder_;
  const tracing::TraceContext run_{
      &recorder_, {kTraceId, kRunSpanId}, "coordinator"};
  FakeExecution* execution_ = nullptr;
  FakeResults* results_ = nullptr;
  Stages stages_;
  v1::Trace trace_;
};

TEST_F(TracedStagesTest, AFailingCallNamesTheStepsItCoveredAsItsBarTime) {
  execution_->failure =
      StageFailure(absl::StatusCode::kUnavailable, "execution",
                   "STAGE_UNAVAILABLE", "the execution service is gone");
  EXPECT_EQ(ExecuteThreeSteps().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(execution_->saw_trace_context);
  const v1::Span& span = OnlySpan();
  EXPECT_EQ(span.name(), "execution.execute_steps");
  EXPECT_EQ(span.parent_span_id(), kRunSpanId);
  EXPECT_EQ(span.status_code(), v1::SPAN_STATUS_ERROR);
  EXPECT_EQ(Attribute(span, "error.reason").string_value(),
            "STAGE_UNAVAILABLE");
  EXPECT_EQ(Attribute(span, "error.bar_time").string_value(),
            "2020-01-06..2020-01-08");
}

TEST_F(TracedStagesTest, AFailureThatNamesItsBarKeepsIt) {
  execution_->failure =
      StageFailure(absl::StatusCode::kInvalidArgument, "execution", "BAD_ORDER",
                   "order 7 has no price", {.bar_time = "2020-01-07"});
  EXPECT_FALSE(ExecuteThreeSteps().ok());
  EXPECT_EQ(Attribute(OnlySpan(), "error.bar_time").string_value(),
            "2020-01-07");
}

// docs/tracing.md: past the cap a call is deferred; it sends no trace
// context (so a service records nothing for it) and is recorded, described,
// only when it fails.
TEST_F(TracedStagesTest, ACallPastTheCapCarriesNoTraceContext) {
  v1::Span filler;
  filler.set_name("filler");
  for (int i = 0; i < tracing::TraceRecorder::kMaxSpans; ++i) {
    recorder_.Add(filler);
  }
  ASSERT_TRUE(recorder_.full());
  EXPECT_TRUE(ExecuteThreeSteps().ok());
  EXPECT_FALSE(execution_->saw_trace_context);
  EXPECT_EQ(recorder_.Snapshot().spans_size(),
            tracing::TraceRecorder::kMaxSpans);

  execution_->failure =
      StageFailure(absl::StatusCode::kUnavailable, "execution",
                   "STAGE_UNAVAILABLE", "the execution service is gone");
  EXPECT_FALSE(ExecuteThreeSteps().ok());
  EXPECT_FALSE(execution_->saw_trace_context);
  const v1::Trace trace = recorder_.Snapshot();
  ASSERT_EQ(trace.spans_size(), tracing::TraceRecorder::kMaxSpans + 1);
  const v1::Span& failed = trace.spans(tracing::TraceRecorder::kMaxSpans);
  EXPECT_EQ(failed.name(), "execution.execute_steps");
  EXPECT_EQ(failed.parent_span_id(), kRunSpanId);
  EXPECT_EQ(failed.status_code(), v1::SPAN_STATUS_ERROR);
  EXPECT_EQ(Attribute(failed, "stage").string_value(), "execution");
  EXPECT_EQ(Attribute(failed, "steps").int_value(), 3);
  EXPECT_EQ(Attribute(failed, "error.bar_time").string_value(),
            "2020-01-06..2020-01-08");
}

// A run's progress updates are part of its trace (a refused one marks its
// span); a job's calls are part of no run's.
TEST_F(TracedStagesTest, UpdateRunIsARunsSpanAndJobCallsAreNot) {
  results_->failure =
      StageFailure(absl::StatusCode::kFailedPrecondition, "results",
                   "RUN_ABANDONED", "its lease ran out");
  v1::UpdateRunRequest update;
  update.set_run_id("run-1");
  update.set_steps_done(42);
  update.set_state(v1::RUNNING);
  v1::UpdateRunResponse updated;
  v1::CreateJobResponse created;
  {
    tracing::ContextScope scope(run_);
    EXPECT_EQ(stages_.results->UpdateRun(update, &updated).code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(stages_.results->CreateJob({}, &created).ok());
  }
  const v1::Span& span = OnlySpan();
  EXPECT_EQ(span.name(), "results.update_run");
  EXPECT_EQ(span.parent_span_id(), kRunSpanId);
  EXPECT_EQ(span.status_code(), v1::SPAN_STATUS_ERROR);
  EXPECT_EQ(Attribute(span, "run.id").string_value(), "run-1");
  EXPECT_EQ(Attribute(span, "steps_done").int_value(), 42);
  EXPECT_EQ(Attribute(span, "run.state").string_value(), "RUNNING");
  EXPECT_EQ(Attribute(span, "error.reason").string_value(), "RUN_ABANDONED");
}

TEST_F(TracedStagesTest, AMarginCallAndItsLiquidationShowOnTheirSpans) {
  tracing::ContextScope scope(run_);
  v1::ApplyStepsRequest apply;
  apply.add_steps()->set_time(kMonday);
  v1::ApplyStepsResponse applied;
  ASSERT_TRUE(stages_.portfolio->ApplySteps(apply, &applied).ok());
  v1::SizeIntentsRequest size;
  size.set_time(kMonday);
  v1::SizeIntentsResponse sized;
  ASSERT_TRUE(stages_.portfolio->SizeIntents(size, &sized).ok());
  const v1::Trace trace = recorder_.Snapshot();
  ASSERT_EQ(trace.spans_size(), 2);
  EXPECT_EQ(trace.spans(0).name(), "portfolio.apply_steps");
  EXPECT_EQ(Attribute(trace.spans(0), "margin_call").string_value(),
            "equity 24000 is below the maintenance margin");
  EXPECT_EQ(trace.spans(1).name(), "portfolio.size_intents");
  EXPECT_EQ(Attribute(trace.spans(1), "orders").int_value(), 2);
  EXPECT_EQ(Attribute(trace.spans(1), "liquidation_orders").int_value(), 1);
}

}  // namespace
}  // namespace seed::coordinator
