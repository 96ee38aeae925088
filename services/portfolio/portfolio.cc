#include "services/portfolio/portfolio.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/stage_error.h"
#include "common/time.h"

namespace seed::portfolio {
namespace {

using backtest::v1::ApplyStepsRequest;
using backtest::v1::ApplyStepsResponse;
using backtest::v1::Fill;
using backtest::v1::Intent;
using backtest::v1::SizeIntentsRequest;
using backtest::v1::SizeIntentsResponse;
using backtest::v1::TimeStep;
using Trades = google::protobuf::RepeatedPtrField<backtest::v1::Trade>;

constexpr char kStage[] = "portfolio";

// The reason orders from strategy intents carry; it becomes a trade's exit
// reason when such an order closes it.
constexpr char kSignalReason[] = "signal";

// Exit reason of a trade still open when the run ends.
constexpr char kOpenReason[] = "open";

}  // namespace

Portfolio::Portfolio(double initial_cash, std::vector<std::string> symbols,
                     std::unique_ptr<SizingRule> sizing)
    : symbols_(std::move(symbols)), sizing_(std::move(sizing)) {
  book_.cash = initial_cash;
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
  const int64_t first_index = request.steps(0).index();
  // The first step not before the fill being checked: fills and steps are
  // both in time order, so one walk matches them.
  int step = 0;
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
    if (i > 0 && fill.time() < request.fills(i - 1).time()) {
      return invalid(absl::StrCat("comes after fill ", i - 1, " dated ",
                                  FormatTime(request.fills(i - 1).time()),
                                  "; fills come in time order"));
    }
    while (step < request.steps_size() &&
           request.steps(step).time() < fill.time()) {
      ++step;
    }
    if (step == request.steps_size() ||
        request.steps(step).time() != fill.time()) {
      return invalid(absl::StrCat(
          "is not at the time of any step of the call (steps ", first_index,
          " to ", first_index + request.steps_size() - 1, ")"));
    }
  }
  return absl::OkStatus();
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
}

absl::Status Portfolio::ApplySteps(const ApplyStepsRequest& request,
                                   ApplyStepsResponse* response) {
  response->Clear();
  if (absl::Status status = CheckSteps(request); !status.ok()) return status;
  if (absl::Status status = CheckFills(request); !status.ok()) return status;
  const TimeStep& first = request.steps(0);
  if (absl::Status status = Resolve(first.index() - 1, "ApplySteps starting at",
                                    first.index(), first.time());
      !status.ok()) {
    return status;
  }

  // Record first and apply from the record, so a later cut applies the
  // consumed steps again by the very same code.
  tentative_.before = book_;
  tentative_.fills = request.fills();
  int fills_end = 0;
  for (const TimeStep& step : request.steps()) {
    for (const backtest::v1::Bar& bar : step.bars()) {
      tentative_.marks.push_back({bar.symbol(), bar.close()});
    }
    while (fills_end < request.fills_size() &&
           request.fills(fills_end).time() == step.time()) {
      ++fills_end;
    }
    tentative_.steps.push_back(
        {step.time(), tentative_.marks.size(), fills_end});
  }

  response->mutable_views()->Reserve(request.steps_size());
  for (size_t k = 0; k < tentative_.steps.size(); ++k) {
    if (absl::Status status =
            ApplyRecordedStep(k, response->mutable_closed_trades());
        !status.ok()) {
      return status;
    }
    FillView(response->add_views());
  }
  return absl::OkStatus();
}

absl::Status Portfolio::ApplyRecordedStep(size_t k, Trades* closed) {
  const RecordedStep& step = tentative_.steps[k];
  for (int i = k == 0 ? 0 : tentative_.steps[k - 1].fills_end;
       i < step.fills_end; ++i) {
    if (absl::Status status = ApplyFill(tentative_.fills.Get(i), closed);
        !status.ok()) {
      return status;
    }
  }
  for (size_t m = k == 0 ? 0 : tentative_.steps[k - 1].marks_end;
       m < step.marks_end; ++m) {
    Holding& holding = book_.holdings[tentative_.marks[m].symbol];
    holding.last_price = tentative_.marks[m].close;
    holding.has_price = true;
  }
  book_.last_step_time = step.time;
  return absl::OkStatus();
}

absl::Status Portfolio::ApplyFill(const Fill& fill, Trades* closed) {
  const int32_t symbol = fill.symbol();
  if (fill.side() == backtest::v1::BUY) {
    Buy(symbol, fill);
    return absl::OkStatus();
  }
  const double held = book_.holdings[symbol].quantity;
  if (fill.quantity() > held) {
    return StageFailure(
        absl::StatusCode::kInternal, kStage, "POSITION_WOULD_GO_SHORT",
        absl::StrFormat("a sell fill of %.10g %s (order %d) at %s exceeds the "
                        "%.10g held; the portfolio never places such an order, "
                        "so the fill did not come from its orders",
                        fill.quantity(), symbols_[symbol], fill.order_id(),
                        FormatTime(fill.time()), held),
        {.symbol = symbols_[symbol], .bar_time = FormatTime(fill.time())});
  }
  Sell(symbol, fill, closed);
  return absl::OkStatus();
}

void Portfolio::Buy(int32_t symbol, const Fill& fill) {
  Holding& holding = book_.holdings[symbol];
  const double quantity = fill.quantity();
  const double price = fill.price();
  // Two separate steps, in this order, as backtrader's broker does them.
  book_.cash = book_.cash - quantity * price;
  book_.cash = book_.cash - fill.commission();
  if (holding.quantity == 0) {
    holding.quantity = quantity;
    // From flat the average is the price itself (q * p / q may be 1 ulp off).
    holding.average_price = price;
    holding.trade = {.entry_time = fill.time(),
                     .max_quantity = quantity,
                     .commission = fill.commission()};
    book_.held.insert(
        std::lower_bound(book_.held.begin(), book_.held.end(), symbol), symbol);
    return;
  }
  const double old_quantity = holding.quantity;
  holding.quantity = old_quantity + quantity;
  holding.average_price =
      (old_quantity * holding.average_price + quantity * price) /
      holding.quantity;
  holding.trade.max_quantity =
      std::max(holding.trade.max_quantity, holding.quantity);
  holding.trade.commission = holding.trade.commission + fill.commission();
}

void Portfolio::Sell(int32_t symbol, const Fill& fill, Trades* closed) {
  Holding& holding = book_.holdings[symbol];
  OpenTrade& trade = holding.trade;
  const double quantity = fill.quantity();
  const double price = fill.price();
  book_.cash = book_.cash + quantity * price;
  book_.cash = book_.cash - fill.commission();
  trade.commission = trade.commission + fill.commission();
  trade.gross_pnl =
      trade.gross_pnl + (price - holding.average_price) * quantity;
  trade.exit_price =
      trade.exit_quantity == 0
          ? price
          : (trade.exit_quantity * trade.exit_price + quantity * price) /
                (trade.exit_quantity + quantity);
  trade.exit_quantity = trade.exit_quantity + quantity;
  holding.quantity = holding.quantity - quantity;
  holding.pending_sell = std::max(0.0, holding.pending_sell - quantity);
  if (holding.quantity > 0) return;

  if (closed != nullptr) {
    backtest::v1::Trade* trade_out = closed->Add();
    FillTradeEntry(symbol, trade_out);
    trade_out->set_exit_time(fill.time());
    trade_out->set_exit_price(trade.exit_price);
    trade_out->set_gross_pnl(trade.gross_pnl);
    trade_out->set_net_pnl(trade.gross_pnl - trade.commission);
    trade_out->set_exit_reason(fill.reason());
  }
  holding.quantity = 0;
  holding.average_price = 0;
  holding.trade = {};
  book_.held.erase(
      std::lower_bound(book_.held.begin(), book_.held.end(), symbol));
}

void Portfolio::FillTradeEntry(int32_t symbol,
                               backtest::v1::Trade* trade) const {
  const Holding& holding = book_.holdings[symbol];
  trade->set_symbol(symbols_[symbol]);
  trade->set_side(backtest::v1::BUY);
  trade->set_entry_time(holding.trade.entry_time);
  trade->set_entry_price(holding.average_price);
  trade->set_quantity(holding.trade.max_quantity);
  trade->set_commission(holding.trade.commission);
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

void Portfolio::FillView(backtest::v1::PortfolioView* view) const {
  view->set_time(book_.last_step_time);
  view->set_cash(book_.cash);
  view->set_equity(Equity());
  for (const int32_t symbol : book_.held) {
    const Holding& holding = book_.holdings[symbol];
    backtest::v1::Position* position = view->add_positions();
    position->set_symbol(symbol);
    position->set_quantity(holding.quantity);
    position->set_average_price(holding.average_price);
    position->set_last_price(holding.last_price);
    position->set_market_value(holding.quantity * holding.last_price);
    position->set_entry_time(holding.trade.entry_time);
  }
}

absl::Status Portfolio::CheckIntents(const SizeIntentsRequest& request) const {
  for (int i = 0; i < request.intents_size(); ++i) {
    const Intent& intent = request.intents(i);
    std::string problem;
    if (intent.symbol() < 0 || intent.symbol() >= symbols_.size()) {
      problem = absl::StrCat("has symbol index ", intent.symbol(),
                             " but the run has ", symbols_.size(), " symbols");
    } else if (intent.action() != Intent::BUY &&
               intent.action() != Intent::SELL &&
               intent.action() != Intent::CLOSE) {
      problem =
          absl::StrCat("has action ", Intent::Action_Name(intent.action()),
                       " (", intent.action(), "); use BUY, SELL or CLOSE");
    } else if (!(std::isfinite(intent.quantity()) && intent.quantity() >= 0)) {
      problem = absl::StrCat("has quantity ", intent.quantity(),
                             "; use 0 (sized by the portfolio) or more");
    }
    if (!problem.empty()) {
      return StageFailure(
          absl::StatusCode::kInvalidArgument, kStage, "INVALID_INTENT",
          absl::StrCat("intent ", i, " at ", FormatTime(request.time()), " ",
                       problem),
          {.bar_time = FormatTime(request.time()),
           .hint = "the strategy produced this intent; fix it there"});
    }
  }
  return absl::OkStatus();
}

absl::Status Portfolio::SizeIntents(const SizeIntentsRequest& request,
                                    SizeIntentsResponse* response) {
  if (absl::Status status = CheckIntents(request); !status.ok()) return status;
  if (absl::Status status = Resolve(request.step_index(), "SizeIntents at",
                                    request.step_index(), request.time());
      !status.ok()) {
    return status;
  }
  const int64_t time = request.time();
  const double equity = Equity();
  double available_cash = book_.cash;
  for (const Intent& intent : request.intents()) {
    const int32_t symbol = intent.symbol();
    const std::string& name = symbols_[symbol];
    Holding& holding = book_.holdings[symbol];
    const backtest::v1::Side side =
        intent.action() == Intent::BUY ? backtest::v1::BUY : backtest::v1::SELL;
    const auto reject = [&](double quantity, absl::string_view code,
                            std::string message) {
      backtest::v1::Rejection* rejection = response->add_rejections();
      rejection->set_symbol(symbol);
      rejection->set_side(side);
      rejection->set_quantity(quantity);
      rejection->set_time(time);
      rejection->set_stage(kStage);
      rejection->set_code(std::string(code));
      rejection->set_message(std::move(message));
    };

    double quantity = intent.quantity();
    if (side == backtest::v1::BUY) {
      if (!holding.has_price) {
        reject(quantity, "NO_PRICE",
               absl::StrCat("BUY ", name, ": no close of ", name,
                            " seen yet to size or price the order; buy a "
                            "symbol only after it has had a bar"));
        continue;
      }
      if (quantity == 0) {
        const SizingContext context{.available_cash = available_cash,
                                    .equity = equity,
                                    .close = holding.last_price};
        quantity = sizing_->Quantity(context);
        // A close of 0 would size to infinity: refused like a zero size.
        if (!(std::isfinite(quantity) && quantity > 0)) {
          reject(quantity, "SIZE_ZERO",
                 absl::StrCat("BUY ", name, " sized to no shares: ",
                              sizing_->Explain(context)));
          continue;
        }
      }
      available_cash = available_cash - quantity * holding.last_price;
    } else {
      const double sellable = holding.quantity - holding.pending_sell;
      if (intent.action() == Intent::CLOSE || quantity == 0) {
        if (sellable <= 0) {
          reject(0, "NO_POSITION",
                 absl::StrFormat("%s %s: no position left to sell (held "
                                 "%.10g, %.10g already being sold)",
                                 Intent::Action_Name(intent.action()), name,
                                 holding.quantity, holding.pending_sell));
          continue;
        }
        quantity = sellable;
      } else if (quantity > sellable) {
        reject(quantity, "SHORT_NOT_ALLOWED",
               absl::StrFormat("SELL %.10g %s: only %.10g can be sold (held "
                               "%.10g, %.10g already being sold); this is a "
                               "cash account, so shorting is not supported",
                               quantity, name, std::max(sellable, 0.0),
                               holding.quantity, holding.pending_sell));
        continue;
      }
      holding.pending_sell = holding.pending_sell + quantity;
    }

    backtest::v1::Order* order = response->add_orders();
    order->set_id(next_order_id_++);
    order->set_symbol(symbol);
    order->set_side(side);
    order->set_quantity(quantity);
    order->set_type(intent.type() == backtest::v1::ORDER_TYPE_UNSPECIFIED
                        ? backtest::v1::MARKET
                        : intent.type());
    order->set_placed_time(time);
    order->set_reference_price(holding.last_price);
    order->set_reason(kSignalReason);
  }
  return absl::OkStatus();
}

void Portfolio::End(backtest::v1::PortfolioEndResponse* response) {
  // The run ended after the tentative steps, so every one of them counts.
  committed_through_ = AppliedThrough();
  ForgetTentative();
  FillView(response->mutable_view());
  for (const int32_t symbol : book_.held) {
    const Holding& holding = book_.holdings[symbol];
    const double gross_pnl =
        holding.trade.gross_pnl +
        (holding.last_price - holding.average_price) * holding.quantity;
    backtest::v1::Trade* trade = response->add_open_trades();
    FillTradeEntry(symbol, trade);
    trade->set_exit_time(0);
    trade->set_exit_price(holding.last_price);
    trade->set_gross_pnl(gross_pnl);
    trade->set_net_pnl(gross_pnl - holding.trade.commission);
    trade->set_exit_reason(kOpenReason);
  }
}

}  // namespace seed::portfolio
