#include "services/strategy/intents.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "services/strategy/param_schema.h"

namespace seed::strategy {
namespace {

using ::backtest::v1::Intent;

constexpr absl::string_view kLong = "long";
constexpr absl::string_view kShort = "short";
constexpr absl::string_view kBoth = "both";

// A MARKET intent with the fields every builder here sets.
Intent Base(int32_t symbol, Intent::Action action, backtest::v1::OrderType type,
            absl::string_view reason, absl::string_view tag) {
  Intent intent;
  intent.set_symbol(symbol);
  intent.set_action(action);
  intent.set_type(type);
  intent.set_quantity(0.0);
  intent.set_reason(std::string(reason));
  intent.set_tag(std::string(tag));
  return intent;
}

// The action that reduces a position on `side` (the whole of it with
// quantity 0), as an order with a price: SELL or COVER.
Intent::Action ReduceAction(PositionSide side) {
  return side == PositionSide::kLong ? Intent::SELL : Intent::COVER;
}

}  // namespace

backtest::v1::ParamSchema DirectionParam(absl::string_view what) {
  return StringParam(
      "direction", kLong,
      {std::string(kLong), std::string(kShort), std::string(kBoth)},
      absl::StrCat(what,
                   "; short: the mirror image (short on the long side's "
                   "exit signal, cover on its entry signal); both: either "
                   "side, reversing when the other side's entry comes"));
}

Direction ParseDirection(absl::string_view text) {
  if (text == kShort) return Direction::kShort;
  if (text == kBoth) return Direction::kBoth;
  return Direction::kLong;
}

bool Allows(Direction direction, PositionSide side) {
  switch (direction) {
    case Direction::kLong:
      return side == PositionSide::kLong;
    case Direction::kShort:
      return side == PositionSide::kShort;
    case Direction::kBoth:
      return true;
  }
  return false;
}

PositionSide Opposite(PositionSide side) {
  return side == PositionSide::kLong ? PositionSide::kShort
                                     : PositionSide::kLong;
}

double PositionQuantity(const backtest::v1::PortfolioView& view,
                        int32_t symbol) {
  for (const backtest::v1::Position& position : view.positions()) {
    if (position.symbol() == symbol) return position.quantity();
  }
  return 0.0;
}

std::vector<const backtest::v1::Order*> WorkingOrders(
    const backtest::v1::PortfolioView& view, int32_t symbol,
    absl::string_view tag) {
  std::vector<const backtest::v1::Order*> orders;
  for (const backtest::v1::Order& order : view.working_orders()) {
    if (order.symbol() == symbol && (tag.empty() || order.tag() == tag)) {
      orders.push_back(&order);
    }
  }
  return orders;
}

Intent MarketEntry(int32_t symbol, PositionSide side, absl::string_view reason,
                   absl::string_view tag) {
  return Base(symbol, side == PositionSide::kLong ? Intent::BUY : Intent::SHORT,
              backtest::v1::MARKET, reason, tag);
}

Intent MarketExit(int32_t symbol, PositionSide side, absl::string_view reason,
                  absl::string_view tag) {
  return Base(symbol,
              side == PositionSide::kLong ? Intent::CLOSE : Intent::COVER,
              backtest::v1::MARKET, reason, tag);
}

Intent BracketEntry(int32_t symbol, PositionSide side, double stop_loss,
                    double take_profit_r, absl::string_view reason,
                    absl::string_view tag) {
  Intent intent = MarketEntry(symbol, side, reason, tag);
  intent.mutable_bracket()->set_stop_loss(stop_loss);
  intent.mutable_bracket()->set_take_profit_r(take_profit_r);
  return intent;
}

Intent ProtectiveStop(int32_t symbol, PositionSide side, double stop_price,
                      absl::string_view reason, absl::string_view tag) {
  Intent intent =
      Base(symbol, ReduceAction(side), backtest::v1::STOP, reason, tag);
  intent.set_stop_price(stop_price);
  intent.set_role(backtest::v1::STOP_LOSS);
  intent.set_time_in_force(backtest::v1::GTC);
  return intent;
}

Intent AtrTrailingExit(int32_t symbol, PositionSide side, double atr_multiple,
                       double atr, int32_t atr_length, absl::string_view reason,
                       absl::string_view tag) {
  Intent intent = Base(symbol, ReduceAction(side), backtest::v1::TRAILING_STOP,
                       reason, tag);
  intent.mutable_trail()->set_atr_multiple(atr_multiple);
  intent.mutable_trail()->set_atr(atr);
  intent.mutable_trail()->set_atr_length(atr_length);
  intent.set_role(backtest::v1::TRAILING);
  intent.set_time_in_force(backtest::v1::GTC);
  return intent;
}

Intent CancelOrder(const backtest::v1::Order& order, absl::string_view reason) {
  Intent intent;
  intent.set_symbol(order.symbol());
  intent.set_action(Intent::CANCEL);
  intent.set_order_id(order.id());
  intent.set_reason(std::string(reason));
  intent.set_tag(order.tag());
  return intent;
}

Intent MoveStop(const backtest::v1::Order& order, double stop_price,
                absl::string_view reason) {
  Intent intent;
  intent.set_symbol(order.symbol());
  intent.set_action(Intent::MODIFY);
  intent.set_order_id(order.id());
  intent.set_stop_price(stop_price);
  intent.set_reason(std::string(reason));
  intent.set_tag(order.tag());
  return intent;
}

}  // namespace seed::strategy
