#include "services/strategy/strategy_service.h"

#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/server.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

namespace v1 = ::backtest::v1;

v1::StrategyStartRequest Start(const std::string& run_id,
                               const std::string& strategy_id) {
  v1::StrategyStartRequest start;
  start.set_run_id(run_id);
  start.set_strategy_id(strategy_id);
  start.mutable_strategy()->set_name("sma_cross");
  start.add_symbols("ORCL");
  return start;
}

// A run of several strategies has one session per strategy instance; a
// session whose client goes away ends its own instance and no other.
TEST(StrategyServiceTest, ASessionEndsOnlyItsOwnStrategyInstance) {
  StrategyEngine engine;
  StrategyServiceImpl service(engine);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartServer("127.0.0.1:0", {&service}, &port);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto stub = v1::StrategyService::NewStub(MakeChannel(address));

  grpc::ClientContext contexts[2];
  std::unique_ptr<grpc::ClientReaderWriter<v1::StrategySessionRequest,
                                           v1::StrategySessionResponse>>
      streams[2];
  const std::string ids[2] = {"trend", "revert"};
  for (int i = 0; i < 2; ++i) {
    streams[i] = stub->Session(&contexts[i]);
    v1::StrategySessionRequest request;
    *request.mutable_start_run() = Start("r1", ids[i]);
    v1::StrategySessionResponse response;
    ASSERT_TRUE(streams[i]->Write(request));
    ASSERT_TRUE(streams[i]->Read(&response));
    EXPECT_EQ(response.status().code(), 0) << response.ShortDebugString();
    EXPECT_TRUE(response.start_run().has_resolved());
  }
  // A call naming the other instance is refused.
  v1::StrategySessionRequest request;
  request.mutable_end_run()->set_run_id("r1");
  request.mutable_end_run()->set_strategy_id("revert");
  v1::StrategySessionResponse response;
  ASSERT_TRUE(streams[0]->Write(request));
  ASSERT_TRUE(streams[0]->Read(&response));
  EXPECT_EQ(
      ToStageError(FromRpcStatus(response.status(), "strategy", address), "")
          .reason(),
      "SESSION_PROTOCOL");

  contexts[0].TryCancel();
  streams[0]->Finish().IgnoreError();
  // "trend" is released (a unary StartRun of it succeeds), "revert" is not.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  absl::Status restarted;
  do {
    v1::StrategyStartResponse started;
    grpc::ClientContext context;
    restarted =
        FromGrpcStatus(stub->StartRun(&context, Start("r1", "trend"), &started),
                       "strategy", address);
    if (!restarted.ok()) absl::SleepFor(absl::Milliseconds(10));
  } while (!restarted.ok() && absl::Now() < deadline);
  EXPECT_TRUE(restarted.ok()) << restarted;
  v1::StrategyStartResponse started;
  grpc::ClientContext context;
  const absl::Status held =
      FromGrpcStatus(stub->StartRun(&context, Start("r1", "revert"), &started),
                     "strategy", address);
  EXPECT_EQ(ToStageError(held, "").reason(), "RUN_EXISTS") << held;

  request.mutable_end_run()->set_strategy_id("revert");
  ASSERT_TRUE(streams[1]->Write(request));
  ASSERT_TRUE(streams[1]->Read(&response));
  EXPECT_EQ(response.status().code(), 0) << response.ShortDebugString();
  EXPECT_TRUE(streams[1]->Finish().ok());
  (*server)->Shutdown();
}

}  // namespace
}  // namespace seed::strategy
