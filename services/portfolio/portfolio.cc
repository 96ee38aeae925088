#include "services/portfolio/portfolio.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/stage_error.h"
#include "common/time.h"

namespace seed::portfolio {
namespace {

using backtest::v1::ApplyStepRequest;
using backtest::v1::ApplyStepResponse;
using backtest::v1::Fill;
using backtest::v1::Intent;
using backtest::v1::SizeIntentsRequest;
using backtest::v1::SizeIntentsResponse;

constexpr char kStage[] = "portfolio";

// The reason orders from strategy intents carry; it becomes a trade's exit
// reason when such an order closes it.
constexpr char kSignalReason[] = "signal";

// Exit reason of a trade still open when the run ends.
constexpr char kOpenReason[] = "open";

}  // namespace

Portfolio::Portfolio(double initial_cash, std::vector<std::string> symbols,
                     std::unique_ptr<SizingRule> sizing)
    : symbols_(std::move(symbols)),
      sizing_(std::move(sizing)),
      cash_(initial_cash),
      holdings_(symbols_.size()) {}

absl::Status Portfolio::CheckStep(const ApplyStepRequest& request) const {
  const int64_t time = request.step().time();
  const auto invalid = [&](const std::string& what) {
    return StageFailure(absl::StatusCode::kInvalidArgument, kStage,
                        "INVALID_STEP",
                        absl::StrCat("step ", FormatTime(time), " ", what),
                        {.bar_time = FormatTime(time)});
  };
  for (const backtest::v1::Bar& bar : request.step().bars()) {
    if (bar.symbol() < 0 || bar.symbol() >= symbols_.size()) {
      return invalid(absl::StrCat("has a bar for symbol index ", bar.symbol(),
                                  " but the run has ", symbols_.size(),
                                  " symbols"));
    }
  }
  for (const Fill& fill : request.fills()) {
    if (fill.symbol() < 0 || fill.symbol() >= symbols_.size()) {
      return invalid(absl::StrCat(
          "has a fill of order ", fill.order_id(), " for symbol index ",
          fill.symbol(), " but the run has ", symbols_.size(), " symbols"));
    }
    if (fill.side() != backtest::v1::BUY && fill.side() != backtest::v1::SELL) {
      return invalid(absl::StrCat("has a fill of order ", fill.order_id(),
                                  " with side ", Side_Name(fill.side()),
                                  "; fills are BUY or SELL"));
    }
    if (!(std::isfinite(fill.quantity()) && fill.quantity() > 0)) {
      return invalid(absl::StrCat("has a fill of order ", fill.order_id(),
                                  " with quantity ", fill.quantity(),
                                  "; fills are for a positive quantity"));
    }
  }
  return absl::OkStatus();
}

absl::Status Portfolio::ApplyStep(const ApplyStepRequest& request,
                                  ApplyStepResponse* response) {
  if (absl::Status status = CheckStep(request); !status.ok()) return status;
  for (const Fill& fill : request.fills()) {
    if (absl::Status status = ApplyFill(fill, response); !status.ok()) {
      return status;
    }
  }
  for (const backtest::v1::Bar& bar : request.step().bars()) {
    Holding& holding = holdings_[bar.symbol()];
    holding.last_price = bar.close();
    holding.has_price = true;
  }
  last_step_time_ = request.step().time();
  FillView(response->mutable_view());
  return absl::OkStatus();
}

absl::Status Portfolio::ApplyFill(const Fill& fill,
                                  ApplyStepResponse* response) {
  const int32_t symbol = fill.symbol();
  if (fill.side() == backtest::v1::BUY) {
    Buy(symbol, fill);
    return absl::OkStatus();
  }
  const double held = holdings_[symbol].quantity;
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
  Sell(symbol, fill, response);
  return absl::OkStatus();
}

void Portfolio::Buy(int32_t symbol, const Fill& fill) {
  Holding& holding = holdings_[symbol];
  const double quantity = fill.quantity();
  const double price = fill.price();
  // Two separate steps, in this order, as backtrader's broker does them.
  cash_ = cash_ - quantity * price;
  cash_ = cash_ - fill.commission();
  if (holding.quantity == 0) {
    holding.quantity = quantity;
    // From flat the average is the price itself (q * p / q may be 1 ulp off).
    holding.average_price = price;
    holding.trade = {.entry_time = fill.time(),
                     .max_quantity = quantity,
                     .commission = fill.commission()};
    held_.insert(std::lower_bound(held_.begin(), held_.end(), symbol), symbol);
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

void Portfolio::Sell(int32_t symbol, const Fill& fill,
                     ApplyStepResponse* response) {
  Holding& holding = holdings_[symbol];
  OpenTrade& trade = holding.trade;
  const double quantity = fill.quantity();
  const double price = fill.price();
  cash_ = cash_ + quantity * price;
  cash_ = cash_ - fill.commission();
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

  backtest::v1::Trade* closed = response->add_closed_trades();
  FillTradeEntry(symbol, closed);
  closed->set_exit_time(fill.time());
  closed->set_exit_price(trade.exit_price);
  closed->set_gross_pnl(trade.gross_pnl);
  closed->set_net_pnl(trade.gross_pnl - trade.commission);
  closed->set_exit_reason(fill.reason());
  holding.quantity = 0;
  holding.average_price = 0;
  holding.trade = {};
  held_.erase(std::lower_bound(held_.begin(), held_.end(), symbol));
}

void Portfolio::FillTradeEntry(int32_t symbol,
                               backtest::v1::Trade* trade) const {
  const Holding& holding = holdings_[symbol];
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
  for (const int32_t symbol : held_) {
    positions_value = positions_value +
                      holdings_[symbol].quantity * holdings_[symbol].last_price;
  }
  return cash_ + positions_value;
}

void Portfolio::FillView(backtest::v1::PortfolioView* view) const {
  view->set_time(last_step_time_);
  view->set_cash(cash_);
  view->set_equity(Equity());
  for (const int32_t symbol : held_) {
    const Holding& holding = holdings_[symbol];
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
  const int64_t time = request.time();
  const double equity = Equity();
  double available_cash = cash_;
  for (const Intent& intent : request.intents()) {
    const int32_t symbol = intent.symbol();
    const std::string& name = symbols_[symbol];
    Holding& holding = holdings_[symbol];
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

void Portfolio::End(backtest::v1::PortfolioEndResponse* response) const {
  FillView(response->mutable_view());
  for (const int32_t symbol : held_) {
    const Holding& holding = holdings_[symbol];
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
