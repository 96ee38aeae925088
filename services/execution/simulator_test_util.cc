#include "services/execution/simulator_test_util.h"

#include <utility>

#include "common/stage_error.h"
#include "common/time.h"
#include "gtest/gtest.h"

namespace seed::execution {

using backtest::v1::Bar;
using backtest::v1::ExecuteStepsRequest;
using backtest::v1::ExecuteStepsResponse;
using backtest::v1::Order;
using backtest::v1::TimeStep;

int64_t Day(absl::string_view date) { return *ParseTime(date); }

Simulator Make(const Models& models) {
  std::vector<FieldProblem> problems;
  Simulator simulator(
      {"AAA", "BBB"}, MakeCommissionModel(models.commission, &problems),
      MakeSlippageModel(models.slippage, &problems), models.policy);
  EXPECT_TRUE(problems.empty());
  return simulator;
}

Bar Ohlcv(double open, double high, double low, double close, double volume,
          int symbol) {
  Bar bar;
  bar.set_symbol(symbol);
  bar.set_open(open);
  bar.set_high(high);
  bar.set_low(low);
  bar.set_close(close);
  bar.set_volume(volume);
  return bar;
}

TimeStep At(int64_t index, int64_t time, std::vector<Bar> bars) {
  TimeStep step;
  step.set_index(index);
  step.set_time(time);
  for (Bar& bar : bars) *step.add_bars() = std::move(bar);
  return step;
}

TimeStep Daily(int64_t index, Bar bar) {
  return At(index, Day("2001-01-02") + index * kSecondsPerDay, {bar});
}

Order Base(int64_t id, backtest::v1::Side side, double quantity,
           backtest::v1::OrderType type) {
  Order order;
  order.set_id(id);
  order.set_symbol(0);
  order.set_side(side);
  order.set_quantity(quantity);
  order.set_type(type);
  order.set_reference_price(100);
  order.set_reason("test");
  return order;
}
Order Market(int64_t id, backtest::v1::Side side, double quantity) {
  return Base(id, side, quantity, backtest::v1::MARKET);
}
Order Limit(int64_t id, backtest::v1::Side side, double quantity,
            double limit) {
  Order order = Base(id, side, quantity, backtest::v1::LIMIT);
  order.set_limit_price(limit);
  return order;
}
Order Stop(int64_t id, backtest::v1::Side side, double quantity, double stop) {
  Order order = Base(id, side, quantity, backtest::v1::STOP);
  order.set_stop_price(stop);
  return order;
}

ExecuteStepsRequest Request(std::vector<TimeStep> steps,
                            std::vector<Order> orders, double cash) {
  ExecuteStepsRequest request;
  request.set_run_id("r1");
  for (TimeStep& step : steps) *request.add_steps() = std::move(step);
  for (Order& order : orders) *request.add_new_orders() = std::move(order);
  request.set_available_cash(cash);
  return request;
}

ExecuteStepsResponse Execute(Simulator& simulator,
                             const ExecuteStepsRequest& request) {
  ExecuteStepsResponse response;
  const absl::Status status = simulator.ExecuteSteps(request, &response);
  EXPECT_TRUE(status.ok()) << status;
  return response;
}

std::vector<Order> Unfilled(Simulator& simulator) {
  backtest::v1::ExecutionEndResponse end;
  simulator.End(&end);
  return {end.unfilled_orders().begin(), end.unfilled_orders().end()};
}

}  // namespace seed::execution
