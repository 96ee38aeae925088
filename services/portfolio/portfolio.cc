#include "services/portfolio/portfolio.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/intent_check.h"
#include "common/limits.h"
#include "common/stage_error.h"
#include "common/time.h"

namespace seed::portfolio {
namespace {

using backtest::v1::ApplyStepsRequest;
using backtest::v1::ApplyStepsResponse;
using backtest::v1::Fill;
using backtest::v1::Intent;
using backtest::v1::Order;
using backtest::v1::OrderEvent;
using backtest::v1::OrderRole;
using backtest::v1::Side;
using backtest::v1::SizeIntentsRequest;
using backtest::v1::SizeIntentsResponse;
using backtest::v1::TimeStep;

constexpr char kStage[] = "portfolio";

// The reason of an order whose intent gave none.
constexpr char kSignalReason[] = "signal";

// Exit reason of a trade still open when the run ends.
constexpr char kOpenReason[] = "open";

// Margin requirements when the spec leaves them 0: Regulation T's initial
// 50% and FINRA's minimum maintenance of 25% for long equity positions.
constexpr double kDefaultInitialMargin = 0.5;
constexpr double kDefaultMaintenanceMargin = 0.25;

// A margin requirement as the spec gives it, 0 meaning the default.
double MarginOrDefault(double fraction, double fallback) {
  return fraction == 0 ? fallback : fraction;
}

// Borrow fees accrue on an annual rate per calendar day (rate / 365 a day).
constexpr double kDaysPerYear = 365;

// Volatility is annualised to 252 trading days a year, as the results
// library annualises returns (docs/metrics.md).
constexpr double kTradingDaysPerYear = 252;

// A trade's exit reason is what the order that closed it was for.
const char* ExitReason(OrderRole role) {
  switch (role) {
    case backtest::v1::STOP_LOSS:
      return "stop";
    case backtest::v1::TAKE_PROFIT:
      return "target";
    case backtest::v1::TRAILING:
      return "trailing";
    case backtest::v1::LIQUIDATION:
      return "liquidation";
    case backtest::v1::END_OF_DATA:
      return "end_of_data";
    default:
      return kSignalReason;
  }
}

// Orders that protect a position rather than trade towards a target: they
// do not count as the position's future in TARGET_* and the caps.
bool IsProtectiveExit(const Order& order) {
  return order.role() == backtest::v1::STOP_LOSS ||
         order.role() == backtest::v1::TAKE_PROFIT ||
         order.role() == backtest::v1::TRAILING || order.oco_order_id() != 0;
}

int SideDirection(Side side) { return side == backtest::v1::BUY ? 1 : -1; }

Side DirectionSide(int direction) {
  return direction > 0 ? backtest::v1::BUY : backtest::v1::SELL;
}

// Checks that `items` (fills, events or rejections) come in time order and
// each at the time of one of the request's steps.
template <typename Item>
absl::Status CheckDated(const google::protobuf::RepeatedPtrField<Item>& items,
                        const ApplyStepsRequest& request,
                        absl::string_view what, absl::string_view reason) {
  int step = 0;
  for (int i = 0; i < items.size(); ++i) {
    const int64_t time = items.Get(i).time();
    const auto invalid = [&](const std::string& problem) {
      return StageFailure(
          absl::StatusCode::kInvalidArgument, kStage, reason,
          absl::StrCat(what, " ", i, " (order ", items.Get(i).order_id(),
                       " at ", FormatTime(time), ") ", problem),
          {.bar_time = FormatTime(time),
           .hint = "send what ExecuteSteps returned for the same steps"});
    };
    if (i > 0 && time < items.Get(i - 1).time()) {
      return invalid(absl::StrCat("comes after ", what, " ", i - 1, " dated ",
                                  FormatTime(items.Get(i - 1).time()), "; ",
                                  what, "s come in time order"));
    }
    while (step < request.steps_size() && request.steps(step).time() < time) {
      ++step;
    }
    if (step == request.steps_size() || request.steps(step).time() != time) {
      return invalid(absl::StrCat(
          "is not at the time of any step of the call (steps ",
          request.steps(0).index(), " to ",
          request.steps(0).index() + request.steps_size() - 1, ")"));
    }
  }
  return absl::OkStatus();
}

// How many items from `begin` are dated `time` (items are in time order).
template <typename Item>
int EndOfTime(const google::protobuf::RepeatedPtrField<Item>& items, int begin,
              int64_t time) {
  while (begin < items.size() && items.Get(begin).time() == time) ++begin;
  return begin;
}

}  // namespace

struct Portfolio::SizingState {
  SizeIntentsResponse* response;
  int64_t time;
  double equity;
  // The caps' equity and positions: this portfolio's plus the rest of the
  // account's (OtherSleeves).
  const OtherSleeves* others;
  // Buying power less the estimated cost of the entries accepted so far.
  double available;
  // By symbol: the position plus its working orders (protective exits
  // aside), as the caps and TARGET_* see it.
  std::vector<double> effective;
  // The margin call is being served: no new entries.
  std::string margin_call;
};

std::unique_ptr<Portfolio> Portfolio::Create(
    const backtest::v1::PortfolioSpec& spec, std::vector<std::string> symbols,
    std::vector<FieldProblem>* problems, const Sleeve& sleeve) {
  const size_t before = problems->size();
  const double initial_cash = spec.initial_cash();
  if (!(initial_cash > 0 && initial_cash <= limits::kMaxAmount)) {
    problems->push_back(
        {"portfolio.initial_cash",
         absl::StrCat("must be an amount in (0, 1e12], got ", initial_cash)});
  }
  std::unique_ptr<SizingRule> sizing = MakeSizingRule(spec.sizing(), problems);
  std::optional<Limits> limits = Limits::Make(spec.limits(), problems);

  const backtest::v1::AccountSpec& account = spec.account();
  const bool margin = account.type() == "margin";
  if (!margin && !account.type().empty() && account.type() != "cash") {
    problems->push_back({"portfolio.account.type",
                         absl::StrCat("unknown account \"", account.type(),
                                      "\"; allowed: cash, margin")});
  }
  const double initial_margin =
      MarginOrDefault(account.initial_margin(), kDefaultInitialMargin);
  const double maintenance_margin =
      MarginOrDefault(account.maintenance_margin(), kDefaultMaintenanceMargin);
  if (!margin &&
      (account.initial_margin() != 0 || account.maintenance_margin() != 0)) {
    problems->push_back(
        {"portfolio.account.type",
         "is a cash account but initial_margin or maintenance_margin is set; "
         "set type: margin or leave them out"});
  } else if (margin) {
    if (!(initial_margin > 0 && initial_margin <= 1)) {
      problems->push_back(
          {"portfolio.account.initial_margin",
           absl::StrCat("must be a fraction in (0, 1], got ", initial_margin)});
    }
    if (!(maintenance_margin > 0 && maintenance_margin <= initial_margin)) {
      problems->push_back(
          {"portfolio.account.maintenance_margin",
           absl::StrCat("must be a fraction in (0, initial_margin ",
                        initial_margin, "], got ", maintenance_margin)});
    }
  }

  const backtest::v1::ShortingSpec& shorting = spec.shorting();
  const auto known = [&](const std::string& name) {
    return std::find(symbols.begin(), symbols.end(), name) != symbols.end();
  };
  if (!(std::isfinite(shorting.borrow_rate()) && shorting.borrow_rate() >= 0)) {
    problems->push_back({"portfolio.shorting.borrow_rate",
                         absl::StrCat("must be an annual rate >= 0, got ",
                                      shorting.borrow_rate())});
  }
  // Map order is unspecified; report the problems in name order.
  std::map<std::string, double> rates(shorting.borrow_rates().begin(),
                                      shorting.borrow_rates().end());
  for (const auto& [name, rate] : rates) {
    const std::string field =
        absl::StrCat("portfolio.shorting.borrow_rates.", name);
    if (!known(name)) {
      problems->push_back({field, "is not one of the run's symbols"});
    } else if (!(std::isfinite(rate) && rate >= 0)) {
      problems->push_back(
          {field, absl::StrCat("must be an annual rate >= 0, got ", rate)});
    }
  }
  for (int i = 0; i < shorting.not_shortable_size(); ++i) {
    if (!known(shorting.not_shortable(i))) {
      problems->push_back(
          {absl::StrCat("portfolio.shorting.not_shortable[", i, "]"),
           absl::StrCat("\"", shorting.not_shortable(i),
                        "\" is not one of the run's symbols")});
    }
  }
  if (problems->size() != before) return nullptr;

  std::unique_ptr<Portfolio> portfolio(new Portfolio(
      spec, std::move(symbols), std::move(sizing), *limits, sleeve));
  return portfolio;
}

Portfolio::Portfolio(const backtest::v1::PortfolioSpec& spec,
                     std::vector<std::string> symbols,
                     std::unique_ptr<SizingRule> sizing, Limits limits,
                     const Sleeve& sleeve)
    : symbols_(std::move(symbols)),
      sizing_(std::move(sizing)),
      limits_(std::move(limits)),
      margin_account_(spec.account().type() == "margin"),
      initial_margin_(MarginOrDefault(spec.account().initial_margin(),
                                      kDefaultInitialMargin)),
      maintenance_margin_(MarginOrDefault(spec.account().maintenance_margin(),
                                          kDefaultMaintenanceMargin)),
      shorting_(spec.shorting()),
      close_at_end_(spec.close_at_end()),
      closes_kept_(sizing_->VolatilityLookback() == 0
                       ? 0
                       : static_cast<size_t>(sizing_->VolatilityLookback()) +
                             1),
      sleeve_(sleeve),
      next_order_id_(sleeve.index + 1) {
  // A run of one strategy has allocation 1: all of initial_cash, exactly.
  book_.cash = sleeve.allocation * spec.initial_cash();
  book_.holdings.resize(symbols_.size());
}
absl::Status Portfolio::CheckSteps(const ApplyStepsRequest& request) const {
  if (request.steps().empty()) {
    return StageFailure(absl::StatusCode::kInvalidArgument, kStage, "NO_STEPS",
                        "ApplySteps was called with no steps; nothing to apply",
                        {.hint = "send at least one time step per call"});
  }
  const int64_t first_index = request.steps(0).index();
  for (int i = 0; i < request.steps_size(); ++i) {
    const TimeStep& step = request.steps(i);
    const auto invalid = [&](const std::string& what) {
      return StageFailure(
          absl::StatusCode::kInvalidArgument, kStage, "INVALID_STEP",
          absl::StrCat("step ", step.index(), " (", FormatTime(step.time()),
                       ") ", what),
          {.bar_time = FormatTime(step.time()),
           .hint = "a call sends consecutive steps of the run's clock, as the "
                   "data stage merged them"});
    };
    if (step.index() < 0) {
      return invalid("has a negative index; step indexes start at 0");
    }
    if (step.index() != first_index + i) {
      return invalid(absl::StrCat("is at position ", i,
                                  " of a call starting at step ", first_index,
                                  "; expected index ", first_index + i));
    }
    if (i > 0 && step.time() <= request.steps(i - 1).time()) {
      return invalid(absl::StrCat("is not later than step ", step.index() - 1,
                                  " (", FormatTime(request.steps(i - 1).time()),
                                  "); step times increase"));
    }
    for (const backtest::v1::Bar& bar : step.bars()) {
      if (bar.symbol() < 0 || bar.symbol() >= symbols_.size()) {
        return invalid(absl::StrCat("has a bar for symbol index ", bar.symbol(),
                                    " but the run has ", symbols_.size(),
                                    " symbols"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Portfolio::CheckFills(const ApplyStepsRequest& request) const {
  for (int i = 0; i < request.fills_size(); ++i) {
    const Fill& fill = request.fills(i);
    const auto invalid = [&](const std::string& what) {
      return StageFailure(
          absl::StatusCode::kInvalidArgument, kStage, "INVALID_FILL",
          absl::StrCat("fill ", i, " (order ", fill.order_id(), " at ",
                       FormatTime(fill.time()), ") ", what),
          {.bar_time = FormatTime(fill.time()),
           .hint = "send the fills ExecuteSteps returned for the same steps"});
    };
    if (fill.symbol() < 0 || fill.symbol() >= symbols_.size()) {
      return invalid(absl::StrCat("is for symbol index ", fill.symbol(),
                                  " but the run has ", symbols_.size(),
                                  " symbols"));
    }
    if (fill.side() != backtest::v1::BUY && fill.side() != backtest::v1::SELL) {
      return invalid(absl::StrCat("has side ", Side_Name(fill.side()),
                                  "; fills are BUY or SELL"));
    }
    if (!(std::isfinite(fill.quantity()) && fill.quantity() > 0)) {
      return invalid(absl::StrCat("has quantity ", fill.quantity(),
                                  "; fills are for a positive quantity"));
    }
  }
  return CheckDated(request.fills(), request, "fill", "INVALID_FILL");
}

absl::Status Portfolio::CheckEvents(const ApplyStepsRequest& request) const {
  for (int i = 0; i < request.events_size(); ++i) {
    const OrderEvent& event = request.events(i);
    std::string problem;
    if (event.kind() == OrderEvent::KIND_UNSPECIFIED ||
        !OrderEvent::Kind_IsValid(event.kind())) {
      problem =
          absl::StrCat("has kind ", event.kind(), "; see OrderEvent.Kind");
    } else if (event.order_id() <= 0) {
      problem = "has no order_id";
    }
    if (!problem.empty()) {
      return StageFailure(
          absl::StatusCode::kInvalidArgument, kStage, "INVALID_EVENT",
          absl::StrCat("event ", i, " (order ", event.order_id(), " at ",
                       FormatTime(event.time()), ") ", problem),
          {.bar_time = FormatTime(event.time()),
           .hint = "send the events ExecuteSteps returned for the same steps"});
    }
  }
  if (absl::Status status =
          CheckDated(request.events(), request, "event", "INVALID_EVENT");
      !status.ok()) {
    return status;
  }
  return CheckDated(request.rejections(), request, "rejection",
                    "INVALID_REJECTION");
}

absl::Status Portfolio::Resolve(int64_t last_kept, absl::string_view call,
                                int64_t step_index, int64_t time) {
  if (last_kept < committed_through_ || last_kept > AppliedThrough()) {
    std::string state = committed_through_ < 0
                            ? std::string("no step is committed")
                            : absl::StrCat("steps through ", committed_through_,
                                           " are committed");
    absl::StrAppend(
        &state, tentative_.steps.empty()
                    ? " and none is tentative"
                    : absl::StrCat(" and steps ", committed_through_ + 1,
                                   " to ", AppliedThrough(), " are tentative"));
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "STEP_OUT_OF_ORDER",
        absl::StrCat(call, " step ", step_index, " (", FormatTime(time),
                     ") is out of order: ", state),
        {.bar_time = FormatTime(time),
         .hint = "ApplySteps must start after the last committed step and at "
                 "most one step after the last applied one; SizeIntents must "
                 "name the last committed step or a tentative one"});
  }
  const size_t keep = static_cast<size_t>(last_kept - committed_through_);
  if (keep < tentative_.steps.size()) {
    std::swap(book_, tentative_.before);
    for (size_t k = 0; k < keep; ++k) {
      if (absl::Status status = ApplyRecordedStep(k, /*closed=*/nullptr);
          !status.ok()) {
        return status;
      }
    }
  }
  committed_through_ = last_kept;
  ForgetTentative();
  return absl::OkStatus();
}

void Portfolio::ForgetTentative() {
  tentative_.steps.clear();
  tentative_.marks.clear();
  tentative_.fills.Clear();
  tentative_.events.Clear();
  tentative_.rejections.Clear();
}

absl::Status Portfolio::ApplySteps(const ApplyStepsRequest& request,
                                   ApplyStepsResponse* response) {
  response->Clear();
  if (absl::Status status = CheckSteps(request); !status.ok()) return status;
  if (absl::Status status = CheckFills(request); !status.ok()) return status;
  if (absl::Status status = CheckEvents(request); !status.ok()) return status;
  const TimeStep& first = request.steps(0);
  if (request.at_close()) return ApplyClose(request, response);
  if (absl::Status status = Resolve(first.index() - 1, "ApplySteps starting at",
                                    first.index(), first.time());
      !status.ok()) {
    return status;
  }

  // Record first and apply from the record, so a later cut applies the
  // consumed steps again by the very same code.
  tentative_.before = book_;
  tentative_.fills = request.fills();
  tentative_.events = request.events();
  tentative_.rejections = request.rejections();
  RecordedStep recorded{};
  for (const TimeStep& step : request.steps()) {
    for (const backtest::v1::Bar& bar : step.bars()) {
      tentative_.marks.push_back(
          {bar.symbol(), bar.high(), bar.low(), bar.close()});
    }
    recorded = {
        step.time(), tentative_.marks.size(),
        EndOfTime(request.fills(), recorded.fills_end, step.time()),
        EndOfTime(request.events(), recorded.events_end, step.time()),
        EndOfTime(request.rejections(), recorded.rejections_end, step.time())};
    tentative_.steps.push_back(recorded);
  }

  response->mutable_views()->Reserve(request.steps_size());
  for (size_t k = 0; k < tentative_.steps.size(); ++k) {
    const bool had_margin_call = !book_.margin_call.empty();
    if (absl::Status status =
            ApplyRecordedStep(k, response->mutable_closed_trades());
        !status.ok()) {
      return status;
    }
    FillView(response->add_views());
    if (!had_margin_call && !book_.margin_call.empty()) {
      // The steps after a margin call were never applied.
      tentative_.steps.resize(k + 1);
      response->set_margin_call(book_.margin_call);
      break;
    }
  }
  return absl::OkStatus();
}

absl::Status Portfolio::ApplyClose(const ApplyStepsRequest& request,
                                   ApplyStepsResponse* response) {
  const TimeStep& step = request.steps(0);
  // Its SizeIntents committed the step; its open and marks are applied.
  if (request.steps_size() != 1 || committed_through_ != step.index() ||
      !tentative_.steps.empty()) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "STEP_OUT_OF_ORDER",
        absl::StrCat("ApplySteps at the close of step ", step.index(), " (",
                     FormatTime(step.time()), ") with ", request.steps_size(),
                     " step(s) while steps through ", committed_through_,
                     " are committed and ", tentative_.steps.size(),
                     " are tentative"),
        {.bar_time = FormatTime(step.time()),
         .hint = "an at_close call has one step, the step SizeIntents was "
                 "just called at"});
  }
  for (const Fill& fill : request.fills()) {
    if (absl::Status status =
            ApplyFill(fill, response->mutable_closed_trades());
        !status.ok()) {
      return status;
    }
  }
  for (const OrderEvent& event : request.events()) ApplyEvent(event);
  for (const backtest::v1::Rejection& rejection : request.rejections()) {
    book_.working.erase(rejection.order_id());
  }
  FillView(response->add_views());
  return absl::OkStatus();
}

absl::Status Portfolio::ApplyRecordedStep(size_t k, Trades* closed) {
  const RecordedStep& step = tentative_.steps[k];
  const RecordedStep previous =
      k == 0 ? RecordedStep{} : tentative_.steps[k - 1];
  ChargeBorrowFees(step.time);
  for (int i = previous.fills_end; i < step.fills_end; ++i) {
    if (absl::Status status = ApplyFill(tentative_.fills.Get(i), closed);
        !status.ok()) {
      return status;
    }
  }
  for (int i = previous.events_end; i < step.events_end; ++i) {
    ApplyEvent(tentative_.events.Get(i));
  }
  for (int i = previous.rejections_end; i < step.rejections_end; ++i) {
    book_.working.erase(tentative_.rejections.Get(i).order_id());
  }
  for (size_t m = previous.marks_end; m < step.marks_end; ++m) {
    MarkToClose(tentative_.marks[m], step.time);
  }
  book_.last_step_time = step.time;
  if (book_.margin_call.empty()) book_.margin_call = MarginCall();
  return absl::OkStatus();
}

void Portfolio::ChargeBorrowFees(int64_t time) {
  for (const int32_t symbol : book_.held) {
    Holding& holding = book_.holdings[symbol];
    if (holding.quantity >= 0) continue;
    const double days =
        static_cast<double>(time - book_.last_step_time) / kSecondsPerDay;
    const double fee = -holding.quantity * holding.last_price *
                       BorrowRate(symbol) / kDaysPerYear * days;
    book_.cash = book_.cash - fee;
    holding.trade.borrow_fees = holding.trade.borrow_fees + fee;
  }
}

double Portfolio::BorrowRate(int32_t symbol) const {
  const auto it = shorting_.borrow_rates().find(symbols_[symbol]);
  return it == shorting_.borrow_rates().end() ? shorting_.borrow_rate()
                                              : it->second;
}

absl::Status Portfolio::ApplyFill(const Fill& fill, Trades* closed) {
  const int32_t symbol = fill.symbol();
  Holding& holding = book_.holdings[symbol];
  const int direction = SideDirection(fill.side());
  const double quantity = fill.quantity();
  const double held = holding.quantity;
  const bool reduces = held != 0 && (held > 0) != (direction > 0);
  const double closing = reduces ? std::min(quantity, std::fabs(held)) : 0;
  const double opening = quantity - closing;
  if (direction < 0 && opening > 0 && !shorting_.enabled()) {
    return StageFailure(
        absl::StatusCode::kInternal, kStage, "POSITION_WOULD_GO_SHORT",
        absl::StrFormat("a sell fill of %.10g %s (order %d) at %s exceeds the "
                        "%.10g held and shorting is not enabled; the "
                        "portfolio never places such an order, so the fill "
                        "did not come from its orders",
                        quantity, symbols_[symbol], fill.order_id(),
                        FormatTime(fill.time()), held),
        {.symbol = symbols_[symbol], .bar_time = FormatTime(fill.time())});
  }

  double initial_stop = 0;
  if (const auto order = book_.working.find(fill.order_id());
      order != book_.working.end()) {
    initial_stop = order->second.initial_stop();
    if (fill.partial() && fill.remaining_quantity() > 0) {
      order->second.set_quantity(fill.remaining_quantity());
    } else {
      book_.working.erase(order);
    }
  }

  // Two separate steps, in this order, as backtrader's broker does them.
  book_.cash = book_.cash - direction * quantity * fill.price();
  book_.cash = book_.cash - fill.commission();

  if (opening == quantity) {
    Open(symbol, direction, quantity, fill.price(), fill.commission(),
         fill.slippage(), fill.time(), initial_stop);
  } else if (opening == 0) {
    Reduce(symbol, quantity, fill.price(), fill.commission(), fill.slippage(),
           fill.time(), fill.role(), closed);
  } else {
    // Through zero: the costs are shared in proportion to the shares that
    // close the old trade and open the new one.
    const double share = closing / quantity;
    const double closing_commission = fill.commission() * share;
    const double closing_slippage = fill.slippage() * share;
    Reduce(symbol, closing, fill.price(), closing_commission, closing_slippage,
           fill.time(), fill.role(), closed);
    Open(symbol, direction, opening, fill.price(),
         fill.commission() - closing_commission,
         fill.slippage() - closing_slippage, fill.time(), initial_stop);
  }
  return absl::OkStatus();
}

void Portfolio::Open(int32_t symbol, int direction, double quantity,
                     double price, double commission, double slippage,
                     int64_t time, double initial_stop) {
  Holding& holding = book_.holdings[symbol];
  if (holding.quantity == 0) {
    holding.quantity = direction * quantity;
    // From flat the average is the price itself (q * p / q may be 1 ulp off).
    holding.average_price = price;
    holding.trade = {.direction = direction,
                     .entry_time = time,
                     .max_quantity = quantity,
                     .commission = commission,
                     .slippage = slippage,
                     .initial_stop = initial_stop};
    book_.held.insert(
        std::lower_bound(book_.held.begin(), book_.held.end(), symbol), symbol);
    return;
  }
  const double old_quantity = std::fabs(holding.quantity);
  const double new_quantity = old_quantity + quantity;
  holding.average_price =
      (old_quantity * holding.average_price + quantity * price) / new_quantity;
  holding.quantity = direction * new_quantity;
  OpenTrade& trade = holding.trade;
  trade.max_quantity = std::max(trade.max_quantity, new_quantity);
  trade.commission = trade.commission + commission;
  trade.slippage = trade.slippage + slippage;
}

void Portfolio::Reduce(int32_t symbol, double quantity, double price,
                       double commission, double slippage, int64_t time,
                       OrderRole role, Trades* closed) {
  Holding& holding = book_.holdings[symbol];
  OpenTrade& trade = holding.trade;
  // Per share, what this exit gained in the trade's direction.
  const double excursion = trade.direction * (price - holding.average_price);
  trade.commission = trade.commission + commission;
  trade.slippage = trade.slippage + slippage;
  trade.gross_pnl = trade.gross_pnl + excursion * quantity;
  trade.exit_price =
      trade.exit_quantity == 0
          ? price
          : (trade.exit_quantity * trade.exit_price + quantity * price) /
                (trade.exit_quantity + quantity);
  trade.exit_quantity = trade.exit_quantity + quantity;
  trade.mae = std::min(trade.mae, excursion);
  trade.mfe = std::max(trade.mfe, excursion);
  holding.quantity = holding.quantity - trade.direction * quantity;
  if (holding.quantity != 0) return;

  if (closed != nullptr) {
    backtest::v1::Trade* trade_out = closed->Add();
    FillTrade(symbol, trade.gross_pnl, trade_out);
    trade_out->set_exit_time(time);
    trade_out->set_exit_price(trade.exit_price);
    trade_out->set_exit_reason(ExitReason(role));
  }
  holding.average_price = 0;
  holding.trade = {};
  book_.held.erase(
      std::lower_bound(book_.held.begin(), book_.held.end(), symbol));
}

void Portfolio::ApplyEvent(const OrderEvent& event) {
  switch (event.kind()) {
    case OrderEvent::ACTIVATED:
    case OrderEvent::TRIGGERED:
    case OrderEvent::RESIZED: {
      Order order = event.order();
      order.set_id(event.order_id());
      if (order.quantity() > 0) {
        book_.working[event.order_id()] = std::move(order);
      } else {
        book_.working.erase(event.order_id());
      }
      return;
    }
    default:  // EXPIRED, CANCELLED, OCO_CANCELLED
      book_.working.erase(event.order_id());
  }
}

void Portfolio::MarkToClose(const Mark& mark, int64_t time) {
  Holding& holding = book_.holdings[mark.symbol];
  holding.last_price = mark.close;
  holding.has_price = true;
  if (closes_kept_ > 0) {
    holding.closes.push_back({time, mark.close});
    if (holding.closes.size() > closes_kept_) holding.closes.pop_front();
  }
  if (holding.quantity == 0) return;
  OpenTrade& trade = holding.trade;
  const double worst = trade.direction > 0 ? mark.low - holding.average_price
                                           : holding.average_price - mark.high;
  const double best = trade.direction > 0 ? mark.high - holding.average_price
                                          : holding.average_price - mark.low;
  trade.mae = std::min(trade.mae, worst);
  trade.mfe = std::max(trade.mfe, best);
}

std::string Portfolio::MarginCall() const {
  if (!margin_account_ || book_.held.empty()) return "";
  for (const auto& [id, order] : book_.working) {
    if (order.role() == backtest::v1::LIQUIDATION) return "";
  }
  const double gross = GrossValue();
  const double equity = Equity();
  const double requirement = maintenance_margin_ * gross;
  if (equity >= requirement) return "";
  return absl::StrFormat(
      "margin call at %s: equity %.2f is below the maintenance requirement "
      "%.10g x gross position value %.2f = %.2f; every position is closed at "
      "its next open",
      FormatTime(book_.last_step_time), equity, maintenance_margin_, gross,
      requirement);
}

double Portfolio::Equity() const {
  // Positions are summed first and then added to cash, as backtrader's
  // broker values them, so the two agree to the last bit.
  double positions_value = 0;
  for (const int32_t symbol : book_.held) {
    const Holding& holding = book_.holdings[symbol];
    positions_value = positions_value + holding.quantity * holding.last_price;
  }
  return book_.cash + positions_value;
}

double Portfolio::GrossValue() const {
  double gross = 0;
  for (const int32_t symbol : book_.held) {
    const Holding& holding = book_.holdings[symbol];
    gross = gross + std::fabs(holding.quantity * holding.last_price);
  }
  return gross;
}

double Portfolio::ShortValue() const {
  double value = 0;
  for (const int32_t symbol : book_.held) {
    const Holding& holding = book_.holdings[symbol];
    if (holding.quantity < 0)
      value = value - holding.quantity * holding.last_price;
  }
  return value;
}

double Portfolio::BuyingPower() const {
  if (margin_account_) {
    return (Equity() - initial_margin_ * GrossValue()) / initial_margin_;
  }
  return book_.cash - ShortValue();
}

void Portfolio::FillView(backtest::v1::PortfolioView* view) const {
  const double equity = Equity();
  view->set_time(book_.last_step_time);
  view->set_cash(book_.cash);
  view->set_equity(equity);
  view->set_buying_power(BuyingPower());
  double gross = 0;
  double net = 0;
  for (const int32_t symbol : book_.held) {
    const Holding& holding = book_.holdings[symbol];
    const double value = holding.quantity * holding.last_price;
    gross = gross + std::fabs(value);
    net = net + value;
    backtest::v1::Position* position = view->add_positions();
    position->set_symbol(symbol);
    position->set_quantity(holding.quantity);
    position->set_average_price(holding.average_price);
    position->set_last_price(holding.last_price);
    position->set_market_value(value);
    position->set_entry_time(holding.trade.entry_time);
  }
  view->set_gross_exposure(equity == 0 ? 0 : gross / equity);
  view->set_net_exposure(equity == 0 ? 0 : net / equity);
  for (const auto& [id, order] : book_.working) {
    *view->add_working_orders() = order;
  }
}

void Portfolio::FillTrade(int32_t symbol, double gross_pnl,
                          backtest::v1::Trade* trade) const {
  const Holding& holding = book_.holdings[symbol];
  const OpenTrade& open = holding.trade;
  trade->set_symbol(symbols_[symbol]);
  trade->set_strategy(sleeve_.id);
  trade->set_side(DirectionSide(open.direction));
  trade->set_entry_time(open.entry_time);
  trade->set_entry_price(holding.average_price);
  trade->set_quantity(open.max_quantity);
  trade->set_gross_pnl(gross_pnl);
  trade->set_commission(open.commission);
  trade->set_borrow_fees(open.borrow_fees);
  trade->set_net_pnl(gross_pnl - open.commission - open.borrow_fees);
  trade->set_slippage(open.slippage);
  trade->set_mae(open.mae);
  trade->set_mfe(open.mfe);
  trade->set_initial_stop(open.initial_stop);
  // The risk a long (short) took is the distance down (up) to its stop; an
  // entry at or through its stop risked nothing measurable: no R.
  const double risk =
      open.max_quantity * (trade->side() == backtest::v1::BUY
                               ? holding.average_price - open.initial_stop
                               : open.initial_stop - holding.average_price);
  if (open.initial_stop > 0 && risk > 0) {
    trade->set_r_multiple(gross_pnl / risk);
  }
}

std::optional<double> Portfolio::Volatility(int32_t symbol,
                                            int lookback) const {
  const std::deque<PricePoint>& closes = book_.holdings[symbol].closes;
  if (closes.size() < static_cast<size_t>(lookback) + 1) return std::nullopt;
  const size_t first = closes.size() - lookback - 1;
  std::vector<double> returns;
  int64_t shortest = 0;
  // Bars per calendar day, for intraday bars: the most seen in one day.
  int most_per_day = 0;
  int per_day = 0;
  for (size_t i = first; i < closes.size(); ++i) {
    const bool same_day = i > first && closes[i].time / kSecondsPerDay ==
                                           closes[i - 1].time / kSecondsPerDay;
    per_day = same_day ? per_day + 1 : 1;
    most_per_day = std::max(most_per_day, per_day);
    if (i == first) continue;
    returns.push_back(closes[i].close / closes[i - 1].close - 1);
    const int64_t interval = closes[i].time - closes[i - 1].time;
    if (shortest == 0 || interval < shortest) shortest = interval;
  }
  double mean = 0;
  for (const double r : returns) mean += r;
  mean /= returns.size();
  double squares = 0;
  for (const double r : returns) squares += (r - mean) * (r - mean);
  const double deviation = std::sqrt(squares / (returns.size() - 1));
  const double periods_per_year =
      shortest >= kSecondsPerDay
          ? kTradingDaysPerYear * kSecondsPerDay / shortest
          : kTradingDaysPerYear * most_per_day;
  return deviation * std::sqrt(periods_per_year);
}

double Portfolio::PendingExits(int32_t symbol) const {
  const double held = book_.holdings[symbol].quantity;
  if (held == 0) return 0;
  const Side exit_side = held > 0 ? backtest::v1::SELL : backtest::v1::BUY;
  double pending = 0;
  for (const auto& [id, order] : book_.working) {
    if (order.symbol() != symbol || order.side() != exit_side) continue;
    const auto partner = book_.working.find(order.oco_order_id());
    if (order.oco_order_id() != 0 && partner != book_.working.end()) {
      // The pair counts once, by the first of the two and the larger size.
      if (order.oco_order_id() < id) continue;
      pending += std::max(order.quantity(), partner->second.quantity());
      continue;
    }
    pending += order.quantity();
  }
  return pending;
}

int64_t Portfolio::NextOrderId() {
  const int64_t id = next_order_id_;
  next_order_id_ += sleeve_.count;
  return id;
}

std::vector<double> Portfolio::EffectiveQuantities() const {
  std::vector<double> effective(symbols_.size());
  for (const int32_t symbol : book_.held) {
    effective[symbol] = book_.holdings[symbol].quantity;
  }
  for (const auto& [id, order] : book_.working) {
    if (IsProtectiveExit(order)) continue;
    effective[order.symbol()] += SideDirection(order.side()) * order.quantity();
  }
  return effective;
}

absl::Status Portfolio::SizeIntents(const SizeIntentsRequest& request,
                                    SizeIntentsResponse* response,
                                    const OtherSleeves& others) {
  response->Clear();
  if (absl::Status status = Resolve(request.step_index(), "SizeIntents at",
                                    request.step_index(), request.time());
      !status.ok()) {
    return status;
  }
  // Every intent is checked before any is sized, so a malformed one fails
  // the call with no order placed.
  for (int i = 0; i < request.intents_size(); ++i) {
    const Intent& intent = request.intents(i);
    const bool known =
        intent.symbol() >= 0 && intent.symbol() < symbols_.size();
    const double close = known && book_.holdings[intent.symbol()].has_price
                             ? book_.holdings[intent.symbol()].last_price
                             : 0;
    if (absl::Status status = CheckIntent(intent, i, symbols_, close);
        !status.ok()) {
      return WithContext(status, kStage,
                         {.bar_time = FormatTime(request.time())});
    }
  }

  SizingState state{.response = response,
                    .time = request.time(),
                    .equity = Equity(),
                    .others = &others,
                    .available = BuyingPower(),
                    .effective = EffectiveQuantities()};
  if (!book_.margin_call.empty()) Liquidate(state);
  for (const Intent& intent : request.intents()) {
    if (absl::Status status = SizeIntent(intent, state); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

void Portfolio::Liquidate(SizingState& state) {
  for (const auto& [id, order] : book_.working) {
    backtest::v1::OrderAmendment* cancel = state.response->add_amendments();
    cancel->set_order_id(id);
    cancel->set_cancel(true);
  }
  book_.working.clear();
  for (const int32_t symbol : book_.held) {
    const Holding& holding = book_.holdings[symbol];
    Order* order = state.response->add_orders();
    order->set_id(NextOrderId());
    order->set_symbol(symbol);
    order->set_side(holding.quantity > 0 ? backtest::v1::SELL
                                         : backtest::v1::BUY);
    order->set_quantity(std::fabs(holding.quantity));
    order->set_type(backtest::v1::MARKET);
    order->set_placed_time(state.time);
    order->set_reference_price(holding.last_price);
    order->set_reason(book_.margin_call);
    order->set_role(backtest::v1::LIQUIDATION);
    order->set_strategy(sleeve_.index);
    order->set_original_quantity(order->quantity());
    order->set_reduces_position(true);
    book_.working[order->id()] = *order;
  }
  std::fill(state.effective.begin(), state.effective.end(), 0.0);
  state.margin_call = std::move(book_.margin_call);
  book_.margin_call.clear();
}

absl::Status Portfolio::Amend(const Intent& intent, SizingState& state) {
  const std::string action = Intent::Action_Name(intent.action());
  const std::string& name = symbols_[intent.symbol()];
  const auto it = book_.working.find(intent.order_id());
  if (it == book_.working.end() || it->second.symbol() != intent.symbol()) {
    backtest::v1::Rejection* rejection = state.response->add_rejections();
    rejection->set_order_id(intent.order_id());
    rejection->set_symbol(intent.symbol());
    rejection->set_time(state.time);
    rejection->set_stage(kStage);
    rejection->set_code("UNKNOWN_ORDER");
    rejection->set_message(absl::StrCat(
        action, " order ", intent.order_id(), " of ", name,
        ": no such working order (filled, cancelled, expired or never "
        "placed for this symbol)"));
    rejection->set_tag(intent.tag());
    rejection->set_strategy(sleeve_.index);
    return absl::OkStatus();
  }
  Order& order = it->second;
  const int direction = SideDirection(order.side());
  backtest::v1::OrderAmendment* amendment = state.response->add_amendments();
  amendment->set_order_id(order.id());
  const double counted = IsProtectiveExit(order) ? 0 : 1;
  if (intent.action() == Intent::CANCEL) {
    amendment->set_cancel(true);
    state.effective[order.symbol()] -= counted * direction * order.quantity();
    book_.working.erase(it);
    return absl::OkStatus();
  }
  if (intent.quantity() > 0) {
    state.effective[order.symbol()] +=
        counted * direction * (intent.quantity() - order.quantity());
    order.set_quantity(intent.quantity());
  }
  if (intent.limit_price() > 0) order.set_limit_price(intent.limit_price());
  if (intent.stop_price() > 0) order.set_stop_price(intent.stop_price());
  if (intent.has_trail()) *order.mutable_trail() = intent.trail();
  if (intent.time_in_force() != backtest::v1::TIME_IN_FORCE_UNSPECIFIED) {
    order.set_time_in_force(intent.time_in_force());
  }
  if (intent.tif_bars() > 0) order.set_tif_bars(intent.tif_bars());
  *amendment->mutable_replacement() = order;
  return absl::OkStatus();
}

absl::Status Portfolio::SizeIntent(const Intent& intent, SizingState& state) {
  const Intent::Action action = intent.action();
  if (action == Intent::CANCEL || action == Intent::MODIFY) {
    return Amend(intent, state);
  }
  const int32_t symbol = intent.symbol();
  const std::string& name = symbols_[symbol];
  const Holding& holding = book_.holdings[symbol];
  const std::string action_name = Intent::Action_Name(action);
  const double held = holding.quantity;
  const double close = holding.last_price;
  int direction = 1;
  double quantity = intent.quantity();
  const auto reject = [&](double rejected_quantity, absl::string_view code,
                          std::string message) {
    backtest::v1::Rejection* rejection = state.response->add_rejections();
    rejection->set_symbol(symbol);
    rejection->set_side(DirectionSide(direction));
    rejection->set_quantity(rejected_quantity);
    rejection->set_time(state.time);
    rejection->set_stage(kStage);
    rejection->set_code(std::string(code));
    rejection->set_message(std::move(message));
    rejection->set_tag(intent.tag());
    rejection->set_strategy(sleeve_.index);
    return absl::OkStatus();
  };

  // Exits: at most the position less the exits already working.
  if (action == Intent::SELL || action == Intent::COVER ||
      action == Intent::CLOSE) {
    const bool long_exit =
        action == Intent::SELL || (action == Intent::CLOSE && held >= 0);
    direction = long_exit ? -1 : 1;
    const double position = std::max(long_exit ? held : -held, 0.0);
    const double pending = position > 0 ? PendingExits(symbol) : 0;
    const double available = position - pending;
    const char* verb = long_exit ? "sell" : "cover";
    const char* done = long_exit ? "sold" : "covered";
    if (action == Intent::CLOSE || quantity == 0) {
      if (available <= 0) {
        return reject(
            0, "NO_POSITION",
            absl::StrFormat("%s %s: no position left to %s (held "
                            "%.10g, %.10g already being %s)",
                            action_name, name, verb, position, pending, done));
      }
      quantity = available;
    } else if (quantity > available) {
      const bool shorting_off = long_exit && !shorting_.enabled();
      return reject(
          quantity, shorting_off ? "SHORT_NOT_ALLOWED" : "EXCEEDS_POSITION",
          absl::StrFormat(
              "%s %.10g %s: only %.10g can be %s (held %.10g, %.10g already "
              "being %s); %s",
              action_name, quantity, name, std::max(available, 0.0), done,
              position, pending, done,
              shorting_off ? "shorting is not enabled "
                             "(portfolio.shorting.enabled)"
              : long_exit  ? "SELL reduces a long; SHORT opens a short"
                           : "COVER reduces a short; BUY opens a long"));
    }
    return PlaceOrder(intent, state, direction, quantity, "");
  }

  if (!holding.has_price) {
    return reject(quantity, "NO_PRICE",
                  absl::StrCat(action_name, " ", name, ": no close of ", name,
                               " seen yet to size or price the order; trade a "
                               "symbol only after it has had a bar"));
  }
  const double current = state.effective[symbol];
  double desired = 0;  // TARGET_*: the signed quantity wanted
  if (action == Intent::TARGET_QUANTITY || action == Intent::TARGET_WEIGHT) {
    desired = action == Intent::TARGET_QUANTITY
                  ? intent.target()
                  : std::trunc(intent.target() * state.equity / close);
    if (desired == current) return absl::OkStatus();  // already there
    direction = desired > current ? 1 : -1;
    quantity = std::fabs(desired - current);
    // Only towards flat: an exit, never capped, and like SELL / COVER never
    // more than the position less the exits already working against it.
    if (std::fabs(desired) < std::fabs(current) && desired * current >= 0) {
      const double free =
          direction * held < 0 ? std::fabs(held) - PendingExits(symbol) : 0;
      if (free <= 0) {
        return reject(quantity, "NO_POSITION",
                      absl::StrFormat("%s %s: no position left to reduce "
                                      "towards %.10g (held %.10g, %.10g "
                                      "already being closed)",
                                      action_name, name, desired, held,
                                      std::fabs(held) - free));
      }
      return PlaceOrder(intent, state, direction, std::min(quantity, free), "");
    }
  } else {
    direction = action == Intent::BUY ? 1 : -1;
    // An entry against the position is fine once working exits (those just
    // accepted at this step included) take it flat: a reversal is CLOSE then
    // the new entry, and both fill at the next open in that order.
    if (direction * held < 0 && std::fabs(held) - PendingExits(symbol) > 0) {
      return reject(
          quantity, direction > 0 ? "POSITION_IS_SHORT" : "POSITION_IS_LONG",
          absl::StrFormat("%s %s: the position is %.10g and working exits "
                          "close only %.10g of it; %s",
                          action_name, name, held, PendingExits(symbol),
                          direction > 0 ? "COVER or CLOSE the short first, "
                                          "or reverse with TARGET_QUANTITY"
                                        : "SELL or CLOSE the long first, or "
                                          "reverse with TARGET_QUANTITY"));
    }
  }

  // From here on the order opens shares: an entry.
  if (!state.margin_call.empty()) {
    return reject(quantity, "MARGIN_CALL",
                  absl::StrCat(action_name, " ", name,
                               ": no new entries while the account is "
                               "liquidated; ",
                               state.margin_call));
  }
  if (direction < 0) {
    if (!shorting_.enabled()) {
      return reject(quantity, "SHORT_NOT_ALLOWED",
                    absl::StrCat(action_name, " ", name,
                                 ": shorting is not enabled "
                                 "(portfolio.shorting.enabled)"));
    }
    if (std::find(shorting_.not_shortable().begin(),
                  shorting_.not_shortable().end(),
                  name) != shorting_.not_shortable().end()) {
      return reject(quantity, "NOT_SHORTABLE",
                    absl::StrCat(action_name, " ", name, ": ", name,
                                 " is listed in "
                                 "portfolio.shorting.not_shortable"));
    }
  }
  if (quantity == 0) {
    SizingContext context{.available_cash = state.available,
                          .equity = state.equity,
                          .close = close};
    const double stop = intent.has_bracket() ? intent.bracket().stop_loss()
                                             : intent.initial_stop();
    if (stop > 0) context.stop_distance = std::fabs(close - stop);
    if (sizing_->NeedsStop() && !context.stop_distance.has_value()) {
      return reject(0, "NO_INITIAL_STOP",
                    absl::StrCat(action_name, " ", name,
                                 ": the sizing rule risk_per_trade needs the "
                                 "entry's bracket.stop_loss or initial_stop"));
    }
    if (const int lookback = sizing_->VolatilityLookback(); lookback > 0) {
      context.volatility = Volatility(symbol, lookback);
      if (!context.volatility.has_value()) {
        return reject(
            0, "NOT_ENOUGH_HISTORY",
            absl::StrFormat("%s %s: volatility_target needs %d returns "
                            "(%d closes) of %s; %d seen so far",
                            action_name, name, lookback, lookback + 1, name,
                            static_cast<int>(holding.closes.size())));
      }
    }
    quantity = sizing_->Quantity(context);
    // A close of 0 would size to infinity: refused like a zero size.
    if (!(std::isfinite(quantity) && quantity > 0)) {
      return reject(
          quantity, "SIZE_ZERO",
          absl::StrCat(action_name, " ", name,
                       " sized to no shares: ", sizing_->Explain(context)));
    }
  }

  // The caps see the whole account: the other sleeves' positions and
  // working orders (none in a run of one strategy) are added.
  const std::vector<double>& others = state.others->effective;
  const auto account_quantity = [&](size_t s) {
    return others.empty() ? state.effective[s] : state.effective[s] + others[s];
  };
  Exposure exposure{.equity = state.equity + state.others->equity,
                    .close = close,
                    .symbol_quantity = account_quantity(symbol)};
  for (size_t s = 0; s < symbols_.size(); ++s) {
    const double quantity = account_quantity(s);
    const double value = quantity * book_.holdings[s].last_price;
    exposure.gross_value += std::fabs(value);
    exposure.net_value += value;
    if (quantity != 0) ++exposure.open_symbols;
  }
  std::string sizing_note;
  if (const CapOutcome cap = limits_.Allow(exposure, direction, quantity);
      !cap.code.empty()) {
    const std::string order_text =
        absl::StrFormat("%s %.10g %s", action_name, quantity, name);
    switch (limits_.policy()) {
      case BreachPolicy::kFail:
        return StageFailure(
            absl::StatusCode::kFailedPrecondition, kStage, cap.code,
            absl::StrCat(order_text, " at ", FormatTime(state.time), " breaks ",
                         cap.explanation),
            {.symbol = name,
             .bar_time = FormatTime(state.time),
             .hint = "portfolio.limits.on_breach: fail; use reduce or reject "
                     "to keep the run going"});
      case BreachPolicy::kReject:
        return reject(quantity, cap.code,
                      absl::StrCat(order_text, " breaks ", cap.explanation));
      case BreachPolicy::kReduce:
        if (cap.quantity <= 0) {
          return reject(quantity, cap.code,
                        absl::StrCat(order_text, ": nothing is left under ",
                                     cap.explanation));
        }
        sizing_note = absl::StrFormat("reduced from %.10g to %.10g by %s",
                                      quantity, cap.quantity, cap.explanation);
        quantity = cap.quantity;
    }
  }

  // The shares that open (beyond those that take the symbol to flat) spend
  // buying power; a short must be covered by it.
  const double opening = quantity - std::max(-direction * current, 0.0);
  const double opening_value = std::max(opening, 0.0) * close;
  if (direction < 0 && opening_value > state.available) {
    return reject(quantity, "INSUFFICIENT_BUYING_POWER",
                  absl::StrFormat("%s %.10g %s: opening %.10g shares short at "
                                  "%.10g needs %.2f of buying power, %.2f is "
                                  "left",
                                  action_name, quantity, name, opening, close,
                                  opening_value, state.available));
  }
  state.available = state.available - opening_value;
  return PlaceOrder(intent, state, direction, quantity, std::move(sizing_note));
}

absl::Status Portfolio::PlaceOrder(const Intent& intent, SizingState& state,
                                   int direction, double quantity,
                                   std::string sizing_note) {
  const int32_t symbol = intent.symbol();
  Order* order = state.response->add_orders();
  order->set_id(NextOrderId());
  order->set_symbol(symbol);
  order->set_side(DirectionSide(direction));
  order->set_quantity(quantity);
  order->set_type(intent.type() == backtest::v1::ORDER_TYPE_UNSPECIFIED
                      ? backtest::v1::MARKET
                      : intent.type());
  order->set_placed_time(state.time);
  order->set_reference_price(book_.holdings[symbol].last_price);
  order->set_reason(intent.reason().empty() ? kSignalReason : intent.reason());
  order->set_limit_price(intent.limit_price());
  order->set_stop_price(intent.stop_price());
  if (intent.has_trail()) *order->mutable_trail() = intent.trail();
  order->set_time_in_force(intent.time_in_force());
  order->set_tif_bars(intent.tif_bars());
  if (intent.has_bracket()) {
    backtest::v1::Bracket* bracket = order->mutable_bracket();
    *bracket = intent.bracket();
    bracket->set_stop_order_id(NextOrderId());
    if (bracket->target_case() != backtest::v1::Bracket::TARGET_NOT_SET) {
      bracket->set_target_order_id(NextOrderId());
    }
  }
  order->set_tag(intent.tag());
  order->set_role(intent.role());
  order->set_strategy(sleeve_.index);
  order->set_initial_stop(intent.has_bracket() ? intent.bracket().stop_loss()
                                               : intent.initial_stop());
  order->set_original_quantity(quantity);
  order->set_sizing_note(std::move(sizing_note));
  // Only an exit intent reduces: a BUY or SHORT against the position is the
  // entry of a reversal, after the exits that flatten it.
  const double held = book_.holdings[symbol].quantity;
  order->set_reduces_position(
      intent.action() != Intent::BUY && intent.action() != Intent::SHORT &&
      direction * held < 0 && quantity <= std::fabs(held));
  // A long's sale pays for the entries sized after it at this step (they
  // fill after it at the same open), estimated at the close like entries.
  if (order->reduces_position() && direction < 0) {
    state.available += quantity * book_.holdings[symbol].last_price;
  }
  book_.working[order->id()] = *order;
  if (!IsProtectiveExit(*order)) {
    state.effective[symbol] += direction * quantity;
  }
  return absl::OkStatus();
}

void Portfolio::End(backtest::v1::PortfolioEndResponse* response) {
  // The run ended after the tentative steps, so every one of them counts.
  committed_through_ = AppliedThrough();
  ForgetTentative();
  const std::vector<int32_t> held = book_.held;
  for (const int32_t symbol : held) {
    const Holding& holding = book_.holdings[symbol];
    const double price = holding.last_price;
    if (close_at_end_) {
      // Closed at the last close without costs, as the spec asks.
      book_.cash = book_.cash + holding.quantity * price;
      Reduce(symbol, std::fabs(holding.quantity), price, 0, 0,
             book_.last_step_time, backtest::v1::END_OF_DATA,
             response->mutable_closed_at_end());
      continue;
    }
    backtest::v1::Trade* trade = response->add_open_trades();
    FillTrade(symbol,
              holding.trade.gross_pnl +
                  (price - holding.average_price) * holding.quantity,
              trade);
    trade->set_exit_time(0);
    trade->set_exit_price(price);
    trade->set_exit_reason(kOpenReason);
  }
  FillView(response->mutable_view());
}

}  // namespace seed::portfolio
