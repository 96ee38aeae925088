#include "services/execution/execution_service.h"

#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/server.h"
#include "common/stage_error.h"
#include "common/tracing.h"
#include "gtest/gtest.h"

namespace seed::execution {
namespace {

namespace v1 = ::backtest::v1;

// Two steps of one symbol and a market buy of 5 that fills at the first
// step's open (10).
v1::ExecuteStepsRequest TwoStepsAndABuy(const std::string& run_id) {
  v1::ExecuteStepsRequest steps;
  steps.set_run_id(run_id);
  for (int index = 0; index < 2; ++index) {
    v1::TimeStep* step = steps.add_steps();
    step->set_index(index);
    v1::Bar* bar = step->add_bars();
    bar->set_symbol(0);
    bar->set_open(10.0 + index);
    bar->set_high(11.0 + index);
    bar->set_low(9.0 + index);
  }
  v1::Order* order = steps.add_new_orders();
  order->set_id(1);
  order->set_side(v1::BUY);
  order->set_quantity(5);
  order->set_type(v1::MARKET);
  steps.set_available_cash(100);
  return steps;
}

v1::ExecutionStartRequest Start(const std::string& run_id) {
  v1::ExecutionStartRequest start;
  start.set_run_id(run_id);
  start.add_symbols("ORCL");
  return start;
}

class ExecutionSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int port = 0;
    absl::StatusOr<std::unique_ptr<grpc::Server>> server =
        StartServer("127.0.0.1:0", {&service_}, &port);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    address_ = absl::StrCat("127.0.0.1:", port);
    stub_ = v1::ExecutionService::NewStub(MakeChannel(address_));
  }
  void TearDown() override { server_->Shutdown(); }

  // One call on `stream`: its answer.
  static v1::ExecutionSessionResponse Exchange(
      grpc::ClientReaderWriter<v1::ExecutionSessionRequest,
                               v1::ExecutionSessionResponse>& stream,
      const v1::ExecutionSessionRequest& request) {
    v1::ExecutionSessionResponse response;
    EXPECT_TRUE(stream.Write(request));
    EXPECT_TRUE(stream.Read(&response));
    return response;
  }

  // The stage's failure carried by a session answer.
  absl::Status StatusOf(const v1::ExecutionSessionResponse& response) {
    return FromRpcStatus(response.status(), "execution", address_);
  }

  // Whether the engine still holds `run_id`: a unary StartRun of the same
  // id is refused (and otherwise starts and ends it again).
  bool Holds(const std::string& run_id) {
    v1::ExecutionStartResponse started;
    grpc::ClientContext context;
    const absl::Status status =
        FromGrpcStatus(stub_->StartRun(&context, Start(run_id), &started),
                       "execution", address_);
    if (status.ok()) {
      v1::ExecutionEndRequest end;
      end.set_run_id(run_id);
      v1::ExecutionEndResponse ended;
      grpc::ClientContext end_context;
      EXPECT_TRUE(stub_->EndRun(&end_context, end, &ended).ok());
      return false;
    }
    EXPECT_EQ(ToStageError(status, "").reason(), "RUN_EXISTS") << status;
    return true;
  }

  // Waits up to 10 s for the engine to let go of `run_id`.
  bool Released(const std::string& run_id) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (Holds(run_id)) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return true;
  }

  ExecutionEngine engine_;
  ExecutionServiceImpl service_{engine_};
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<v1::ExecutionService::Stub> stub_;
};

TEST_F(ExecutionSessionTest, AnswersARunsCallsInOrderAndEndsWithEndRun) {
  grpc::ClientContext context;
  auto stream = stub_->Session(&context);
  v1::ExecutionSessionRequest request;
  *request.mutable_start_run() = Start("r1");
  v1::ExecutionSessionResponse response = Exchange(*stream, request);
  EXPECT_TRUE(StatusOf(response).ok()) << StatusOf(response);
  EXPECT_TRUE(response.has_start_run());
  EXPECT_TRUE(Holds("r1"));

  // The same engine call as the unary ExecuteSteps.
  *request.mutable_execute_steps() = TwoStepsAndABuy("r1");
  response = Exchange(*stream, request);
  ASSERT_TRUE(StatusOf(response).ok()) << StatusOf(response);
  ASSERT_TRUE(response.has_execute_steps());
  EXPECT_EQ(response.execute_steps().steps_used(), 1);
  ASSERT_EQ(response.execute_steps().fills_size(), 1);
  EXPECT_EQ(response.execute_steps().fills(0).price(), 10.0);

  // A call for another run fails alone; the session goes on.
  *request.mutable_execute_steps() = TwoStepsAndABuy("other");
  response = Exchange(*stream, request);
  EXPECT_EQ(StatusOf(response).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ToStageError(StatusOf(response), "").reason(), "SESSION_PROTOCOL");
  EXPECT_EQ(ToStageError(StatusOf(response), "").stage(), "execution");
  EXPECT_FALSE(response.has_execute_steps());
  // So does a second StartRun.
  *request.mutable_start_run() = Start("r2");
  response = Exchange(*stream, request);
  EXPECT_EQ(ToStageError(StatusOf(response), "").reason(), "SESSION_PROTOCOL");

  // EndRun answers, then the server closes the session.
  request.mutable_end_run()->set_run_id("r1");
  response = Exchange(*stream, request);
  EXPECT_TRUE(StatusOf(response).ok()) << StatusOf(response);
  EXPECT_TRUE(response.has_end_run());
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_FALSE(Holds("r1"));
}

TEST_F(ExecutionSessionTest, FailedCallsCarryStageErrorsAndTheSessionGoesOn) {
  grpc::ClientContext context;
  auto stream = stub_->Session(&context);
  v1::ExecutionSessionRequest request;
  // Anything before StartRun is refused.
  *request.mutable_execute_steps() = TwoStepsAndABuy("r1");
  v1::ExecutionSessionResponse response = Exchange(*stream, request);
  EXPECT_EQ(ToStageError(StatusOf(response), "").reason(), "SESSION_PROTOCOL");
  // A request with no call is not understood.
  request.Clear();
  response = Exchange(*stream, request);
  EXPECT_EQ(StatusOf(response).code(), absl::StatusCode::kUnimplemented);
  // The engine's own failure, with its ErrorInfo as a unary call has it.
  *request.mutable_start_run() = Start("r1");
  request.mutable_start_run()->clear_symbols();
  response = Exchange(*stream, request);
  EXPECT_EQ(StatusOf(response).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(StatusOf(response), "").stage(), "execution");
  EXPECT_FALSE(Holds("r1"));
  // A failed StartRun leaves the session without a run: StartRun again.
  *request.mutable_start_run() = Start("r1");
  response = Exchange(*stream, request);
  EXPECT_TRUE(StatusOf(response).ok()) << StatusOf(response);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(Released("r1"));
}

TEST_F(ExecutionSessionTest, AClientThatGoesAwayEndsItsRunHere) {
  for (const bool cancel : {true, false}) {
    SCOPED_TRACE(cancel ? "cancelled" : "half-closed");
    grpc::ClientContext context;
    auto stream = stub_->Session(&context);
    v1::ExecutionSessionRequest request;
    *request.mutable_start_run() = Start("gone");
    EXPECT_TRUE(StatusOf(Exchange(*stream, request)).ok());
    *request.mutable_execute_steps() = TwoStepsAndABuy("gone");
    EXPECT_TRUE(StatusOf(Exchange(*stream, request)).ok());
    ASSERT_TRUE(Holds("gone"));
    if (cancel) {
      context.TryCancel();
    } else {
      stream->WritesDone();
    }
    stream->Finish().IgnoreError();
    EXPECT_TRUE(Released("gone"));
  }
}

TEST_F(ExecutionSessionTest, ATracedCallReturnsItsServerSpan) {
  grpc::ClientContext context;
  auto stream = stub_->Session(&context);
  v1::ExecutionSessionRequest request;
  *request.mutable_start_run() = Start("traced");
  v1::ExecutionSessionResponse response = Exchange(*stream, request);
  EXPECT_FALSE(response.has_spans());  // untraced
  const tracing::SpanContext parent{tracing::NewTraceId(),
                                    tracing::NewSpanId()};
  request.set_traceparent(tracing::FormatTraceparent(parent));
  *request.mutable_execute_steps() = TwoStepsAndABuy("traced");
  response = Exchange(*stream, request);
  ASSERT_EQ(response.spans().spans_size(), 1);
  const v1::Span& span = response.spans().spans(0);
  EXPECT_EQ(span.name(), "backtest.v1.ExecutionService/ExecuteSteps");
  EXPECT_EQ(span.kind(), v1::SPAN_KIND_SERVER);
  EXPECT_EQ(span.service(), "execution");
  EXPECT_EQ(span.trace_id(), parent.trace_id);
  EXPECT_EQ(span.parent_span_id(), parent.span_id);
  bool has_run_id = false;
  for (const v1::SpanAttribute& attribute : span.attributes()) {
    if (attribute.key() == "run.id") {
      has_run_id = attribute.string_value() == "traced";
    }
  }
  EXPECT_TRUE(has_run_id) << span.ShortDebugString();
  request.mutable_end_run()->set_run_id("traced");
  EXPECT_TRUE(StatusOf(Exchange(*stream, request)).ok());
  EXPECT_TRUE(stream->Finish().ok());
}

TEST(ExecutionServiceTest, ServesTheEngineAndCarriesStageErrors) {
  ExecutionEngine engine;
  ExecutionServiceImpl service(engine);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartServer("127.0.0.1:0", {&service}, &port);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto stub = backtest::v1::ExecutionService::NewStub(MakeChannel(address));

  backtest::v1::ExecutionStartResponse started;
  grpc::ClientContext start_context;
  ASSERT_TRUE(stub->StartRun(&start_context, Start("r1"), &started).ok());

  const backtest::v1::ExecuteStepsRequest steps = TwoStepsAndABuy("r1");
  backtest::v1::ExecuteStepsResponse stepped;
  grpc::ClientContext steps_context;
  ASSERT_TRUE(stub->ExecuteSteps(&steps_context, steps, &stepped).ok());
  EXPECT_EQ(stepped.steps_used(), 1);
  ASSERT_EQ(stepped.fills_size(), 1);
  EXPECT_EQ(stepped.fills(0).price(), 10.0);

  backtest::v1::ExecutionEndRequest end;
  end.set_run_id("other");
  backtest::v1::ExecutionEndResponse ended;
  grpc::ClientContext end_context;
  const absl::Status status = FromGrpcStatus(
      stub->EndRun(&end_context, end, &ended), "execution", address);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ToStageError(status, "").reason(), "UNKNOWN_RUN");
  EXPECT_EQ(ToStageError(status, "").stage(), "execution");
  (*server)->Shutdown();
}

}  // namespace
}  // namespace seed::execution
