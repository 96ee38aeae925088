#include "services/execution/simulator.h"

#include "common/stage_error.h"
#include "common/time.h"
#include "gtest/gtest.h"

namespace seed::execution {
namespace {

using backtest::v1::ExecuteStepRequest;
using backtest::v1::ExecuteStepResponse;
using backtest::v1::Fill;
using backtest::v1::Order;
using backtest::v1::Rejection;

constexpr int kOrcl = 0;
constexpr int kNvda = 1;

int64_t Day(absl::string_view date) { return *ParseTime(date); }

Simulator MakeSimulator(const std::string& commission, double commission_bps,
                        const std::string& slippage, double slippage_bps) {
  backtest::v1::CommissionSpec commission_spec;
  commission_spec.set_model(commission);
  commission_spec.set_bps(commission_bps);
  backtest::v1::SlippageSpec slippage_spec;
  slippage_spec.set_model(slippage);
  slippage_spec.set_bps(slippage_bps);
  std::vector<FieldProblem> problems;
  Simulator simulator({"ORCL", "NVDA"},
                      MakeCommissionModel(commission_spec, &problems),
                      MakeSlippageModel(slippage_spec, &problems));
  EXPECT_TRUE(problems.empty());
  return simulator;
}

Simulator Frictionless() { return MakeSimulator("none", 0, "none", 0); }

Order Market(int64_t id, int symbol, backtest::v1::Side side, double quantity) {
  Order order;
  order.set_id(id);
  order.set_symbol(symbol);
  order.set_side(side);
  order.set_quantity(quantity);
  order.set_type(backtest::v1::MARKET);
  order.set_reason("signal");
  return order;
}

// A step at `date` with one bar per {symbol, open}; other prices do not
// matter to market fills.
ExecuteStepRequest Step(absl::string_view date,
                        std::vector<std::pair<int, double>> opens,
                        double available_cash, std::vector<Order> orders) {
  ExecuteStepRequest request;
  request.set_run_id("r1");
  request.mutable_step()->set_time(Day(date));
  for (const auto& [symbol, open] : opens) {
    backtest::v1::Bar* bar = request.mutable_step()->add_bars();
    bar->set_symbol(symbol);
    bar->set_open(open);
    bar->set_close(open + 1);
  }
  request.set_available_cash(available_cash);
  for (Order& order : orders) *request.add_new_orders() = std::move(order);
  return request;
}

TEST(SimulatorTest, MarketOrderFillsAtTheOpenOfTheStep) {
  Simulator simulator = Frictionless();
  ExecuteStepResponse response;
  ASSERT_TRUE(simulator
                  .ExecuteStep(Step("2001-01-03", {{kOrcl, 10.5}}, 10000,
                                    {Market(7, kOrcl, backtest::v1::BUY, 100)}),
                               &response)
                  .ok());
  ASSERT_EQ(response.fills_size(), 1);
  const Fill& fill = response.fills(0);
  EXPECT_EQ(fill.order_id(), 7);
  EXPECT_EQ(fill.symbol(), kOrcl);
  EXPECT_EQ(fill.side(), backtest::v1::BUY);
  EXPECT_EQ(fill.time(), Day("2001-01-03"));
  EXPECT_EQ(fill.quantity(), 100);
  EXPECT_EQ(fill.price(), 10.5);
  EXPECT_EQ(fill.commission(), 0.0);
  EXPECT_EQ(fill.slippage(), 0.0);
  EXPECT_EQ(fill.reason(), "signal");
  EXPECT_EQ(response.rejections_size(), 0);
  EXPECT_EQ(response.working_orders(), 0);
}

TEST(SimulatorTest, SlippageMovesBuysUpAndSellsDown) {
  Simulator simulator = MakeSimulator("none", 0, "fixed_bps", 10);
  ExecuteStepResponse response;
  ASSERT_TRUE(
      simulator
          .ExecuteStep(Step("2001-01-03", {{kOrcl, 20.0}, {kNvda, 50.0}}, 10000,
                            {Market(1, kOrcl, backtest::v1::BUY, 100),
                             Market(2, kNvda, backtest::v1::SELL, 10)}),
                       &response)
          .ok());
  ASSERT_EQ(response.fills_size(), 2);
  // Sells fill first. 10 bps = 0.001: NVDA sells at 50 * 0.999 = 49.95,
  // losing 0.05 * 10 = 0.5; ORCL buys at 20 * 1.001 = 20.02, losing
  // 0.02 * 100 = 2.
  EXPECT_EQ(response.fills(0).order_id(), 2);
  EXPECT_DOUBLE_EQ(response.fills(0).price(), 49.95);
  EXPECT_NEAR(response.fills(0).slippage(), 0.5, 1e-9);
  EXPECT_EQ(response.fills(1).order_id(), 1);
  EXPECT_DOUBLE_EQ(response.fills(1).price(), 20.02);
  EXPECT_NEAR(response.fills(1).slippage(), 2.0, 1e-9);
}

TEST(SimulatorTest, PercentCommissionOnTheFilledValue) {
  Simulator simulator = MakeSimulator("percent", 10, "none", 0);
  ExecuteStepResponse response;
  ASSERT_TRUE(simulator
                  .ExecuteStep(Step("2001-01-03", {{kOrcl, 50.0}}, 10000,
                                    {Market(1, kOrcl, backtest::v1::BUY, 100)}),
                               &response)
                  .ok());
  ASSERT_EQ(response.fills_size(), 1);
  // 100 * 50 = 5000 traded; 10 bps of it = 5.
  EXPECT_DOUBLE_EQ(response.fills(0).commission(), 5.0);
}

TEST(SimulatorTest, SalesAtTheOpenPayForBuysAtTheSameOpen) {
  Simulator simulator = Frictionless();
  ExecuteStepResponse response;
  // The buy was accepted first, but costs 10 * 150 = 1500 while only 1000 is
  // available; the sale of 50 * 20 = 1000 fills first and brings it to 2000.
  ASSERT_TRUE(
      simulator
          .ExecuteStep(Step("2001-01-03", {{kOrcl, 20.0}, {kNvda, 150.0}}, 1000,
                            {Market(1, kNvda, backtest::v1::BUY, 10),
                             Market(2, kOrcl, backtest::v1::SELL, 50)}),
                       &response)
          .ok());
  EXPECT_EQ(response.rejections_size(), 0);
  ASSERT_EQ(response.fills_size(), 2);
  EXPECT_EQ(response.fills(0).side(), backtest::v1::SELL);
  EXPECT_EQ(response.fills(1).side(), backtest::v1::BUY);
}

TEST(SimulatorTest, BuyCostingMoreThanTheCashIsRejectedAtTheFill) {
  Simulator simulator = MakeSimulator("percent", 10, "none", 0);
  ExecuteStepResponse response;
  ASSERT_TRUE(simulator
                  .ExecuteStep(
                      Step("2001-01-03", {{kOrcl, 4.236}, {kNvda, 100.0}}, 4200,
                           {Market(3, kOrcl, backtest::v1::BUY, 1000),
                            Market(4, kNvda, backtest::v1::BUY, 10)}),
                      &response)
                  .ok());
  // ORCL: 1000 * 4.236 = 4236 plus 10 bps (4.236) = 4240.236 > 4200.
  ASSERT_EQ(response.rejections_size(), 1);
  const Rejection& rejection = response.rejections(0);
  EXPECT_EQ(rejection.order_id(), 3);
  EXPECT_EQ(rejection.symbol(), kOrcl);
  EXPECT_EQ(rejection.side(), backtest::v1::BUY);
  EXPECT_EQ(rejection.quantity(), 1000);
  EXPECT_EQ(rejection.time(), Day("2001-01-03"));
  EXPECT_EQ(rejection.stage(), "execution");
  EXPECT_EQ(rejection.code(), "INSUFFICIENT_CASH");
  EXPECT_EQ(rejection.message(),
            "buy 1000 of ORCL at 4.236 needs 4240.24 with commission; cash "
            "available 4200.00");
  // The rejected buy took no cash: NVDA's 10 * 100 + 1 = 1001 still fills.
  ASSERT_EQ(response.fills_size(), 1);
  EXPECT_EQ(response.fills(0).order_id(), 4);
  EXPECT_EQ(response.working_orders(), 0);
}

TEST(SimulatorTest, EachBuySpendsTheCashTheNextOneSees) {
  Simulator simulator = Frictionless();
  ExecuteStepResponse response;
  // 2000 - 10 * 150 = 500 left, and 10 * 60 = 600 no longer fits.
  ASSERT_TRUE(
      simulator
          .ExecuteStep(Step("2001-01-03", {{kOrcl, 60.0}, {kNvda, 150.0}}, 2000,
                            {Market(1, kNvda, backtest::v1::BUY, 10),
                             Market(2, kOrcl, backtest::v1::BUY, 10)}),
                       &response)
          .ok());
  ASSERT_EQ(response.fills_size(), 1);
  EXPECT_EQ(response.fills(0).order_id(), 1);
  ASSERT_EQ(response.rejections_size(), 1);
  EXPECT_EQ(response.rejections(0).message(),
            "buy 10 of ORCL at 60 needs 600.00 with commission; cash available "
            "500.00");
}

TEST(SimulatorTest, OrderWaitsForTheNextBarOfItsSymbol) {
  Simulator simulator = Frictionless();
  ExecuteStepResponse first;
  ASSERT_TRUE(simulator
                  .ExecuteStep(Step("2001-01-03", {{kNvda, 50.0}}, 10000,
                                    {Market(1, kOrcl, backtest::v1::BUY, 10)}),
                               &first)
                  .ok());
  EXPECT_EQ(first.fills_size(), 0);
  EXPECT_EQ(first.rejections_size(), 0);
  EXPECT_EQ(first.working_orders(), 1);

  ExecuteStepResponse second;
  ASSERT_TRUE(
      simulator
          .ExecuteStep(Step("2001-01-04", {{kOrcl, 11.0}}, 10000, {}), &second)
          .ok());
  ASSERT_EQ(second.fills_size(), 1);
  EXPECT_EQ(second.fills(0).time(), Day("2001-01-04"));
  EXPECT_EQ(second.fills(0).price(), 11.0);
  EXPECT_EQ(second.working_orders(), 0);
}

TEST(SimulatorTest, EndHandsOverTheOrdersStillWorking) {
  Simulator simulator = Frictionless();
  ExecuteStepResponse response;
  ASSERT_TRUE(simulator
                  .ExecuteStep(Step("2001-01-03", {}, 10000,
                                    {Market(1, kOrcl, backtest::v1::BUY, 10),
                                     Market(2, kNvda, backtest::v1::SELL, 5)}),
                               &response)
                  .ok());
  backtest::v1::ExecutionEndResponse end;
  simulator.End(&end);
  ASSERT_EQ(end.unfilled_orders_size(), 2);
  EXPECT_EQ(end.unfilled_orders(0).id(), 1);
  EXPECT_EQ(end.unfilled_orders(1).id(), 2);
}

TEST(SimulatorTest, UnsupportedOrderTypeFailsTheStepAndAddsNothing) {
  Simulator simulator = Frictionless();
  Order untyped = Market(5, kOrcl, backtest::v1::BUY, 10);
  untyped.set_type(backtest::v1::ORDER_TYPE_UNSPECIFIED);
  ExecuteStepResponse response;
  const absl::Status status = simulator.ExecuteStep(
      Step("2001-01-03", {{kOrcl, 10.0}}, 10000,
           {Market(4, kOrcl, backtest::v1::BUY, 10), untyped}),
      &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "execution");
  EXPECT_EQ(error.reason(), "UNSUPPORTED_ORDER_TYPE");
  EXPECT_EQ(error.symbol(), "ORCL");
  EXPECT_NE(status.message().find("order 5"), absl::string_view::npos);

  backtest::v1::ExecutionEndResponse end;
  simulator.End(&end);
  EXPECT_EQ(end.unfilled_orders_size(), 0);
}

TEST(SimulatorTest, BarForAnUnknownSymbolFailsTheStep) {
  Simulator simulator = Frictionless();
  ExecuteStepResponse response;
  const absl::Status status = simulator.ExecuteStep(
      Step("2001-01-03", {{2, 10.0}}, 10000, {}), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").reason(), "INVALID_STEP");
}

}  // namespace
}  // namespace seed::execution
