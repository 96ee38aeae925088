#include "services/coordinator/stage_session.h"

#include "absl/strings/match.h"
#include "backtest/v1/execution.grpc.pb.h"
#include "common/server.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "services/execution/execution_service.h"

namespace seed::coordinator {
namespace {

namespace v1 = ::backtest::v1;
using session_internal::DescribeAddress;

using ExecutionSessions =
    StageSessions<v1::ExecutionService, v1::ExecutionSessionRequest,
                  v1::ExecutionSessionResponse>;

class StageSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int port = 0;
    absl::StatusOr<std::unique_ptr<grpc::Server>> server =
        StartServer("127.0.0.1:0", {&service_}, &port);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    address_ = absl::StrCat("127.0.0.1:", port);
    sessions_ = std::make_unique<ExecutionSessions>(
        "execution", address_, absl::Seconds(5),
        MakeChannel(address_, ChannelSecurity::Plain(),
                    Balancing::kRoundRobin));
  }
  void TearDown() override {
    sessions_.reset();
    if (server_ != nullptr) server_->Shutdown();
  }

  absl::Status Start(const std::string& run_id) {
    v1::ExecutionStartRequest start;
    start.set_run_id(run_id);
    start.add_symbols("ORCL");
    v1::ExecutionStartResponse started;
    return sessions_->Start(run_id, "", start, &started);
  }
  absl::Status Execute(const std::string& run_id) {
    v1::ExecuteStepsRequest steps;
    steps.set_run_id(run_id);
    steps.add_steps()->add_bars()->set_open(10);
    v1::ExecuteStepsResponse executed;
    const absl::Status status = sessions_->Call(run_id, "", steps, &executed);
    if (status.ok()) EXPECT_EQ(executed.steps_used(), 1);
    return status;
  }
  absl::Status End(const std::string& run_id) {
    v1::ExecutionEndRequest end;
    end.set_run_id(run_id);
    v1::ExecutionEndResponse ended;
    return sessions_->End(run_id, "", end, &ended);
  }

  execution::ExecutionEngine engine_;
  execution::ExecutionServiceImpl service_{engine_};
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<ExecutionSessions> sessions_;
};

TEST_F(StageSessionTest, ARunsCallsGoOverItsSessionUntilEndRun) {
  ASSERT_TRUE(Start("r1").ok());
  ASSERT_TRUE(Start("r2").ok());
  EXPECT_TRUE(Execute("r1").ok());
  EXPECT_TRUE(Execute("r2").ok());
  EXPECT_TRUE(End("r1").ok());
  // Ended: its session is gone, as the stage would say of the run.
  const absl::Status after = Execute("r1");
  EXPECT_EQ(after.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ToStageError(after, "").reason(), "UNKNOWN_RUN");
  EXPECT_EQ(ToStageError(after, "").stage(), "execution");
  EXPECT_TRUE(Execute("r2").ok());
  EXPECT_TRUE(End("r2").ok());
}

TEST_F(StageSessionTest, AHeldRunCannotStartAgainAndAFailedStartHoldsNothing) {
  ASSERT_TRUE(Start("r1").ok());
  EXPECT_EQ(ToStageError(Start("r1"), "").reason(), "RUN_EXISTS");
  EXPECT_TRUE(End("r1").ok());

  v1::ExecutionStartRequest no_symbols;
  no_symbols.set_run_id("r3");
  v1::ExecutionStartResponse started;
  const absl::Status refused = sessions_->Start("r3", "", no_symbols, &started);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(refused, "").reason(), "INVALID_SPEC");
  EXPECT_EQ(ToStageError(End("r3"), "").reason(), "UNKNOWN_RUN");
  EXPECT_TRUE(Start("r3").ok());
  EXPECT_TRUE(End("r3").ok());
}

TEST_F(StageSessionTest, AStageThatGoesAwayFailsTheCallNamingIt) {
  ASSERT_TRUE(Start("r1").ok());
  server_->Shutdown(std::chrono::system_clock::now());
  server_.reset();
  const absl::Status status = Execute("r1");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(ToStageError(status, "").reason(), "STAGE_UNAVAILABLE");
  EXPECT_EQ(ToStageError(status, "").stage(), "execution");
  EXPECT_TRUE(absl::StrContains(status.message(), address_)) << status;
  // The broken session is gone.
  EXPECT_EQ(ToStageError(End("r1"), "").reason(), "UNKNOWN_RUN");
}

TEST(DescribeAddressTest, NamesTheReplicaWhenTheTargetHasSeveral) {
  EXPECT_EQ(DescribeAddress("127.0.0.1:7104", ""), "127.0.0.1:7104");
  EXPECT_EQ(DescribeAddress("127.0.0.1:7104", "ipv4:127.0.0.1:7104"),
            "127.0.0.1:7104");
  EXPECT_EQ(DescribeAddress("ipv4:127.0.0.1:1,127.0.0.1:2", "ipv4:127.0.0.1:2"),
            "ipv4:127.0.0.1:1,127.0.0.1:2 (replica 127.0.0.1:2)");
  EXPECT_EQ(DescribeAddress("dns:///execution:7104", "ipv6:[fd00::7]:7104"),
            "dns:///execution:7104 (replica [fd00::7]:7104)");
}

}  // namespace
}  // namespace seed::coordinator
