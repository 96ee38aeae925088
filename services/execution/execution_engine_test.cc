#include "services/execution/execution_engine.h"

#include "common/stage_error.h"
#include "gtest/gtest.h"

namespace seed::execution {
namespace {

using backtest::v1::ExecutionStartRequest;

ExecutionStartRequest Start(const std::string& run_id) {
  ExecutionStartRequest request;
  request.set_run_id(run_id);
  request.add_symbols("ORCL");
  request.mutable_execution()->mutable_commission()->set_model("percent");
  request.mutable_execution()->mutable_commission()->set_bps(10);
  request.mutable_execution()->mutable_slippage()->set_model("fixed_bps");
  request.mutable_execution()->mutable_slippage()->set_bps(5);
  return request;
}

// A run of the one step `index` (2001-01-03 plus `index` days) with a buy of
// 100 ORCL, and ORCL's bar at 20 if `with_bar`.
backtest::v1::ExecuteStepsRequest BuyAtStep(const std::string& run_id,
                                            int64_t index, bool with_bar) {
  backtest::v1::ExecuteStepsRequest request;
  request.set_run_id(run_id);
  backtest::v1::TimeStep* step = request.add_steps();
  step->set_index(index);
  step->set_time(978480000 + index * 86400);  // 2001-01-03 + index days
  if (with_bar) {
    backtest::v1::Bar* bar = step->add_bars();
    bar->set_symbol(0);
    bar->set_open(20.0);
    bar->set_high(21.0);
    bar->set_low(19.0);
  }
  request.set_available_cash(10000);
  backtest::v1::Order* order = request.add_new_orders();
  order->set_id(1);
  order->set_symbol(0);
  order->set_side(backtest::v1::BUY);
  order->set_quantity(100);
  order->set_type(backtest::v1::MARKET);
  return request;
}

TEST(ExecutionEngineTest, RunsStepsAndHandsBackUnfilledOrdersAtTheEnd) {
  ExecutionEngine engine;
  backtest::v1::ExecutionStartResponse started;
  ASSERT_TRUE(engine.StartRun(Start("r1"), &started).ok());

  backtest::v1::ExecuteStepsResponse filled;
  ASSERT_TRUE(engine.ExecuteSteps(BuyAtStep("r1", 0, true), &filled).ok());
  EXPECT_EQ(filled.steps_used(), 1);
  ASSERT_EQ(filled.fills_size(), 1);
  // 20 * (1 + 0.0005) = 20.01; commission 100 * 20.01 * 0.001 = 2.001.
  EXPECT_DOUBLE_EQ(filled.fills(0).price(), 20.01);
  EXPECT_DOUBLE_EQ(filled.fills(0).commission(), 2.001);

  backtest::v1::ExecuteStepsResponse waiting;
  ASSERT_TRUE(engine.ExecuteSteps(BuyAtStep("r1", 1, false), &waiting).ok());
  EXPECT_EQ(waiting.working_orders(), 1);

  backtest::v1::ExecutionEndRequest end;
  end.set_run_id("r1");
  backtest::v1::ExecutionEndResponse ended;
  ASSERT_TRUE(engine.EndRun(end, &ended).ok());
  EXPECT_EQ(ended.unfilled_orders_size(), 1);
}

TEST(ExecutionEngineTest, InvalidSpecListsEveryProblem) {
  ExecutionStartRequest request;
  request.mutable_execution()->mutable_commission()->set_model("percent");
  request.mutable_execution()->mutable_commission()->set_bps(-1);
  request.mutable_execution()->mutable_slippage()->set_model("random");
  request.mutable_execution()->set_same_bar_policy("coin_flip");
  request.mutable_execution()
      ->mutable_participation()
      ->set_max_fraction_of_volume(1.5);
  ExecutionEngine engine;
  backtest::v1::ExecutionStartResponse response;
  const absl::Status status = engine.StartRun(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").reason(), "INVALID_SPEC");
  EXPECT_EQ(ToStageError(status, "").stage(), "execution");
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(status)) {
    fields.push_back(problem.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{
                        "run_id", "symbols", "execution.commission.bps",
                        "execution.slippage.model", "execution.same_bar_policy",
                        "execution.participation.max_fraction_of_volume"}));
}

TEST(ExecutionEngineTest, AtrSlippageAsksForEveryStep) {
  ExecutionEngine engine;
  backtest::v1::ExecutionStartResponse fixed;
  ASSERT_TRUE(engine.StartRun(Start("r1"), &fixed).ok());
  EXPECT_FALSE(fixed.needs_every_step());

  ExecutionStartRequest atr = Start("r2");
  atr.mutable_execution()->mutable_slippage()->set_model("atr_fraction");
  atr.mutable_execution()->mutable_slippage()->set_fraction(0.1);
  backtest::v1::ExecutionStartResponse every;
  ASSERT_TRUE(engine.StartRun(atr, &every).ok());
  EXPECT_TRUE(every.needs_every_step());
}

TEST(ExecutionEngineTest, StartingARunTwiceIsAlreadyExists) {
  ExecutionEngine engine;
  backtest::v1::ExecutionStartResponse response;
  ASSERT_TRUE(engine.StartRun(Start("r1"), &response).ok());
  const absl::Status status = engine.StartRun(Start("r1"), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ToStageError(status, "").stage(), "execution");
}

TEST(ExecutionEngineTest, UnknownOrEndedRunIsNotFound) {
  ExecutionEngine engine;
  backtest::v1::ExecuteStepsResponse step;
  const absl::Status unknown =
      engine.ExecuteSteps(BuyAtStep("nope", 0, true), &step);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ToStageError(unknown, "").reason(), "UNKNOWN_RUN");

  backtest::v1::ExecutionStartResponse started;
  ASSERT_TRUE(engine.StartRun(Start("r1"), &started).ok());
  backtest::v1::ExecutionEndRequest end;
  end.set_run_id("r1");
  backtest::v1::ExecutionEndResponse ended;
  ASSERT_TRUE(engine.EndRun(end, &ended).ok());
  EXPECT_EQ(engine.EndRun(end, &ended).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(engine.ExecuteSteps(BuyAtStep("r1", 0, true), &step).code(),
            absl::StatusCode::kNotFound);
}

TEST(ExecutionEngineTest, StepFailuresCarryTheRunId) {
  ExecutionEngine engine;
  backtest::v1::ExecutionStartResponse started;
  ASSERT_TRUE(engine.StartRun(Start("r1"), &started).ok());
  backtest::v1::ExecuteStepsRequest request = BuyAtStep("r1", 0, true);
  request.mutable_new_orders(0)->set_quantity(0);
  backtest::v1::ExecuteStepsResponse response;
  const absl::Status status = engine.ExecuteSteps(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").reason(), "INVALID_ORDER");
}

TEST(ExecutionEngineTest, CallBeforeACommittedStepIsFailedPrecondition) {
  ExecutionEngine engine;
  backtest::v1::ExecutionStartResponse started;
  ASSERT_TRUE(engine.StartRun(Start("r1"), &started).ok());
  backtest::v1::ExecuteStepsResponse response;
  ASSERT_TRUE(engine.ExecuteSteps(BuyAtStep("r1", 0, false), &response).ok());
  // Starting at step 1 commits step 0 (order 1 is already working).
  backtest::v1::ExecuteStepsRequest next = BuyAtStep("r1", 1, false);
  next.clear_new_orders();
  ASSERT_TRUE(engine.ExecuteSteps(next, &response).ok());
  const absl::Status status =
      engine.ExecuteSteps(BuyAtStep("r1", 0, false), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ToStageError(status, "").reason(), "STEP_OUT_OF_ORDER");
}

}  // namespace
}  // namespace seed::execution
