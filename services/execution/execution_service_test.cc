#include "services/execution/execution_service.h"

#include "common/grpc_status.h"
#include "common/server.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"

namespace seed::execution {
namespace {

TEST(ExecutionServiceTest, ServesTheEngineAndCarriesStageErrors) {
  ExecutionEngine engine;
  ExecutionServiceImpl service(engine);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartServer("127.0.0.1:0", {&service}, &port);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto stub = backtest::v1::ExecutionService::NewStub(MakeChannel(address));

  backtest::v1::ExecutionStartRequest start;
  start.set_run_id("r1");
  start.add_symbols("ORCL");
  backtest::v1::ExecutionStartResponse started;
  grpc::ClientContext start_context;
  ASSERT_TRUE(stub->StartRun(&start_context, start, &started).ok());

  backtest::v1::ExecuteStepsRequest steps;
  steps.set_run_id("r1");
  for (int index = 0; index < 2; ++index) {
    backtest::v1::TimeStep* step = steps.add_steps();
    step->set_index(index);
    backtest::v1::Bar* bar = step->add_bars();
    bar->set_symbol(0);
    bar->set_open(10.0 + index);
    bar->set_high(11.0 + index);
    bar->set_low(9.0 + index);
  }
  backtest::v1::Order* order = steps.add_new_orders();
  order->set_id(1);
  order->set_side(backtest::v1::BUY);
  order->set_quantity(5);
  order->set_type(backtest::v1::MARKET);
  steps.set_available_cash(100);
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
