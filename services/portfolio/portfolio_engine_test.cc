#include "services/portfolio/portfolio_engine.h"

#include "common/stage_error.h"
#include "gtest/gtest.h"

namespace seed::portfolio {
namespace {

backtest::v1::PortfolioStartRequest Start(const std::string& run_id) {
  backtest::v1::PortfolioStartRequest request;
  request.set_run_id(run_id);
  request.add_symbols("ORCL");
  request.mutable_portfolio()->set_initial_cash(1000);
  return request;
}

TEST(PortfolioEngineTest, RunsACycleAndEndsWithTheOpenTrade) {
  PortfolioEngine engine;
  backtest::v1::PortfolioStartResponse started;
  ASSERT_TRUE(engine.StartRun(Start("r1"), &started).ok());

  backtest::v1::ApplyStepsRequest steps;
  steps.set_run_id("r1");
  backtest::v1::TimeStep* step = steps.add_steps();
  step->set_index(0);
  step->set_time(978393600);  // 2001-01-02
  backtest::v1::Bar* bar = step->add_bars();
  bar->set_symbol(0);
  bar->set_close(30);
  backtest::v1::ApplyStepsResponse applied;
  ASSERT_TRUE(engine.ApplySteps(steps, &applied).ok());
  ASSERT_EQ(applied.views_size(), 1);
  EXPECT_EQ(applied.views(0).equity(), 1000);

  backtest::v1::SizeIntentsRequest intents;
  intents.set_run_id("r1");
  intents.set_step_index(0);
  intents.set_time(978393600);
  intents.add_intents()->set_action(backtest::v1::Intent::BUY);
  backtest::v1::SizeIntentsResponse sized;
  ASSERT_TRUE(engine.SizeIntents(intents, &sized).ok());
  ASSERT_EQ(sized.orders_size(), 1);
  // The default rule is all_in without buffer: floor(1000 / 30) = 33.
  EXPECT_EQ(sized.orders(0).quantity(), 33);

  // Step 0 is committed now: starting there again breaks the protocol.
  const absl::Status again = engine.ApplySteps(steps, &applied);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ToStageError(again, "").reason(), "STEP_OUT_OF_ORDER");

  backtest::v1::PortfolioEndRequest end;
  end.set_run_id("r1");
  backtest::v1::PortfolioEndResponse ended;
  ASSERT_TRUE(engine.EndRun(end, &ended).ok());
  EXPECT_EQ(ended.view().cash(), 1000);
  EXPECT_EQ(ended.open_trades_size(), 0);
  EXPECT_EQ(engine.EndRun(end, &ended).code(), absl::StatusCode::kNotFound);
}

TEST(PortfolioEngineTest, InvalidSpecListsEveryProblem) {
  backtest::v1::PortfolioStartRequest request;
  request.mutable_portfolio()->set_initial_cash(-5);
  request.mutable_portfolio()->mutable_sizing()->set_rule("percent_of_equity");
  request.mutable_portfolio()->mutable_sizing()->set_percent(2);
  PortfolioEngine engine;
  backtest::v1::PortfolioStartResponse response;
  const absl::Status status = engine.StartRun(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").stage(), "portfolio");
  EXPECT_EQ(ToStageError(status, "").reason(), "INVALID_SPEC");
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(status)) {
    fields.push_back(problem.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"run_id", "symbols",
                                              "portfolio.initial_cash",
                                              "portfolio.sizing.percent"}));
}

TEST(PortfolioEngineTest, StartingARunTwiceIsAlreadyExists) {
  PortfolioEngine engine;
  backtest::v1::PortfolioStartResponse response;
  ASSERT_TRUE(engine.StartRun(Start("r1"), &response).ok());
  EXPECT_EQ(engine.StartRun(Start("r1"), &response).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(PortfolioEngineTest, UnknownRunIsNotFound) {
  PortfolioEngine engine;
  backtest::v1::ApplyStepsRequest steps;
  steps.set_run_id("nope");
  steps.add_steps();
  backtest::v1::ApplyStepsResponse applied;
  const absl::Status status = engine.ApplySteps(steps, &applied);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ToStageError(status, "").reason(), "UNKNOWN_RUN");
  EXPECT_EQ(ToStageError(status, "").stage(), "portfolio");

  backtest::v1::SizeIntentsRequest intents;
  intents.set_run_id("nope");
  backtest::v1::SizeIntentsResponse sized;
  EXPECT_EQ(engine.SizeIntents(intents, &sized).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace seed::portfolio
