#include "services/execution/simulator.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/stage_error.h"
#include "common/time.h"
#include "gtest/gtest.h"

namespace seed::execution {
namespace {

using backtest::v1::ExecuteStepsRequest;
using backtest::v1::ExecuteStepsResponse;
using backtest::v1::Fill;
using backtest::v1::Order;
using backtest::v1::Rejection;
using backtest::v1::TimeStep;

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
  // These tests trade long only: a sell is the exit of a held long, as the
  // portfolio marks it.
  order.set_reduces_position(side == backtest::v1::SELL);
  return order;
}

// Step `index` at `date` with one bar per {symbol, open}: high open + 2, low
// open - 2, close open + 1 (wide enough for any slippage these tests use).
TimeStep MakeStep(int64_t index, int64_t time,
                  std::vector<std::pair<int, double>> opens) {
  TimeStep step;
  step.set_index(index);
  step.set_time(time);
  for (const auto& [symbol, open] : opens) {
    backtest::v1::Bar* bar = step.add_bars();
    bar->set_symbol(symbol);
    bar->set_open(open);
    bar->set_high(open + 2);
    bar->set_low(open - 2);
    bar->set_close(open + 1);
  }
  return step;
}

ExecuteStepsRequest Steps(std::vector<TimeStep> steps, double available_cash,
                          std::vector<Order> orders) {
  ExecuteStepsRequest request;
  request.set_run_id("r1");
  for (TimeStep& step : steps) *request.add_steps() = std::move(step);
  request.set_available_cash(available_cash);
  for (Order& order : orders) *request.add_new_orders() = std::move(order);
  return request;
}

// A run of the single step `index` at `date`.
ExecuteStepsRequest Step(int64_t index, absl::string_view date,
                         std::vector<std::pair<int, double>> opens,
                         double available_cash, std::vector<Order> orders) {
  return Steps({MakeStep(index, Day(date), std::move(opens))}, available_cash,
               std::move(orders));
}

// Consecutive steps from index `first`, with opens[k] the bars of the k-th;
// step n is dated 2001-01-02 plus n days.
std::vector<TimeStep> Days(
    int64_t first, std::vector<std::vector<std::pair<int, double>>> opens) {
  std::vector<TimeStep> steps;
  for (int64_t i = 0; i < opens.size(); ++i) {
    steps.push_back(MakeStep(first + i,
                             Day("2001-01-02") + (first + i) * kSecondsPerDay,
                             std::move(opens[i])));
  }
  return steps;
}

TEST(SimulatorTest, MarketOrderFillsAtTheOpenOfTheStep) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse response;
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(Step(0, "2001-01-03", {{kOrcl, 10.5}}, 10000,
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
  EXPECT_EQ(response.steps_used(), 1);
  EXPECT_EQ(response.rejections_size(), 0);
  EXPECT_EQ(response.working_orders(), 0);
}

TEST(SimulatorTest, SlippageMovesBuysUpAndSellsDown) {
  Simulator simulator = MakeSimulator("none", 0, "fixed_bps", 10);
  ExecuteStepsResponse response;
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(
              Step(0, "2001-01-03", {{kOrcl, 20.0}, {kNvda, 50.0}}, 10000,
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
  ExecuteStepsResponse response;
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(Step(0, "2001-01-03", {{kOrcl, 50.0}}, 10000,
                             {Market(1, kOrcl, backtest::v1::BUY, 100)}),
                        &response)
          .ok());
  ASSERT_EQ(response.fills_size(), 1);
  // 100 * 50 = 5000 traded; 10 bps of it = 5.
  EXPECT_DOUBLE_EQ(response.fills(0).commission(), 5.0);
}

TEST(SimulatorTest, SalesAtTheOpenPayForBuysAtTheSameOpen) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse response;
  // The buy was accepted first, but costs 10 * 150 = 1500 while only 1000 is
  // available; the sale of 50 * 20 = 1000 fills first and brings it to 2000.
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(
              Step(0, "2001-01-03", {{kOrcl, 20.0}, {kNvda, 150.0}}, 1000,
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
  ExecuteStepsResponse response;
  ASSERT_TRUE(simulator
                  .ExecuteSteps(Step(0, "2001-01-03",
                                     {{kOrcl, 4.236}, {kNvda, 100.0}}, 4200,
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
  ExecuteStepsResponse response;
  // 2000 - 10 * 150 = 500 left, and 10 * 60 = 600 no longer fits.
  ASSERT_TRUE(simulator
                  .ExecuteSteps(Step(0, "2001-01-03",
                                     {{kOrcl, 60.0}, {kNvda, 150.0}}, 2000,
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

TEST(SimulatorTest, EachStrategySpendsOnlyItsOwnBuyingPower) {
  Simulator simulator = Frictionless();
  // Strategy 0 has 500, strategy 1 has 5000; each buys 10 at 60 = 600.
  Order first = Market(1, kOrcl, backtest::v1::BUY, 10);
  Order second = Market(2, kOrcl, backtest::v1::BUY, 10);
  second.set_strategy(1);
  ExecuteStepsRequest request =
      Step(0, "2001-01-03", {{kOrcl, 60.0}}, 5500, {first, second});
  request.add_strategy_available_cash(500);
  request.add_strategy_available_cash(5000);
  ExecuteStepsResponse response;
  ASSERT_TRUE(simulator.ExecuteSteps(request, &response).ok());
  ASSERT_EQ(response.rejections_size(), 1);
  EXPECT_EQ(response.rejections(0).order_id(), 1);
  EXPECT_EQ(response.rejections(0).strategy(), 0);
  EXPECT_EQ(response.rejections(0).message(),
            "buy 10 of ORCL at 60 needs 600.00 with commission; cash available "
            "500.00");
  ASSERT_EQ(response.fills_size(), 1);
  EXPECT_EQ(response.fills(0).order_id(), 2);
  EXPECT_EQ(response.fills(0).strategy(), 1);
}

TEST(SimulatorTest, OrderOfAStrategyWithoutBuyingPowerIsInvalid) {
  Simulator simulator = Frictionless();
  Order order = Market(1, kOrcl, backtest::v1::BUY, 10);
  order.set_strategy(1);
  ExecuteStepsResponse response;
  const absl::Status status = simulator.ExecuteSteps(
      Step(0, "2001-01-03", {{kOrcl, 60.0}}, 5000, {order}), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "new order 1 is for strategy 1 but the request has buying power "
            "for 1 strategy");
}

TEST(SimulatorTest, OrderWaitsForTheNextBarOfItsSymbol) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse first;
  ASSERT_TRUE(simulator
                  .ExecuteSteps(Step(0, "2001-01-03", {{kNvda, 50.0}}, 10000,
                                     {Market(1, kOrcl, backtest::v1::BUY, 10)}),
                                &first)
                  .ok());
  EXPECT_EQ(first.fills_size(), 0);
  EXPECT_EQ(first.rejections_size(), 0);
  EXPECT_EQ(first.working_orders(), 1);

  ExecuteStepsResponse second;
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(Step(1, "2001-01-04", {{kOrcl, 11.0}}, 10000, {}),
                        &second)
          .ok());
  ASSERT_EQ(second.fills_size(), 1);
  EXPECT_EQ(second.fills(0).time(), Day("2001-01-04"));
  EXPECT_EQ(second.fills(0).price(), 11.0);
  EXPECT_EQ(second.working_orders(), 0);
}

TEST(SimulatorTest, EndHandsOverTheOrdersStillWorking) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse response;
  ASSERT_TRUE(simulator
                  .ExecuteSteps(Step(0, "2001-01-03", {}, 10000,
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

TEST(SimulatorTest, UnsupportedOrderTypeFailsTheCallAndAddsNothing) {
  Simulator simulator = Frictionless();
  Order untyped = Market(5, kOrcl, backtest::v1::BUY, 10);
  untyped.set_type(backtest::v1::ORDER_TYPE_UNSPECIFIED);
  ExecuteStepsResponse response;
  const absl::Status status = simulator.ExecuteSteps(
      Step(0, "2001-01-03", {{kOrcl, 10.0}}, 10000,
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

TEST(SimulatorTest, BarForAnUnknownSymbolFailsTheCall) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse response;
  const absl::Status status = simulator.ExecuteSteps(
      Step(0, "2001-01-03", {{2, 10.0}}, 10000, {}), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").reason(), "INVALID_STEP");
}

std::vector<int64_t> FillIds(const ExecuteStepsResponse& response) {
  std::vector<int64_t> ids;
  for (const Fill& fill : response.fills()) ids.push_back(fill.order_id());
  return ids;
}

std::vector<int64_t> UnfilledIds(Simulator& simulator) {
  backtest::v1::ExecutionEndResponse end;
  simulator.End(&end);
  std::vector<int64_t> ids;
  for (const Order& order : end.unfilled_orders()) ids.push_back(order.id());
  return ids;
}

TEST(SimulatorTest, RunStopsAfterTheFirstStepWithAFill) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse response;
  // NVDA fills at step 1; ORCL would fill at step 2 but the run stops first.
  ASSERT_TRUE(simulator
                  .ExecuteSteps(Steps(Days(0, {{},
                                               {{kNvda, 50.0}},
                                               {{kOrcl, 10.0}, {kNvda, 51.0}},
                                               {{kOrcl, 11.0}}}),
                                      10000,
                                      {Market(1, kOrcl, backtest::v1::BUY, 10),
                                       Market(2, kNvda, backtest::v1::BUY, 1)}),
                                &response)
                  .ok());
  EXPECT_EQ(response.steps_used(), 2);
  ASSERT_EQ(response.fills_size(), 1);
  EXPECT_EQ(response.fills(0).order_id(), 2);
  EXPECT_EQ(response.fills(0).time(), Day("2001-01-03"));
  EXPECT_EQ(response.working_orders(), 1);
}

TEST(SimulatorTest, RunStopsAfterTheFirstStepWithARejection) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse response;
  // 100 * 10 = 1000 > 500 at step 1.
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(Steps(Days(0, {{}, {{kOrcl, 10.0}}, {}}), 500,
                              {Market(1, kOrcl, backtest::v1::BUY, 100)}),
                        &response)
          .ok());
  EXPECT_EQ(response.steps_used(), 2);
  EXPECT_EQ(response.fills_size(), 0);
  ASSERT_EQ(response.rejections_size(), 1);
  EXPECT_EQ(response.rejections(0).time(), Day("2001-01-03"));
  EXPECT_EQ(response.working_orders(), 0);
}

TEST(SimulatorTest, RunWithoutFillsUsesEveryStep) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse response;
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(Steps(Days(0, {{{kNvda, 50.0}}, {}, {}}), 10000,
                              {Market(1, kOrcl, backtest::v1::BUY, 10)}),
                        &response)
          .ok());
  EXPECT_EQ(response.steps_used(), 3);
  EXPECT_EQ(response.fills_size(), 0);
  EXPECT_EQ(response.working_orders(), 1);
}

// What one backtest committed: the fills and rejections of the consumed steps,
// then the orders unfilled at the end.
struct Outcome {
  ExecuteStepsResponse committed;
  backtest::v1::ExecutionEndResponse end;
  int discarded_calls = 0;  // whose fills or rejections were discarded
};

// Drives a simulator the way the coordinator does, `chunk` steps per call,
// over ten days of ORCL and NVDA bars (some missing) with the orders a
// strategy places at steps 1 (intents, but all refused: no orders), 3, 5 and
// 7. Cash follows the committed fills as the portfolio's would.
Outcome DriveInChunks(int chunk) {
  const std::vector<TimeStep> steps = Days(0, {{{kNvda, 50.0}},
                                               {{kNvda, 51.0}},
                                               {{kOrcl, 10.0}, {kNvda, 52.0}},
                                               {{kOrcl, 11.0}},
                                               {{kOrcl, 12.0}, {kNvda, 53.0}},
                                               {{kOrcl, 13.0}, {kNvda, 54.0}},
                                               {{kOrcl, 14.0}},
                                               {{kOrcl, 15.0}},
                                               {},
                                               {{kOrcl, 16.0}}});
  // Step index -> orders accepted at it (working from the next step).
  std::map<int, std::vector<Order>> intents = {
      {1, {}},
      {3,
       {Market(2, kNvda, backtest::v1::BUY, 100),
        Market(3, kOrcl, backtest::v1::SELL, 40)}},
      {5,
       {Market(4, kNvda, backtest::v1::BUY, 10),
        Market(5, kOrcl, backtest::v1::SELL, 60)}},
      {7, {Market(6, kOrcl, backtest::v1::BUY, 5)}}};
  Simulator simulator = MakeSimulator("percent", 10, "fixed_bps", 5);
  Outcome outcome;
  double cash = 5000;
  std::vector<Order> new_orders = {Market(1, kOrcl, backtest::v1::BUY, 100)};
  for (int next = 0; next < steps.size();) {
    const int end = std::min<int>(next + chunk, steps.size());
    ExecuteStepsResponse response;
    const absl::Status status = simulator.ExecuteSteps(
        Steps({steps.begin() + next, steps.begin() + end}, cash,
              std::move(new_orders)),
        &response);
    EXPECT_TRUE(status.ok()) << status;
    if (!status.ok()) break;
    // The strategy stops at its first step with intents.
    int consumed = response.steps_used();
    new_orders.clear();
    for (int i = next; i < next + response.steps_used(); ++i) {
      if (const auto it = intents.find(i); it != intents.end()) {
        consumed = i - next + 1;
        new_orders = it->second;
        break;
      }
    }
    if (consumed == response.steps_used()) {
      for (const Fill& fill : response.fills()) {
        const double value = fill.quantity() * fill.price();
        cash = fill.side() == backtest::v1::BUY ? cash - value : cash + value;
        cash = cash - fill.commission();
        *outcome.committed.add_fills() = fill;
      }
      for (const Rejection& rejection : response.rejections()) {
        *outcome.committed.add_rejections() = rejection;
      }
    } else if (response.fills_size() + response.rejections_size() > 0) {
      ++outcome.discarded_calls;
    }
    next += consumed;
  }
  simulator.End(&outcome.end);
  return outcome;
}

TEST(SimulatorTest, RunsOfStepsMatchOneStepAtATime) {
  const Outcome one_by_one = DriveInChunks(1);
  // ORCL buys at 10.005 on day 2 (cash 5000 - 1000.5 - 1.0005 = 3998.4995);
  // on day 4 the sale of 40 at 11.994 fills first, then NVDA's 100 at 53.0265
  // (5302.65) exceeds the cash; 60 ORCL sell on day 6; NVDA has no bar after
  // day 5, so order 4 is still working when ORCL's order 6 fills on day 9.
  EXPECT_EQ(FillIds(one_by_one.committed), (std::vector<int64_t>{1, 3, 5, 6}));
  ASSERT_EQ(one_by_one.committed.rejections_size(), 1);
  EXPECT_EQ(one_by_one.committed.rejections(0).order_id(), 2);
  ASSERT_EQ(one_by_one.end.unfilled_orders_size(), 1);
  EXPECT_EQ(one_by_one.end.unfilled_orders(0).id(), 4);

  for (int chunk : {2, 3, 4, 7, 10, 64}) {
    const Outcome in_chunks = DriveInChunks(chunk);
    // From 4 steps on, the first call fills order 1 at step 2 but the
    // strategy acts at step 1, so that fill is discarded and redone.
    if (chunk >= 4) {
      EXPECT_GT(in_chunks.discarded_calls, 0) << chunk;
    }
    EXPECT_EQ(in_chunks.committed.SerializeAsString(),
              one_by_one.committed.SerializeAsString())
        << "chunk " << chunk << ":\n"
        << in_chunks.committed.DebugString();
    EXPECT_EQ(in_chunks.end.SerializeAsString(),
              one_by_one.end.SerializeAsString())
        << "chunk " << chunk << ":\n"
        << in_chunks.end.DebugString();
  }
}

// With 100 of buying power: a short sale's 500 of proceeds do not pay for an
// entry (held back against the short), a cover of 1000 is never refused for
// cash, and an entry costing 150 is.
// Without marks (a margin account) a cover leaves the budget as it is, and a
// short sale's proceeds never pay for buys. Exits fill first (the cover),
// then the entries: the short sale, then the buy.
TEST(SimulatorTest, ShortProceedsAndCoversWithoutAMarkDoNotMoveTheBuyBudget) {
  Simulator simulator = Frictionless();
  Order short_sale = Market(1, kOrcl, backtest::v1::SELL, 5);
  short_sale.set_reduces_position(false);
  Order cover = Market(2, kNvda, backtest::v1::BUY, 10);
  cover.set_reduces_position(true);
  Order entry = Market(3, kOrcl, backtest::v1::BUY, 1.5);
  ExecuteStepsResponse response;
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(Step(0, "2001-01-03", {{kOrcl, 100}, {kNvda, 100}}, 100,
                             {short_sale, cover, entry}),
                        &response)
          .ok());
  // The cover (1000 > 100: exits are never refused), then the short sale.
  EXPECT_EQ(FillIds(response), (std::vector<int64_t>{2, 1}));
  ASSERT_EQ(response.rejections_size(), 1);
  EXPECT_EQ(response.rejections(0).order_id(), 3);
  EXPECT_EQ(response.rejections(0).code(), "INSUFFICIENT_CASH");
}

// Issue 15's reversal, figure by figure (cash account, commission 10 bps):
// short 62117 with cash 198253.54; at the signal close 1.416667 the short is
// worth 87999.10, so the buying power is 110254.44 and percent_of_equity 0.99
// sizes the buy at floor(0.99 x 110254.44 / 1.416667) = 77048. The next open
// gaps up to 1.427083: the cover pays 62117 x 1.427083 = 88646.11 + 88.65,
// which frees only the 87999.10 held for it, leaving 110254.44 - 646.96 -
// 88.65 = 109518.78 (the real cash: 198253.54 - 88646.11 - 88.65). The buy
// needs 77048 x 1.427083 = 109953.89 + 109.95 = 110063.84: refused, where it
// used to fill and leave cash at -545.06.
TEST(SimulatorTest, ACoverAfterAGapLeavesLessForTheBuyAtTheSameOpen) {
  Simulator simulator = MakeSimulator("percent", 10, "none", 0);
  Order cover = Market(1, kOrcl, backtest::v1::BUY, 62117);
  cover.set_reduces_position(true);
  ExecuteStepsRequest request =
      Step(0, "2001-01-03", {{kOrcl, 1.427083}}, 110254.440026039,
           {cover, Market(2, kOrcl, backtest::v1::BUY, 77048)});
  (*request.mutable_marks())[kOrcl] = 1.416667;
  ExecuteStepsResponse response;
  ASSERT_TRUE(simulator.ExecuteSteps(request, &response).ok());
  ASSERT_EQ(FillIds(response), (std::vector<int64_t>{1}));
  EXPECT_NEAR(response.fills(0).commission(), 88.65, 0.005);
  ASSERT_EQ(response.rejections_size(), 1);
  const Rejection& rejection = response.rejections(0);
  EXPECT_EQ(rejection.order_id(), 2);
  EXPECT_EQ(rejection.code(), "INSUFFICIENT_CASH");
  EXPECT_EQ(rejection.message(),
            "buy 77048 of ORCL at 1.427083 needs 110063.84 with commission; "
            "cash available 109518.78");
}

// An exit accepted after an entry still fills before it, so the entry sees
// what the exit cost; a cover at a gap down frees more than it pays.
TEST(SimulatorTest, ExitsFillBeforeEntriesAcceptedBeforeThem) {
  Simulator simulator = Frictionless();
  Order cover = Market(2, kNvda, backtest::v1::BUY, 10);
  cover.set_reduces_position(true);
  ExecuteStepsRequest request =
      Step(0, "2001-01-03", {{kOrcl, 100}, {kNvda, 90}}, 1000,
           {Market(1, kOrcl, backtest::v1::BUY, 10.5), cover});
  // 10 short NVDA held at 100 and covered at 90: 1000 + 100 frees room for
  // 10.5 ORCL at 100 (1050), which 1000 alone would not.
  (*request.mutable_marks())[kNvda] = 100;
  ExecuteStepsResponse response;
  ASSERT_TRUE(simulator.ExecuteSteps(request, &response).ok());
  EXPECT_EQ(FillIds(response), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(response.rejections_size(), 0);
}

TEST(SimulatorTest, AMarkForNoSymbolIsRefused) {
  Simulator simulator = Frictionless();
  ExecuteStepsRequest request = Step(0, "2001-01-03", {{kOrcl, 100}}, 1000, {});
  (*request.mutable_marks())[7] = 100;
  ExecuteStepsResponse response;
  const absl::Status status = simulator.ExecuteSteps(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("marks[7]"), absl::string_view::npos)
      << status;
}

TEST(SimulatorTest, NextCallStartingAtTheFillStepDiscardsTheFill) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse first;
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(Steps(Days(0, {{}, {}, {{kOrcl, 10.0}}, {}}), 1000,
                              {Market(1, kOrcl, backtest::v1::BUY, 10)}),
                        &first)
          .ok());
  EXPECT_EQ(first.steps_used(), 3);
  ASSERT_EQ(first.fills_size(), 1);

  // The strategy acted at step 1 and spent cash: the fill at step 2 never
  // happened, so the order is still working and now 10 * 10 > 60.
  ExecuteStepsResponse second;
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(Steps(Days(2, {{{kOrcl, 10.0}}, {}}), 60,
                              {Market(2, kOrcl, backtest::v1::SELL, 3)}),
                        &second)
          .ok());
  EXPECT_EQ(second.steps_used(), 1);
  EXPECT_EQ(FillIds(second), (std::vector<int64_t>{2}));
  ASSERT_EQ(second.rejections_size(), 1);
  EXPECT_EQ(second.rejections(0).order_id(), 1);
  EXPECT_EQ(second.rejections(0).message(),
            "buy 10 of ORCL at 10 needs 100.00 with commission; cash available "
            "90.00");
  EXPECT_EQ(second.working_orders(), 0);
  EXPECT_TRUE(UnfilledIds(simulator).empty());
}

TEST(SimulatorTest, EndCommitsTheTentativeSteps) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse response;
  ASSERT_TRUE(simulator
                  .ExecuteSteps(Steps(Days(0, {{}, {{kOrcl, 10.0}}}), 1000,
                                      {Market(1, kOrcl, backtest::v1::BUY, 10),
                                       Market(2, kNvda, backtest::v1::BUY, 1)}),
                                &response)
                  .ok());
  ASSERT_EQ(FillIds(response), (std::vector<int64_t>{1}));
  EXPECT_EQ(UnfilledIds(simulator), (std::vector<int64_t>{2}));
}

TEST(SimulatorTest, OrderOfADiscardedFillIsUnfilledIfNoLaterStepFillsIt) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse first;
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(Steps(Days(0, {{}, {}, {{kOrcl, 10.0}}}), 1000,
                              {Market(1, kOrcl, backtest::v1::BUY, 10)}),
                        &first)
          .ok());
  ASSERT_EQ(first.fills_size(), 1);
  ExecuteStepsResponse second;
  ASSERT_TRUE(
      simulator.ExecuteSteps(Steps(Days(1, {{}}), 1000, {}), &second).ok());
  EXPECT_EQ(second.fills_size(), 0);
  EXPECT_EQ(second.working_orders(), 1);
  EXPECT_EQ(UnfilledIds(simulator), (std::vector<int64_t>{1}));
}

TEST(SimulatorTest, CallStartingAtACommittedStepIsStepOutOfOrder) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse response;
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(Steps(Days(0, {{}, {}, {}}), 1000,
                              {Market(1, kOrcl, backtest::v1::BUY, 10)}),
                        &response)
          .ok());
  ASSERT_EQ(response.steps_used(), 3);
  // Starting at step 5 commits steps 0 to 2 (the coordinator skipped 3 and 4).
  ASSERT_TRUE(
      simulator.ExecuteSteps(Steps(Days(5, {{}}), 1000, {}), &response).ok());

  const absl::Status status = simulator.ExecuteSteps(
      Steps(Days(1, {{}}), 1000, {Market(2, kOrcl, backtest::v1::BUY, 10)}),
      &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "execution");
  EXPECT_EQ(error.reason(), "STEP_OUT_OF_ORDER");
  EXPECT_EQ(status.message(),
            "ExecuteSteps starts at step 1 (2001-01-03) but steps through 2 "
            "are already committed");
  EXPECT_EQ(error.bar_time(), "2001-01-03");

  // The failed call changed nothing: step 5 is still tentative, so a call may
  // start there again, and order 2 never joined.
  ASSERT_TRUE(
      simulator.ExecuteSteps(Steps(Days(5, {{}}), 1000, {}), &response).ok());
  EXPECT_EQ(UnfilledIds(simulator), (std::vector<int64_t>{1}));
}

TEST(SimulatorTest, DiscardCommitsTheStepsBeforeTheCut) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse response;
  ASSERT_TRUE(
      simulator
          .ExecuteSteps(Steps(Days(0, {{}, {}, {}, {{kOrcl, 10.0}}}), 1000,
                              {Market(1, kOrcl, backtest::v1::BUY, 10)}),
                        &response)
          .ok());
  ASSERT_EQ(response.fills_size(), 1);
  // Cut at step 2: steps 0 and 1 are committed, 2 and 3 discarded.
  ASSERT_TRUE(
      simulator.ExecuteSteps(Steps(Days(2, {{}}), 1000, {}), &response).ok());
  EXPECT_EQ(
      simulator.ExecuteSteps(Steps(Days(1, {{}}), 1000, {}), &response).code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(UnfilledIds(simulator), (std::vector<int64_t>{1}));
}

TEST(SimulatorTest, CallWithoutStepsIsInvalid) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse response;
  const absl::Status status = simulator.ExecuteSteps(
      Steps({}, 1000, {Market(1, kOrcl, backtest::v1::BUY, 10)}), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").reason(), "NO_STEPS");
  EXPECT_TRUE(UnfilledIds(simulator).empty());
}

TEST(SimulatorTest, StepsOfOneCallMustBeConsecutive) {
  Simulator simulator = Frictionless();
  std::vector<TimeStep> steps = Days(0, {{}, {}});
  steps[1].set_index(2);
  ExecuteStepsResponse response;
  const absl::Status status =
      simulator.ExecuteSteps(Steps(steps, 1000, {}), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").reason(), "INVALID_STEP");
  EXPECT_EQ(status.message(),
            "step 2 (2001-01-03) follows step 0 in the same call; expected "
            "index 1");
}

TEST(SimulatorTest, NegativeStepIndexIsInvalid) {
  Simulator simulator = Frictionless();
  ExecuteStepsResponse response;
  const absl::Status status =
      simulator.ExecuteSteps(Steps(Days(-1, {{}}), 1000, {}), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").reason(), "INVALID_STEP");
}

}  // namespace
}  // namespace seed::execution
