#include "services/execution/simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/stage_error.h"
#include "common/time.h"

namespace seed::execution {
namespace {

using backtest::v1::Bar;
using backtest::v1::ExecuteStepsRequest;
using backtest::v1::ExecuteStepsResponse;
using backtest::v1::Order;
using backtest::v1::Side;
using backtest::v1::TimeStep;

constexpr char kStage[] = "execution";

}  // namespace

Simulator::Simulator(std::vector<std::string> symbols,
                     std::unique_ptr<CommissionModel> commission,
                     std::unique_ptr<SlippageModel> slippage)
    : symbols_(std::move(symbols)),
      commission_(std::move(commission)),
      slippage_(std::move(slippage)),
      bar_of_symbol_(symbols_.size(), nullptr) {}

absl::Status Simulator::CheckOrder(const Order& order, int64_t time) const {
  const auto invalid = [&](absl::string_view reason, absl::string_view what,
                           const std::string& symbol) {
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, reason,
        absl::StrCat("order ", order.id(), " sent for step ", FormatTime(time),
                     " ", what),
        {.symbol = symbol,
         .bar_time = FormatTime(time),
         .hint = "orders come from the portfolio's SizeIntents; check the "
                 "caller that built this one"});
  };
  if (order.symbol() < 0 || order.symbol() >= symbols_.size()) {
    return invalid(
        "INVALID_ORDER",
        absl::StrCat("has symbol index ", order.symbol(), " but the run has ",
                     symbols_.size(), " symbols"),
        "");
  }
  const std::string& symbol = symbols_[order.symbol()];
  if (order.side() != backtest::v1::BUY && order.side() != backtest::v1::SELL) {
    return invalid("INVALID_ORDER",
                   absl::StrCat("for ", symbol, " has side ",
                                Side_Name(order.side()), "; use BUY or SELL"),
                   symbol);
  }
  if (!(std::isfinite(order.quantity()) && order.quantity() > 0)) {
    return invalid("INVALID_ORDER",
                   absl::StrCat("for ", symbol, " has quantity ",
                                order.quantity(), "; it must be > 0"),
                   symbol);
  }
  if (order.type() != backtest::v1::MARKET) {
    return invalid(
        "UNSUPPORTED_ORDER_TYPE",
        absl::StrCat("for ", symbol, " has order type ",
                     OrderType_Name(order.type()), " (", order.type(),
                     "); this simulator fills MARKET orders only"),
        symbol);
  }
  return absl::OkStatus();
}

absl::Status Simulator::CheckStep(const TimeStep& step,
                                  int64_t expected_index) const {
  const auto invalid_step = [&](const std::string& what) {
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "INVALID_STEP",
        absl::StrCat("step ", step.index(), " (", FormatTime(step.time()), ") ",
                     what),
        {.bar_time = FormatTime(step.time()),
         .hint = "steps come from the data stage with one bar per symbol, "
                 "sorted by symbol index, and a call sends consecutive steps"});
  };
  if (step.index() < 0) {
    return invalid_step("has a negative index; step indexes start at 0");
  }
  if (step.index() != expected_index) {
    return invalid_step(absl::StrCat("follows step ", expected_index - 1,
                                     " in the same call; expected index ",
                                     expected_index));
  }
  int previous = -1;
  for (const Bar& bar : step.bars()) {
    if (bar.symbol() < 0 || bar.symbol() >= symbols_.size()) {
      return invalid_step(absl::StrCat("has a bar for symbol index ",
                                       bar.symbol(), " but the run has ",
                                       symbols_.size(), " symbols"));
    }
    if (bar.symbol() <= previous) {
      return invalid_step(absl::StrCat("has a bar for symbol index ",
                                       bar.symbol(), " after one for index ",
                                       previous));
    }
    previous = bar.symbol();
  }
  return absl::OkStatus();
}

absl::Status Simulator::CheckRequest(const ExecuteStepsRequest& request) const {
  if (request.steps().empty()) {
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "NO_STEPS",
        "ExecuteSteps was called with no steps; nothing to simulate",
        {.hint = "send at least one time step per call"});
  }
  const TimeStep& first = request.steps(0);
  int64_t expected_index = first.index();
  for (const TimeStep& step : request.steps()) {
    if (absl::Status status = CheckStep(step, expected_index); !status.ok()) {
      return status;
    }
    ++expected_index;
  }
  for (const Order& order : request.new_orders()) {
    if (absl::Status status = CheckOrder(order, first.time()); !status.ok()) {
      return status;
    }
  }
  if (first.index() <= committed_through_) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "STEP_OUT_OF_ORDER",
        absl::StrCat("ExecuteSteps starts at step ", first.index(), " (",
                     FormatTime(first.time()), ") but steps through ",
                     committed_through_, " are already committed"),
        {.bar_time = FormatTime(first.time()),
         .hint = absl::StrCat(
             "start the call at step ", committed_through_ + 1,
             " or later; a step is committed once a call starts after it")});
  }
  return absl::OkStatus();
}

void Simulator::Resolve(int64_t next_index) {
  if (!tentative_.has_value()) return;
  // A call stops after its first step with a fill or rejection, so its earlier
  // steps changed nothing: whatever the cut, the state to keep is either all
  // of the call's outcome or the working orders as they were before its last
  // step, which is what clearing the `done` marks restores.
  if (tentative_->last_index < next_index) {
    working_.erase(std::remove_if(working_.begin(), working_.end(),
                                  [](const WorkingOrder& w) { return w.done; }),
                   working_.end());
    committed_through_ = tentative_->last_index;
  } else {
    for (WorkingOrder& working : working_) working.done = false;
    if (tentative_->first_index < next_index) {
      committed_through_ = next_index - 1;
    }
  }
  tentative_.reset();
}

absl::Status Simulator::ExecuteSteps(const ExecuteStepsRequest& request,
                                     ExecuteStepsResponse* response) {
  if (absl::Status status = CheckRequest(request); !status.ok()) {
    return status;
  }
  Resolve(request.steps(0).index());
  for (const Order& order : request.new_orders()) {
    working_.push_back({order});
  }
  double cash = request.available_cash();
  int steps_used = 0;
  for (const TimeStep& step : request.steps()) {
    ++steps_used;
    if (SimulateStep(step, &cash, response)) break;
  }
  tentative_ = TentativeSteps{request.steps(0).index(),
                              request.steps(steps_used - 1).index()};
  response->set_steps_used(steps_used);
  response->set_working_orders(static_cast<int32_t>(
      std::count_if(working_.begin(), working_.end(),
                    [](const WorkingOrder& w) { return !w.done; })));
  return absl::OkStatus();
}

bool Simulator::SimulateStep(const TimeStep& step, double* cash,
                             ExecuteStepsResponse* response) {
  const int outcomes_before =
      response->fills_size() + response->rejections_size();
  for (const Bar& bar : step.bars()) bar_of_symbol_[bar.symbol()] = &bar;
  FillSide(backtest::v1::SELL, step.time(), cash, response);
  FillSide(backtest::v1::BUY, step.time(), cash, response);
  for (const Bar& bar : step.bars()) bar_of_symbol_[bar.symbol()] = nullptr;
  return response->fills_size() + response->rejections_size() > outcomes_before;
}

void Simulator::FillSide(Side side, int64_t time, double* cash,
                         ExecuteStepsResponse* response) {
  for (WorkingOrder& working : working_) {
    const Order& order = working.order;
    if (working.done || order.side() != side) continue;
    const Bar* bar = bar_of_symbol_[order.symbol()];
    if (bar == nullptr) continue;
    working.done = true;
    const double quantity = order.quantity();
    const double price = slippage_->Adjust(side, bar->open());
    const double commission = commission_->Commission(quantity, price);
    // The two-step cash updates mirror the portfolio's, so *cash stays equal
    // to the cash the portfolio will hold after applying these fills.
    if (side == backtest::v1::BUY) {
      const double needed = quantity * price + commission;
      if (needed > *cash) {
        backtest::v1::Rejection* rejection = response->add_rejections();
        rejection->set_order_id(order.id());
        rejection->set_symbol(order.symbol());
        rejection->set_side(side);
        rejection->set_quantity(quantity);
        rejection->set_time(time);
        rejection->set_stage(kStage);
        rejection->set_code("INSUFFICIENT_CASH");
        rejection->set_message(absl::StrFormat(
            "buy %.10g of %s at %.10g needs %.2f with commission; cash "
            "available %.2f",
            quantity, symbols_[order.symbol()], price, needed, *cash));
        continue;
      }
      *cash = *cash - quantity * price;
    } else {
      *cash = *cash + quantity * price;
    }
    *cash = *cash - commission;
    backtest::v1::Fill* fill = response->add_fills();
    fill->set_order_id(order.id());
    fill->set_symbol(order.symbol());
    fill->set_side(side);
    fill->set_time(time);
    fill->set_quantity(quantity);
    fill->set_price(price);
    fill->set_commission(commission);
    fill->set_slippage(std::abs(price - bar->open()) * quantity);
    fill->set_reason(order.reason());
  }
}

void Simulator::End(backtest::v1::ExecutionEndResponse* response) {
  Resolve(std::numeric_limits<int64_t>::max());
  for (WorkingOrder& working : working_) {
    *response->add_unfilled_orders() = std::move(working.order);
  }
  working_.clear();
}

}  // namespace seed::execution
