#include "services/execution/simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "services/execution/model_registry.h"
#include "services/execution/order_check.h"

namespace seed::execution {
namespace {

using backtest::v1::Bar;
using backtest::v1::ExecuteStepsRequest;
using backtest::v1::ExecuteStepsResponse;
using backtest::v1::Order;
using backtest::v1::OrderEvent;
using backtest::v1::Side;
using backtest::v1::TimeStep;

constexpr char kStage[] = "execution";
constexpr char kPessimistic[] = "pessimistic";
constexpr char kOptimistic[] = "optimistic";
constexpr char kNextOpen[] = "next_open";
constexpr char kClose[] = "close";
constexpr char kNextClose[] = "next_close";
constexpr double kUnlimited = std::numeric_limits<double>::infinity();

bool IsBuy(const Order& order) { return order.side() == backtest::v1::BUY; }

Side Opposite(Side side) {
  return side == backtest::v1::BUY ? backtest::v1::SELL : backtest::v1::BUY;
}

int64_t UtcDay(int64_t time) {
  return time >= 0 ? time / kSecondsPerDay
                   : -((-time + kSecondsPerDay - 1) / kSecondsPerDay);
}

// A bar stamped at 00:00:00 is a daily (or longer) bar: the only one of its
// date, so a DAY order that worked in it has no more bars of that date.
bool IsDailyBar(int64_t time) { return time % kSecondsPerDay == 0; }

int64_t UtcMonth(int64_t time) {
  const absl::CivilMonth month =
      absl::ToCivilMonth(absl::FromUnixSeconds(time), absl::UTCTimeZone());
  return month.year() * 12 + month.month() - 1;
}

// A stop at `stop`: a buy triggers when the high reaches it and fills at
// max(open, stop); a sell mirrors with the low and min. Past the stop at the
// open, the fill is the open (a gap).
void StopTouch(bool buy, double stop, const Bar& bar, bool* reached,
               double* price, bool* gap) {
  *reached = buy ? bar.high() >= stop : bar.low() <= stop;
  *gap = buy ? bar.open() > stop : bar.open() < stop;
  *price = buy ? std::max(bar.open(), stop) : std::min(bar.open(), stop);
}

// A limit at `limit`: a buy fills when the low reaches it, at
// min(open, limit); a sell mirrors with the high and max.
void LimitTouch(bool buy, double limit, const Bar& bar, bool* reached,
                double* price, bool* gap) {
  *reached = buy ? bar.low() <= limit : bar.high() >= limit;
  *gap = buy ? bar.open() < limit : bar.open() > limit;
  *price = buy ? std::min(bar.open(), limit) : std::max(bar.open(), limit);
}

double TrailDistance(const Order& order, double best, double atr) {
  const backtest::v1::Trail& trail = order.trail();
  if (trail.has_amount()) return trail.amount();
  if (trail.has_percent()) return trail.percent() * best;
  return trail.atr_multiple() * atr;
}

int TrailAtrLength(const Order& order) {
  return order.trail().atr_length() > 0 ? order.trail().atr_length()
                                        : kDefaultAtrLength;
}

OrderEvent* AddEvent(const Order& order, OrderEvent::Kind kind, int64_t time,
                     ExecuteStepsResponse* response) {
  OrderEvent* event = response->add_events();
  event->set_order_id(order.id());
  event->set_symbol(order.symbol());
  event->set_kind(kind);
  event->set_time(time);
  event->set_strategy(order.strategy());
  return event;
}

}  // namespace

FillPolicy MakeFillPolicy(const backtest::v1::ExecutionSpec& spec,
                          std::vector<FieldProblem>* problems) {
  FillPolicy policy;
  if (spec.fill_timing() == kClose) {
    policy.timing = FillTiming::kClose;
  } else if (spec.fill_timing() == kNextClose) {
    policy.timing = FillTiming::kNextClose;
  } else if (!spec.fill_timing().empty() && spec.fill_timing() != kNextOpen) {
    problems->push_back({"execution.fill_timing",
                         absl::StrCat("unknown timing \"", spec.fill_timing(),
                                      "\"; allowed: ", kNextOpen, ", ", kClose,
                                      ", ", kNextClose)});
  }
  if (spec.same_bar_policy() == kOptimistic) {
    policy.optimistic_same_bar = true;
  } else if (!spec.same_bar_policy().empty() &&
             spec.same_bar_policy() != kPessimistic) {
    problems->push_back(
        {"execution.same_bar_policy",
         absl::StrCat("unknown policy \"", spec.same_bar_policy(),
                      "\"; allowed: ", kPessimistic, ", ", kOptimistic)});
  }
  policy.max_fraction_of_volume = spec.participation().max_fraction_of_volume();
  CheckRange(policy.max_fraction_of_volume, 0, 1,
             "execution.participation.max_fraction_of_volume",
             "a fraction of the bar's volume in [0, 1] (0: no cap)", problems);
  return policy;
}

Simulator::Simulator(std::vector<std::string> symbols,
                     std::unique_ptr<CommissionModel> commission,
                     std::unique_ptr<SlippageModel> slippage, FillPolicy policy)
    : symbols_(std::move(symbols)),
      commission_(std::move(commission)),
      slippage_(std::move(slippage)),
      policy_(policy),
      bar_of_symbol_(symbols_.size(), nullptr),
      volume_left_(symbols_.size(), kUnlimited) {
  if (slippage_->atr_length() > 0) {
    state_.atr.assign(symbols_.size(),
                      AverageTrueRange(slippage_->atr_length()));
  }
  if (policy_.max_fraction_of_volume > 0) {
    state_.volume_left.assign(symbols_.size(), kUnlimited);
  }
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
  if (request.at_close() &&
      (request.steps_size() != 1 || policy_.timing != FillTiming::kClose)) {
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "INVALID_REQUEST",
        request.steps_size() != 1
            ? absl::StrCat("an at_close call has ", request.steps_size(),
                           " steps; it is the close of exactly one step")
            : std::string("an at_close call needs execution.fill_timing "
                          "close; this run fills market orders at a later "
                          "bar"),
        {.bar_time = FormatTime(first.time()),
         .hint = "send at_close only under fill timing close, with the step "
                 "at which the new orders were placed"});
  }
  int64_t expected_index = first.index();
  for (const TimeStep& step : request.steps()) {
    if (absl::Status status = CheckStep(step, expected_index); !status.ok()) {
      return status;
    }
    ++expected_index;
  }
  for (int i = 0; i < request.amendments_size(); ++i) {
    const backtest::v1::OrderAmendment& amendment = request.amendments(i);
    if (amendment.cancel()) continue;
    const Order& replacement = amendment.replacement();
    const std::string where = absl::StrCat("amendments[", i, "].replacement");
    if (replacement.id() != amendment.order_id()) {
      return StageFailure(
          absl::StatusCode::kInvalidArgument, kStage, "INVALID_ORDER",
          absl::StrCat(where, " has id ", replacement.id(),
                       " but amends order ", amendment.order_id(),
                       "; a replacement keeps the id of the order it replaces"),
          {.bar_time = FormatTime(first.time())});
    }
    if (absl::Status status =
            CheckOrder(replacement, symbols_, where, first.time());
        !status.ok()) {
      return status;
    }
  }
  for (int i = 0; i < request.new_orders_size(); ++i) {
    if (absl::Status status =
            CheckOrder(request.new_orders(i), symbols_,
                       absl::StrCat("new_orders[", i, "]"), first.time());
        !status.ok()) {
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
  // Every order spends the budget of its strategy: it must have one.
  const int budgets = std::max(request.strategy_available_cash_size(), 1);
  const auto check_budget = [&](const Order& order, absl::string_view what) {
    if (order.strategy() >= 0 && order.strategy() < budgets) {
      return absl::OkStatus();
    }
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "INVALID_ORDER",
        absl::StrCat(what, " ", order.id(), " is for strategy ",
                     order.strategy(), " but the request has buying power for ",
                     budgets, budgets == 1 ? " strategy" : " strategies"),
        {.bar_time = FormatTime(first.time()),
         .hint = "send one strategy_available_cash per strategy of the run"});
  };
  for (const Order& order : request.new_orders()) {
    if (absl::Status status = check_budget(order, "new order"); !status.ok()) {
      return status;
    }
  }
  for (const WorkingOrder& working : state_.working) {
    if (absl::Status status = check_budget(working.order, "working order");
        !status.ok()) {
      return status;
    }
  }
  for (const auto& [symbol, mark] : request.marks()) {
    if (symbol < 0 || symbol >= static_cast<int>(symbols_.size()) ||
        !(std::isfinite(mark) && mark > 0)) {
      return StageFailure(
          absl::StatusCode::kInvalidArgument, kStage, "INVALID_REQUEST",
          absl::StrCat("marks[", symbol, "] = ", mark,
                       ": a mark is a positive finite price of one of the ",
                       symbols_.size(), " symbols of the run"),
          {.bar_time = FormatTime(first.time()),
           .hint = "send the closes of the positions of the latest "
                   "PortfolioView of a cash account"});
    }
  }
  // The close of a step resolves the tentative steps after it.
  return CheckOrderBook(request, first.index() + (request.at_close() ? 1 : 0));
}

absl::Status Simulator::CheckOrderBook(const ExecuteStepsRequest& request,
                                       int64_t next_index) const {
  // Steps that Resolve replays had no events, so they neither add nor remove
  // orders: the book after resolving holds the orders of `before` when any
  // step is discarded, else the current ones.
  const State& resolved =
      tentative_.has_value() && tentative_->last_index >= next_index
          ? tentative_->before
          : state_;
  std::vector<int64_t> ids;
  for (const WorkingOrder& working : resolved.working) {
    ids.push_back(working.order.id());
  }
  for (const backtest::v1::OrderAmendment& amendment : request.amendments()) {
    const auto found = std::find(ids.begin(), ids.end(), amendment.order_id());
    if (found == ids.end()) {
      return StageFailure(
          absl::StatusCode::kFailedPrecondition, kStage, "ORDER_BOOK_MISMATCH",
          absl::StrCat("an amendment ",
                       amendment.cancel() ? "cancels" : "replaces", " order ",
                       amendment.order_id(),
                       ", which is not working in execution (never sent, "
                       "already filled, expired or cancelled)"),
          {.bar_time = FormatTime(request.steps(0).time()),
           .hint = "the portfolio's working orders and execution's disagree; "
                   "amend only orders of the latest PortfolioView"});
    }
    if (amendment.cancel()) ids.erase(found);
  }
  for (const Order& order : request.new_orders()) {
    if (std::find(ids.begin(), ids.end(), order.id()) != ids.end()) {
      return StageFailure(
          absl::StatusCode::kFailedPrecondition, kStage, "ORDER_BOOK_MISMATCH",
          absl::StrCat("new order ", order.id(),
                       " has the id of an order already working in "
                       "execution; order ids must be unique within a run"),
          {.bar_time = FormatTime(request.steps(0).time()),
           .hint = "send each accepted order once, in the call after the "
                   "step that accepted it"});
    }
    ids.push_back(order.id());
  }
  return absl::OkStatus();
}

void Simulator::Resolve(int64_t next_index) {
  if (!tentative_.has_value()) return;
  if (tentative_->last_index < next_index) {
    committed_through_ = tentative_->last_index;
  } else {
    state_ = std::move(tentative_->before);
    std::vector<double> cash = tentative_->available_cash;
    ExecuteStepsResponse replayed;  // stays empty: those steps had no outcome
    for (const TimeStep& step : tentative_->replay) {
      if (step.index() >= next_index) break;
      SimulateStep(step, &cash, &replayed);
    }
    if (tentative_->first_index < next_index) {
      committed_through_ = next_index - 1;
    }
  }
  tentative_.reset();
}

void Simulator::ApplyAmendments(const ExecuteStepsRequest& request) {
  for (const backtest::v1::OrderAmendment& amendment : request.amendments()) {
    std::vector<WorkingOrder>& working = state_.working;
    const auto found = std::find_if(
        working.begin(), working.end(), [&](const WorkingOrder& w) {
          return w.order.id() == amendment.order_id();
        });
    if (amendment.cancel()) {
      working.erase(found);
      continue;
    }
    const bool was_trailing =
        found->order.type() == backtest::v1::TRAILING_STOP;
    if (found->order.type() != amendment.replacement().type()) {
      found->stop_triggered = false;
    }
    found->order = amendment.replacement();
    if (found->order.type() != backtest::v1::TRAILING_STOP) continue;
    if (!was_trailing) {
      StartTrail(*found);
      continue;
    }
    if (found->order.trail().has_atr_multiple() && found->trail_atr <= 0) {
      found->trail_atr = found->order.trail().atr();
    }
    // A new distance restarts the stop from the best price so far: a
    // modification may loosen it on purpose.
    SetTrailStop(*found);
  }
}

void Simulator::Join(const Order& order, int64_t active_from) {
  WorkingOrder working{order};
  working.active_from = active_from;
  if (order.type() == backtest::v1::TRAILING_STOP) StartTrail(working);
  state_.working.push_back(std::move(working));
}

void Simulator::StartTrail(WorkingOrder& working) {
  working.best = working.order.reference_price();
  working.trail_atr = working.order.trail().atr();
  working.previous_close = working.order.reference_price();
  SetTrailStop(working);
}

void Simulator::SetTrailStop(WorkingOrder& working) {
  const double distance =
      TrailDistance(working.order, working.best, working.trail_atr);
  working.order.set_stop_price(IsBuy(working.order) ? working.best + distance
                                                    : working.best - distance);
}

absl::Status Simulator::ExecuteSteps(const ExecuteStepsRequest& request,
                                     ExecuteStepsResponse* response) {
  if (absl::Status status = CheckRequest(request); !status.ok()) {
    return status;
  }
  const int64_t first_index = request.steps(0).index();
  // The close of a step follows everything up to its open, which it commits.
  Resolve(request.at_close() ? first_index + 1 : first_index);
  ApplyAmendments(request);
  const size_t first_new = state_.working.size();
  for (const Order& order : request.new_orders()) {
    Join(order, request.at_close() ? first_index + 1 : first_index);
  }

  // One budget per strategy: a buy spends only its own strategy's.
  std::vector<double> cash(request.strategy_available_cash().begin(),
                           request.strategy_available_cash().end());
  if (cash.empty()) cash.push_back(request.available_cash());
  marks_.assign(symbols_.size(), 0);
  for (const auto& [symbol, mark] : request.marks()) marks_[symbol] = mark;
  if (request.at_close()) {
    SimulateClose(request.steps(0), first_new, &cash, response);
    committed_through_ = std::max(committed_through_, first_index);
    response->set_steps_used(1);
    response->set_working_orders(static_cast<int32_t>(state_.working.size()));
    return absl::OkStatus();
  }
  TentativeSteps tentative{first_index, first_index, state_, {}, cash};
  int steps_used = 0;
  for (const TimeStep& step : request.steps()) {
    ++steps_used;
    if (SimulateStep(step, &cash, response)) break;
  }
  tentative.last_index = request.steps(steps_used - 1).index();
  tentative.replay.assign(request.steps().begin(),
                          request.steps().begin() + (steps_used - 1));
  tentative_ = std::move(tentative);
  response->set_steps_used(steps_used);
  response->set_working_orders(static_cast<int32_t>(state_.working.size()));
  return absl::OkStatus();
}

bool Simulator::SimulateStep(const TimeStep& step, std::vector<double>* cash,
                             ExecuteStepsResponse* response) {
  const int outcomes_before = response->fills_size() +
                              response->rejections_size() +
                              response->events_size();
  BeginBars(step);
  ExpirePastDays(step, response);
  WorkOrders(step, cash, response, [&](size_t, const WorkingOrder& working) {
    return working.active_from <= step.index();
  });
  EndBars(step);
  for (const Bar& bar : step.bars()) {
    if (!state_.atr.empty()) state_.atr[bar.symbol()].Add(bar);
  }
  return response->fills_size() + response->rejections_size() +
             response->events_size() >
         outcomes_before;
}

void Simulator::SimulateClose(const TimeStep& step, size_t first_new,
                              std::vector<double>* cash,
                              ExecuteStepsResponse* response) {
  BeginBars(step);
  WorkOrders(step, cash, response,
             [first_new](size_t index, const WorkingOrder& working) {
               return index >= first_new &&
                      working.order.type() == backtest::v1::MARKET;
             });
  EndBars(step);
}

template <typename Eligible>
void Simulator::WorkOrders(const TimeStep& step, std::vector<double>* cash,
                           ExecuteStepsResponse* response,
                           const Eligible& eligible) {
  // Exits before entries, so every entry's budget knows what the exits freed
  // or cost (a cover after a gap against its short costs more than was held
  // for it); sells before buys within each, as a sale's proceeds pay for
  // buys.
  for (const bool exits : {true, false}) {
    for (const Side side : {backtest::v1::SELL, backtest::v1::BUY}) {
      // By index: a fill may resize or finish other orders of the book.
      for (size_t i = 0; i < state_.working.size(); ++i) {
        const WorkingOrder& working = state_.working[i];
        const Bar* bar = bar_of_symbol_[working.order.symbol()];
        if (working.finished || working.order.side() != side ||
            working.order.reduces_position() != exits || bar == nullptr ||
            !eligible(i, working)) {
          continue;
        }
        WorkOrder(i, *bar, step, cash, response);
      }
    }
  }
  std::vector<WorkingOrder>& working = state_.working;
  working.erase(
      std::remove_if(working.begin(), working.end(),
                     [](const WorkingOrder& w) { return w.finished; }),
      working.end());
  for (WorkingOrder& exit : new_exits_) working.push_back(std::move(exit));
  new_exits_.clear();
}

void Simulator::BeginBars(const TimeStep& step) {
  // A close shares its bar's volume with the open before it.
  const bool same_bar = state_.volume_step == step.index();
  for (const Bar& bar : step.bars()) {
    bar_of_symbol_[bar.symbol()] = &bar;
    if (policy_.max_fraction_of_volume > 0) {
      volume_left_[bar.symbol()] =
          same_bar ? state_.volume_left[bar.symbol()]
                   : std::floor(policy_.max_fraction_of_volume * bar.volume());
    }
  }
}

void Simulator::EndBars(const TimeStep& step) {
  if (policy_.max_fraction_of_volume > 0) state_.volume_step = step.index();
  for (const Bar& bar : step.bars()) {
    if (policy_.max_fraction_of_volume > 0) {
      state_.volume_left[bar.symbol()] = volume_left_[bar.symbol()];
    }
    bar_of_symbol_[bar.symbol()] = nullptr;
    volume_left_[bar.symbol()] = kUnlimited;
  }
}

double Simulator::MarketPrice(const Bar& bar) const {
  return policy_.timing == FillTiming::kNextOpen ? bar.open() : bar.close();
}

void Simulator::ExpirePastDays(const TimeStep& step,
                               ExecuteStepsResponse* response) {
  // Intraday bars: a DAY order learns that its date's bars are over at the
  // first step of a later date (daily bars expire it right after its bar).
  const int64_t today = UtcDay(step.time());
  for (WorkingOrder& working : state_.working) {
    if (working.order.time_in_force() == backtest::v1::DAY &&
        working.bars_worked > 0 && working.first_day < today) {
      Finish(working, OrderEvent::EXPIRED, working.last_bar_time,
             "time in force DAY: its date's bars are over", response);
    }
  }
}

Simulator::Touch Simulator::Evaluate(const WorkingOrder& working,
                                     const Bar& bar) const {
  const Order& order = working.order;
  const bool buy = IsBuy(order);
  Touch touch;
  switch (order.type()) {
    case backtest::v1::MARKET:
      touch = {true, MarketPrice(bar), false, true};
      break;
    case backtest::v1::LIMIT:
      LimitTouch(buy, order.limit_price(), bar, &touch.fills, &touch.raw_price,
                 &touch.gap);
      break;
    case backtest::v1::STOP:
    case backtest::v1::TRAILING_STOP:
      if (working.stop_triggered) {
        touch = {true, MarketPrice(bar), false, true};
        break;
      }
      StopTouch(buy, order.stop_price(), bar, &touch.fills, &touch.raw_price,
                &touch.gap);
      touch.slipped = true;
      break;
    case backtest::v1::STOP_LIMIT:
      if (order.triggered()) {
        LimitTouch(buy, order.limit_price(), bar, &touch.fills,
                   &touch.raw_price, &touch.gap);
        break;
      }
      // On its triggering bar it fills at the trigger price, only when that
      // is within the limit; else it works as a limit from the next bar.
      StopTouch(buy, order.stop_price(), bar, &touch.triggers, &touch.raw_price,
                &touch.gap);
      touch.fills =
          touch.triggers && (buy ? touch.raw_price <= order.limit_price()
                                 : touch.raw_price >= order.limit_price());
      break;
    default:
      break;  // CheckOrder admits no other type
  }
  return touch;
}

bool Simulator::YieldsToPartner(const WorkingOrder& working, const Touch& touch,
                                const Bar& bar, int64_t step_index,
                                std::string* resolution) const {
  if (working.order.oco_order_id() == 0) return false;
  const WorkingOrder* partner = FindWorking(working.order.oco_order_id());
  if (partner == nullptr || partner->finished ||
      partner->active_from > step_index) {
    return false;
  }
  const Touch partner_touch = Evaluate(*partner, bar);
  if (!partner_touch.fills) return false;
  const bool is_stop = working.order.role() == backtest::v1::STOP_LOSS;
  bool wins;
  absl::string_view why;
  if (touch.gap || partner_touch.gap) {
    wins = touch.gap;
    why = "the open gapped through it";
  } else {
    wins = is_stop != policy_.optimistic_same_bar;
    why = policy_.optimistic_same_bar ? "optimistic policy"
                                      : "pessimistic policy";
  }
  const bool stop_wins = wins == is_stop;
  *resolution =
      absl::StrCat(stop_wins ? "stop" : "target", " first (", why, ")");
  return !wins;
}

void Simulator::WorkOrder(size_t index, const Bar& bar, const TimeStep& step,
                          std::vector<double>* cash,
                          ExecuteStepsResponse* response) {
  WorkingOrder& working = state_.working[index];
  const Touch touch = Evaluate(working, bar);
  std::string resolution;
  bool filled = false;
  if (touch.fills &&
      !YieldsToPartner(working, touch, bar, step.index(), &resolution)) {
    const double quantity =
        std::min(working.order.quantity(), volume_left_[bar.symbol()]);
    if (quantity > 0) {
      filled = true;
      if (!Fill(index, quantity, touch, resolution, bar, step.time(), cash,
                response)) {
        return;  // rejected: the order is finished
      }
      volume_left_[bar.symbol()] -= quantity;
      if (working.order.has_bracket()) {
        AfterEntryFill(index, quantity, bar, step, response);
      }
      if (working.entry_id != 0) {
        AfterExitFill(index, quantity, step.time(), response);
      }
    }
  }
  // `working` stays valid: exits created at this step wait in new_exits_.
  WorkingOrder& after = working;
  if (after.finished) return;
  Order& order = after.order;
  if (filled && (order.type() == backtest::v1::STOP ||
                 order.type() == backtest::v1::TRAILING_STOP)) {
    after.stop_triggered = true;
  }
  if (order.type() == backtest::v1::TRAILING_STOP && !after.stop_triggered) {
    UpdateTrail(after, bar);
  }
  if (after.bars_worked == 0) after.first_day = UtcDay(step.time());
  ++after.bars_worked;
  after.last_bar_time = step.time();
  if (order.time_in_force() == backtest::v1::BARS &&
      after.bars_worked >= order.tif_bars()) {
    Finish(
        after, OrderEvent::EXPIRED, step.time(),
        absl::StrCat("time in force BARS: worked ", order.tif_bars(), " bars"),
        response);
    return;
  }
  if (order.time_in_force() == backtest::v1::DAY && IsDailyBar(step.time())) {
    Finish(after, OrderEvent::EXPIRED, step.time(),
           "time in force DAY: its date's bar is over", response);
    return;
  }
  if (touch.triggers) {
    order.set_triggered(true);
    *AddEvent(order, OrderEvent::TRIGGERED, step.time(), response)
         ->mutable_order() = order;
  }
}

bool Simulator::Fill(size_t index, double quantity, const Touch& touch,
                     const std::string& resolution, const Bar& bar,
                     int64_t time, std::vector<double>* cash,
                     ExecuteStepsResponse* response) {
  WorkingOrder& working = state_.working[index];
  Order& order = working.order;
  const Side side = order.side();
  double price = touch.raw_price;
  if (touch.slipped) {
    SlippageInputs inputs{bar.high(), bar.low(), 0};
    if (!state_.atr.empty())
      inputs.atr = state_.atr[bar.symbol()].ValueFor(bar);
    price = slippage_->Adjust(side, price, inputs);
  }
  price = std::min(std::max(price, bar.low()), bar.high());
  // Tiered rates read the shares already traded in the fill's UTC month.
  const int64_t month = UtcMonth(time);
  if (month != state_.month) {
    state_.month = month;
    state_.month_shares = 0;
  }
  const double commission =
      commission_->Commission(quantity, price, state_.month_shares);
  // The budget is the order's strategy's buying power left for this step's
  // entries (see ExecuteStepsRequest.strategy_available_cash): an entry buy
  // spends it, a sale that reduces a long position returns its proceeds, and
  // exits (reduces_position) are never refused for it. Short-sale proceeds
  // are not added: they are held against the short. In a cash account a
  // cover frees what was held for its shares (at the mark) and pays its
  // price, so after a gap against the short the buys that follow it see the
  // cash it really left.
  double& budget = (*cash)[order.strategy()];
  if (side == backtest::v1::BUY && !order.reduces_position()) {
    const double needed = quantity * price + commission;
    if (needed > budget) {
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
          quantity, symbols_[order.symbol()], price, needed, budget));
      rejection->set_tag(order.tag());
      rejection->set_strategy(order.strategy());
      working.finished = true;
      return false;
    }
    budget = budget - quantity * price;
  } else if (side == backtest::v1::SELL && order.reduces_position()) {
    budget = budget + quantity * price;
  } else if (side == backtest::v1::BUY && marks_[order.symbol()] > 0) {
    budget = budget + quantity * marks_[order.symbol()] - quantity * price;
  }
  // A short sale's proceeds stay held: they never pay for buys.
  budget = budget - commission;
  state_.month_shares += quantity;
  const double remaining = order.quantity() - quantity;
  backtest::v1::Fill* fill = response->add_fills();
  fill->set_order_id(order.id());
  fill->set_symbol(order.symbol());
  fill->set_side(side);
  fill->set_time(time);
  fill->set_quantity(quantity);
  fill->set_price(price);
  fill->set_commission(commission);
  fill->set_slippage(std::abs(price - touch.raw_price) * quantity);
  fill->set_reason(order.reason());
  fill->set_raw_price(touch.raw_price);
  fill->set_role(order.role());
  fill->set_type(order.type());
  fill->set_partial(remaining > 0);
  fill->set_remaining_quantity(remaining);
  fill->set_same_bar_resolution(resolution);
  fill->set_gap(touch.gap);
  fill->set_tag(order.tag());
  fill->set_strategy(order.strategy());
  working.filled_quantity += quantity;
  working.filled_value += quantity * price;
  if (remaining > 0) {
    order.set_quantity(remaining);
  } else {
    working.finished = true;
  }
  return true;
}

void Simulator::AfterEntryFill(size_t index, double quantity, const Bar& bar,
                               const TimeStep& step,
                               ExecuteStepsResponse* response) {
  WorkingOrder& entry = state_.working[index];
  const backtest::v1::Bracket& bracket = entry.order.bracket();
  const double average_price = entry.filled_value / entry.filled_quantity;
  // fill + r * (fill - stop_loss): above the fill for a long entry, below it
  // for a short one (whose stop is above).
  const double target =
      bracket.has_take_profit_r()
          ? average_price +
                bracket.take_profit_r() * (average_price - bracket.stop_loss())
          : bracket.take_profit();
  if (entry.exits_created) {
    for (const int64_t id :
         {bracket.stop_order_id(), bracket.target_order_id()}) {
      WorkingOrder* exit = FindWorking(id);
      if (exit == nullptr || exit->finished) continue;
      exit->order.set_quantity(exit->order.quantity() + quantity);
      if (exit->order.role() == backtest::v1::TAKE_PROFIT) {
        exit->order.set_limit_price(target);
      }
      OrderEvent* event =
          AddEvent(exit->order, OrderEvent::RESIZED, step.time(), response);
      event->set_reason(absl::StrCat("entry ", entry.order.id(),
                                     " filled a further ", quantity));
      *event->mutable_order() = exit->order;
    }
    return;
  }
  entry.exits_created = true;
  // An entry that filled at or through its own stop-loss (a gap) has no risk
  // left to measure a target by, and its stop is already hit: only the stop
  // works, and fills at the next open.
  const bool through_stop = entry.order.side() == backtest::v1::BUY
                                ? average_price <= bracket.stop_loss()
                                : average_price >= bracket.stop_loss();
  for (const bool is_stop : {true, false}) {
    if (!is_stop && through_stop) continue;
    Order exit;
    exit.set_id(is_stop ? bracket.stop_order_id() : bracket.target_order_id());
    exit.set_symbol(entry.order.symbol());
    exit.set_side(Opposite(entry.order.side()));
    exit.set_quantity(quantity);
    exit.set_original_quantity(quantity);
    exit.set_placed_time(step.time());
    exit.set_reference_price(bar.close());
    exit.set_time_in_force(backtest::v1::GTC);
    exit.set_tag(entry.order.tag());
    exit.set_strategy(entry.order.strategy());
    exit.set_reduces_position(true);
    if (!through_stop) {
      exit.set_oco_order_id(is_stop ? bracket.target_order_id()
                                    : bracket.stop_order_id());
    }
    if (is_stop) {
      exit.set_type(backtest::v1::STOP);
      exit.set_stop_price(bracket.stop_loss());
      exit.set_role(backtest::v1::STOP_LOSS);
      exit.set_reason(
          absl::StrCat("stop-loss of bracket order ", entry.order.id()));
    } else {
      exit.set_type(backtest::v1::LIMIT);
      exit.set_limit_price(target);
      exit.set_role(backtest::v1::TAKE_PROFIT);
      exit.set_reason(
          absl::StrCat("take-profit of bracket order ", entry.order.id()));
    }
    OrderEvent* event =
        AddEvent(exit, OrderEvent::ACTIVATED, step.time(), response);
    event->set_reason(
        through_stop ? absl::StrCat("entry ", entry.order.id(), " filled at ",
                                    average_price, ", through its stop-loss ",
                                    bracket.stop_loss(), ": no take-profit")
                     : absl::StrCat("entry ", entry.order.id(), " filled"));
    *event->mutable_order() = exit;
    WorkingOrder working{std::move(exit)};
    working.active_from = step.index() + 1;
    working.entry_id = entry.order.id();
    new_exits_.push_back(std::move(working));
  }
}

void Simulator::AfterExitFill(size_t index, double quantity, int64_t time,
                              ExecuteStepsResponse* response) {
  const WorkingOrder& exit = state_.working[index];
  const int64_t exit_id = exit.order.id();
  const bool closed = exit.finished;
  const int64_t entry_id = exit.entry_id;
  WorkingOrder* partner = FindWorking(exit.order.oco_order_id());
  if (partner != nullptr && !partner->finished) {
    if (closed) {
      Finish(*partner, OrderEvent::OCO_CANCELLED, time,
             absl::StrCat("bracket partner ", exit_id, " filled"), response);
    } else {
      partner->order.set_quantity(partner->order.quantity() - quantity);
      OrderEvent* event =
          AddEvent(partner->order, OrderEvent::RESIZED, time, response);
      event->set_reason(
          absl::StrCat("bracket partner ", exit_id, " filled ", quantity));
      *event->mutable_order() = partner->order;
    }
  }
  // The bracket is flat: what is left of a partly filled entry would open a
  // position without exits, so it goes too.
  WorkingOrder* entry = FindWorking(entry_id);
  if (closed && entry != nullptr && !entry->finished) {
    Finish(*entry, OrderEvent::OCO_CANCELLED, time,
           absl::StrCat("its bracket exit ", exit_id, " closed the position"),
           response);
  }
}

void Simulator::UpdateTrail(WorkingOrder& working, const Bar& bar) const {
  Order& order = working.order;
  const bool buy = IsBuy(order);
  working.best = buy ? std::min(working.best, bar.low())
                     : std::max(working.best, bar.high());
  working.trail_atr = NextWilderAverage(working.trail_atr,
                                        TrueRange(bar, working.previous_close),
                                        TrailAtrLength(order));
  working.previous_close = bar.close();
  const double distance = TrailDistance(order, working.best, working.trail_atr);
  // Ratchet: a stop only ever moves towards the price.
  order.set_stop_price(
      buy ? std::min(order.stop_price(), working.best + distance)
          : std::max(order.stop_price(), working.best - distance));
}

void Simulator::Finish(WorkingOrder& working, OrderEvent::Kind kind,
                       int64_t time, const std::string& reason,
                       ExecuteStepsResponse* response) {
  working.finished = true;
  OrderEvent* event = AddEvent(working.order, kind, time, response);
  event->set_remaining_quantity(working.order.quantity());
  event->set_reason(reason);
}

Simulator::WorkingOrder* Simulator::FindWorking(int64_t id) {
  for (WorkingOrder& working : state_.working) {
    if (working.order.id() == id) return &working;
  }
  return nullptr;
}

const Simulator::WorkingOrder* Simulator::FindWorking(int64_t id) const {
  for (const WorkingOrder& working : state_.working) {
    if (working.order.id() == id) return &working;
  }
  return nullptr;
}

void Simulator::End(backtest::v1::ExecutionEndResponse* response) {
  Resolve(std::numeric_limits<int64_t>::max());
  for (WorkingOrder& working : state_.working) {
    *response->add_unfilled_orders() = std::move(working.order);
  }
  state_.working.clear();
}

}  // namespace seed::execution
