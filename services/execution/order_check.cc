#include "services/execution/order_check.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "common/time.h"

namespace seed::execution {
namespace {

using backtest::v1::Order;

constexpr char kStage[] = "execution";

bool Positive(double value) { return std::isfinite(value) && value > 0; }

// The first problem with the order's prices, trail, time in force or
// bracket, as "field: what is wrong"; empty when there is none.
std::string PriceProblem(const Order& order) {
  const std::string type = backtest::v1::OrderType_Name(order.type());
  const bool needs_limit = order.type() == backtest::v1::LIMIT ||
                           order.type() == backtest::v1::STOP_LIMIT;
  const bool needs_stop = order.type() == backtest::v1::STOP ||
                          order.type() == backtest::v1::STOP_LIMIT;
  if (needs_limit && !Positive(order.limit_price())) {
    return absl::StrCat("limit_price must be > 0 for a ", type, " order, got ",
                        order.limit_price());
  }
  if (needs_stop && !Positive(order.stop_price())) {
    return absl::StrCat("stop_price must be > 0 for a ", type, " order, got ",
                        order.stop_price());
  }
  if (order.type() == backtest::v1::TRAILING_STOP) {
    const backtest::v1::Trail& trail = order.trail();
    const double distance = trail.has_amount()    ? trail.amount()
                            : trail.has_percent() ? trail.percent()
                                                  : trail.atr_multiple();
    if (trail.distance_case() == backtest::v1::Trail::DISTANCE_NOT_SET ||
        !Positive(distance)) {
      return "trail: exactly one of amount, percent, atr_multiple must be "
             "set and > 0 for a TRAILING_STOP order";
    }
    if (trail.has_atr_multiple() && !Positive(trail.atr())) {
      return absl::StrCat(
          "trail.atr must be > 0 (the ATR as of the placing bar) for a trail "
          "by atr_multiple, got ",
          trail.atr());
    }
    if (trail.atr_length() < 0) {
      return absl::StrCat("trail.atr_length must be >= 1 (0: 14), got ",
                          trail.atr_length());
    }
    if (!Positive(order.reference_price())) {
      return absl::StrCat(
          "reference_price must be > 0 (the placing bar's close, where a "
          "trailing stop starts), got ",
          order.reference_price());
    }
  }
  if (!backtest::v1::TimeInForce_IsValid(order.time_in_force())) {
    return absl::StrCat("time_in_force ", order.time_in_force(),
                        " is not one of GTC, DAY, BARS");
  }
  if (order.time_in_force() == backtest::v1::BARS && order.tif_bars() < 1) {
    return absl::StrCat("tif_bars must be >= 1 for time in force BARS, got ",
                        order.tif_bars());
  }
  if (!order.has_bracket()) return "";
  const backtest::v1::Bracket& bracket = order.bracket();
  const bool long_entry = order.side() == backtest::v1::BUY;
  const double reference = order.reference_price();
  if (!Positive(reference)) {
    return absl::StrCat(
        "reference_price must be > 0 for a bracket entry (its stop and "
        "target are checked against it), got ",
        reference);
  }
  if (!Positive(bracket.stop_loss()) ||
      (long_entry ? bracket.stop_loss() >= reference
                  : bracket.stop_loss() <= reference)) {
    return absl::StrCat("bracket.stop_loss must be > 0 and ",
                        long_entry ? "below" : "above", " the reference price ",
                        reference, " for a ", long_entry ? "long" : "short",
                        " entry, got ", bracket.stop_loss());
  }
  switch (bracket.target_case()) {
    case backtest::v1::Bracket::kTakeProfit:
      if (long_entry ? bracket.take_profit() <= reference
                     : !(bracket.take_profit() < reference &&
                         bracket.take_profit() > 0)) {
        return absl::StrCat("bracket.take_profit must be ",
                            long_entry ? "above" : "above 0 and below",
                            " the reference price ", reference, " for a ",
                            long_entry ? "long" : "short", " entry, got ",
                            bracket.take_profit());
      }
      break;
    case backtest::v1::Bracket::kTakeProfitR:
      if (!Positive(bracket.take_profit_r())) {
        return absl::StrCat("bracket.take_profit_r must be > 0, got ",
                            bracket.take_profit_r());
      }
      break;
    case backtest::v1::Bracket::TARGET_NOT_SET:
      return "bracket: one of take_profit, take_profit_r must be set";
  }
  if (bracket.stop_order_id() == 0 || bracket.target_order_id() == 0 ||
      bracket.stop_order_id() == bracket.target_order_id() ||
      bracket.stop_order_id() == order.id() ||
      bracket.target_order_id() == order.id()) {
    return absl::StrCat(
        "bracket.stop_order_id and bracket.target_order_id must be two new "
        "non-zero ids, other than the entry's, got ",
        bracket.stop_order_id(), " and ", bracket.target_order_id());
  }
  return "";
}

}  // namespace

absl::Status CheckOrder(const Order& order,
                        const std::vector<std::string>& symbols,
                        absl::string_view where, int64_t step_time) {
  const auto invalid = [&](absl::string_view reason, absl::string_view what,
                           const std::string& symbol) {
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, reason,
        absl::StrCat("order ", order.id(), " (", where, ") sent for step ",
                     FormatTime(step_time), " ", what),
        {.symbol = symbol,
         .bar_time = FormatTime(step_time),
         .hint = "orders come from the portfolio's SizeIntents; check the "
                 "caller that built this one"});
  };
  if (order.symbol() < 0 || order.symbol() >= symbols.size()) {
    return invalid(
        "INVALID_ORDER",
        absl::StrCat("has symbol index ", order.symbol(), " but the run has ",
                     symbols.size(), " symbols"),
        "");
  }
  const std::string& symbol = symbols[order.symbol()];
  if (order.side() != backtest::v1::BUY && order.side() != backtest::v1::SELL) {
    return invalid("INVALID_ORDER",
                   absl::StrCat("for ", symbol, " has side ",
                                backtest::v1::Side_Name(order.side()),
                                "; use BUY or SELL"),
                   symbol);
  }
  if (!Positive(order.quantity())) {
    return invalid("INVALID_ORDER",
                   absl::StrCat("for ", symbol, " has quantity ",
                                order.quantity(), "; it must be > 0"),
                   symbol);
  }
  if (order.type() == backtest::v1::ORDER_TYPE_UNSPECIFIED ||
      !backtest::v1::OrderType_IsValid(order.type())) {
    return invalid(
        "UNSUPPORTED_ORDER_TYPE",
        absl::StrCat("for ", symbol, " has order type ", order.type(),
                     "; use MARKET, LIMIT, STOP, STOP_LIMIT or "
                     "TRAILING_STOP"),
        symbol);
  }
  if (const std::string problem = PriceProblem(order); !problem.empty()) {
    return invalid("INVALID_ORDER", absl::StrCat("for ", symbol, ": ", problem),
                   symbol);
  }
  return absl::OkStatus();
}

}  // namespace seed::execution
