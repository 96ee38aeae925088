#include "services/portfolio/portfolio_service.h"

#include "common/grpc_status.h"
#include "common/server.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"

namespace seed::portfolio {
namespace {

TEST(PortfolioServiceTest, ServesTheEngineAndCarriesStageErrors) {
  PortfolioEngine engine;
  PortfolioServiceImpl service(engine);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartServer("127.0.0.1:0", {&service}, &port);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto stub = backtest::v1::PortfolioService::NewStub(MakeChannel(address));

  backtest::v1::PortfolioStartRequest start;
  start.set_run_id("r1");
  start.add_symbols("ORCL");
  start.mutable_portfolio()->set_initial_cash(500);
  backtest::v1::PortfolioStartResponse started;
  grpc::ClientContext start_context;
  ASSERT_TRUE(stub->StartRun(&start_context, start, &started).ok());

  backtest::v1::ApplyStepsRequest steps;
  steps.set_run_id("r1");
  steps.add_steps();
  backtest::v1::ApplyStepsResponse applied;
  grpc::ClientContext step_context;
  ASSERT_TRUE(stub->ApplySteps(&step_context, steps, &applied).ok());
  ASSERT_EQ(applied.views_size(), 1);
  EXPECT_EQ(applied.views(0).cash(), 500);

  backtest::v1::SizeIntentsRequest intents;
  intents.set_run_id("r1");
  intents.add_intents()->set_symbol(3);
  backtest::v1::SizeIntentsResponse sized;
  grpc::ClientContext size_context;
  const absl::Status status = FromGrpcStatus(
      stub->SizeIntents(&size_context, intents, &sized), "portfolio", address);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").reason(), "INVALID_INTENT");
  // A malformed intent is the strategy's fault, wherever it is caught.
  EXPECT_EQ(ToStageError(status, "").stage(), "strategy");

  backtest::v1::PortfolioEndRequest end;
  end.set_run_id("r1");
  backtest::v1::PortfolioEndResponse ended;
  grpc::ClientContext end_context;
  ASSERT_TRUE(stub->EndRun(&end_context, end, &ended).ok());
  (*server)->Shutdown();
}

}  // namespace
}  // namespace seed::portfolio
