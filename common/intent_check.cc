#include "common/intent_check.h"

#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "common/stage_error.h"

namespace seed {
namespace {

using backtest::v1::Intent;
using backtest::v1::OrderType;

constexpr char kStage[] = "strategy";
constexpr char kReason[] = "INVALID_INTENT";

std::string Number(double value) { return absl::StrFormat("%.10g", value); }

// Which way an action trades when that is known from the intent alone:
// +1 buys, -1 sells, nullopt for CLOSE and TARGET_* (it depends on the
// position) and for CANCEL / MODIFY (no new order).
std::optional<int> FixedDirection(Intent::Action action) {
  switch (action) {
    case Intent::BUY:
    case Intent::COVER:
      return 1;
    case Intent::SELL:
    case Intent::SHORT:
      return -1;
    default:
      return std::nullopt;
  }
}

bool PlacesAnOrder(Intent::Action action) {
  return action != Intent::CANCEL && action != Intent::MODIFY;
}

// The first problem of an intent as "field value is ...", or "" when none.
class Checker {
 public:
  Checker(const Intent& intent, double close) : intent_(intent), close_(close) {}

  std::string FirstProblem() const {
    if (std::string p = CheckNumbers(); !p.empty()) return p;
    if (std::string p = CheckKind(); !p.empty()) return p;
    if (!PlacesAnOrder(intent_.action())) return CheckAmendment();
    if (std::string p = CheckPrices(); !p.empty()) return p;
    if (std::string p = CheckTimeInForce(); !p.empty()) return p;
    if (std::string p = CheckStopSide(); !p.empty()) return p;
    if (std::string p = CheckBracket(); !p.empty()) return p;
    return CheckInitialStop();
  }

 private:
  std::string CheckNumbers() const {
    const struct {
      const char* field;
      double value;
    } prices[] = {{"limit_price", intent_.limit_price()},
                  {"stop_price", intent_.stop_price()},
                  {"initial_stop", intent_.initial_stop()},
                  {"bracket.stop_loss", intent_.bracket().stop_loss()},
                  {"bracket.take_profit", intent_.bracket().take_profit()},
                  {"bracket.take_profit_r", intent_.bracket().take_profit_r()},
                  {"trail.amount", intent_.trail().amount()},
                  {"trail.percent", intent_.trail().percent()},
                  {"trail.atr_multiple", intent_.trail().atr_multiple()},
                  {"trail.atr", intent_.trail().atr()}};
    for (const auto& price : prices) {
      if (!(std::isfinite(price.value) && price.value >= 0)) {
        return absl::StrCat(price.field, " ", Number(price.value),
                            " is not a finite number >= 0");
      }
    }
    if (!(std::isfinite(intent_.quantity()) && intent_.quantity() >= 0)) {
      return absl::StrCat("quantity ", Number(intent_.quantity()),
                          " is not a finite number >= 0 (0: sized by the "
                          "portfolio or the whole position)");
    }
    if (!std::isfinite(intent_.target())) {
      return absl::StrCat("target ", Number(intent_.target()),
                          " is not finite");
    }
    return "";
  }

  std::string CheckKind() const {
    if (intent_.action() == Intent::ACTION_UNSPECIFIED ||
        !Intent::Action_IsValid(intent_.action())) {
      return absl::StrCat("action ", intent_.action(),
                          " is not one of BUY, SELL, CLOSE, SHORT, COVER, "
                          "TARGET_QUANTITY, TARGET_WEIGHT, CANCEL, MODIFY");
    }
    if (!backtest::v1::OrderType_IsValid(intent_.type())) {
      return absl::StrCat("type ", intent_.type(), " is not an order type");
    }
    if (!backtest::v1::TimeInForce_IsValid(intent_.time_in_force())) {
      return absl::StrCat("time_in_force ", intent_.time_in_force(),
                          " is not a time in force");
    }
    switch (intent_.role()) {
      case backtest::v1::ORDER_ROLE_UNSPECIFIED:
      case backtest::v1::STOP_LOSS:
      case backtest::v1::TAKE_PROFIT:
      case backtest::v1::TRAILING:
        return "";
      default:
        return absl::StrCat("role ", intent_.role(),
                            " is not one a strategy may give (unspecified, "
                            "STOP_LOSS, TAKE_PROFIT, TRAILING)");
    }
  }

  std::string CheckAmendment() const {
    if (intent_.order_id() <= 0) {
      return absl::StrCat("order_id ", intent_.order_id(), " of a ",
                          Intent::Action_Name(intent_.action()),
                          " must be the id (> 0) of a working order");
    }
    if (intent_.has_bracket()) {
      return absl::StrCat("bracket is set on a ",
                          Intent::Action_Name(intent_.action()),
                          "; a bracket belongs to a BUY or SHORT entry");
    }
    if (intent_.time_in_force() == backtest::v1::BARS &&
        intent_.tif_bars() < 1) {
      return absl::StrCat("tif_bars ", intent_.tif_bars(),
                          " must be >= 1 with time_in_force BARS");
    }
    return "";
  }

  std::string CheckPrices() const {
    const OrderType type = intent_.type();
    const bool needs_limit =
        type == backtest::v1::LIMIT || type == backtest::v1::STOP_LIMIT;
    const bool needs_stop =
        type == backtest::v1::STOP || type == backtest::v1::STOP_LIMIT;
    const std::string type_name = backtest::v1::OrderType_Name(type);
    if (needs_limit && intent_.limit_price() <= 0) {
      return absl::StrCat("limit_price ", Number(intent_.limit_price()),
                          " must be > 0 for a ", type_name, " order");
    }
    if (needs_stop && intent_.stop_price() <= 0) {
      return absl::StrCat("stop_price ", Number(intent_.stop_price()),
                          " must be > 0 for a ", type_name, " order");
    }
    const backtest::v1::Trail& trail = intent_.trail();
    if (type == backtest::v1::TRAILING_STOP) {
      if (trail.distance_case() == backtest::v1::Trail::DISTANCE_NOT_SET) {
        return "trail has no distance; a TRAILING_STOP needs exactly one of "
               "trail.amount, trail.percent, trail.atr_multiple";
      }
      const double distance = trail.has_amount()    ? trail.amount()
                              : trail.has_percent() ? trail.percent()
                                                    : trail.atr_multiple();
      if (distance <= 0) {
        return absl::StrCat("trail distance ", Number(distance),
                            " must be > 0");
      }
      if (trail.has_percent() && trail.percent() >= 1) {
        return absl::StrCat("trail.percent ", Number(trail.percent()),
                            " must be a fraction below 1 (0.05 = 5%)");
      }
      if (trail.has_atr_multiple() && trail.atr() <= 0) {
        return absl::StrCat("trail.atr ", Number(trail.atr()),
                            " must be > 0 (the ATR as of the placing bar) "
                            "with trail.atr_multiple");
      }
      if (trail.atr_length() < 0) {
        return absl::StrCat("trail.atr_length ", trail.atr_length(),
                            " must be >= 0 (0: 14)");
      }
    } else if (intent_.has_trail()) {
      return absl::StrCat("trail is set on a ", type_name,
                          " order; only a TRAILING_STOP trails");
    }
    return "";
  }

  std::string CheckTimeInForce() const {
    if (intent_.time_in_force() == backtest::v1::BARS &&
        intent_.tif_bars() < 1) {
      return absl::StrCat("tif_bars ", intent_.tif_bars(),
                          " must be >= 1 with time_in_force BARS");
    }
    if (intent_.time_in_force() != backtest::v1::BARS &&
        intent_.tif_bars() != 0) {
      return absl::StrCat("tif_bars ", intent_.tif_bars(),
                          " is set but time_in_force is ",
                          backtest::v1::TimeInForce_Name(
                              intent_.time_in_force()));
    }
    return "";
  }

  // A stop order buys when the price rises to it and sells when it falls to
  // it, so a buy stop below the close (or a sell stop above) is a mistake.
  std::string CheckStopSide() const {
    const std::optional<int> direction = FixedDirection(intent_.action());
    const OrderType type = intent_.type();
    if (close_ <= 0 || !direction.has_value() ||
        (type != backtest::v1::STOP && type != backtest::v1::STOP_LIMIT)) {
      return "";
    }
    const double stop = intent_.stop_price();
    const std::string action = Intent::Action_Name(intent_.action());
    if (*direction > 0 && stop < close_) {
      return absl::StrCat("stop_price ", Number(stop), " is below the close ",
                          Number(close_), " of a ", action,
                          " stop; a buy stop must be at or above the close");
    }
    if (*direction < 0 && stop > close_) {
      return absl::StrCat("stop_price ", Number(stop), " is above the close ",
                          Number(close_), " of a ", action,
                          " stop; a sell stop must be at or below the close");
    }
    return "";
  }

  std::string CheckBracket() const {
    if (!intent_.has_bracket()) return "";
    const Intent::Action action = intent_.action();
    const std::string action_name = Intent::Action_Name(action);
    if (action != Intent::BUY && action != Intent::SHORT) {
      return absl::StrCat("bracket is set on a ", action_name,
                          "; a bracket belongs to a BUY or SHORT entry");
    }
    const backtest::v1::Bracket& bracket = intent_.bracket();
    if (bracket.stop_order_id() != 0 || bracket.target_order_id() != 0) {
      return absl::StrCat("bracket.stop_order_id ", bracket.stop_order_id(),
                          " / target_order_id ", bracket.target_order_id(),
                          " are set; the portfolio assigns them, leave 0");
    }
    if (bracket.stop_loss() <= 0) {
      return absl::StrCat("bracket.stop_loss ", Number(bracket.stop_loss()),
                          " must be > 0; a bracket needs its stop");
    }
    if (bracket.has_take_profit_r() && bracket.take_profit_r() <= 0) {
      return absl::StrCat("bracket.take_profit_r ",
                          Number(bracket.take_profit_r()), " must be > 0");
    }
    if (bracket.has_take_profit() && bracket.take_profit() <= 0) {
      return absl::StrCat("bracket.take_profit ",
                          Number(bracket.take_profit()), " must be > 0");
    }
    if (std::string p = SideOfClose("bracket.stop_loss", bracket.stop_loss(),
                                    /*is_stop=*/true);
        !p.empty()) {
      return p;
    }
    if (!bracket.has_take_profit()) return "";
    return SideOfClose("bracket.take_profit", bracket.take_profit(),
                       /*is_stop=*/false);
  }

  std::string CheckInitialStop() const {
    if (intent_.initial_stop() == 0) return "";
    const Intent::Action action = intent_.action();
    if (action != Intent::BUY && action != Intent::SHORT) {
      return absl::StrCat("initial_stop is set on a ",
                          Intent::Action_Name(action),
                          "; it belongs to a BUY or SHORT entry");
    }
    return SideOfClose("initial_stop", intent_.initial_stop(),
                       /*is_stop=*/true);
  }

  // A BUY or SHORT entry's stop (`is_stop`) or target `price` against the
  // close: a long's stop belongs below it and its target above, a short's
  // the other way round; at the close is wrong for both. Skipped without a
  // close.
  std::string SideOfClose(absl::string_view field, double price,
                          bool is_stop) const {
    if (close_ <= 0) return "";
    const bool is_long = intent_.action() == Intent::BUY;
    const bool belongs_below = is_long == is_stop;
    if (belongs_below ? price < close_ : price > close_) return "";
    return absl::StrCat(
        field, " ", Number(price), " is ", belongs_below ? "above" : "below",
        " the close ", Number(close_), " of a ",
        Intent::Action_Name(intent_.action()), " entry; a ",
        is_long ? "long" : "short", "'s ", is_stop ? "stop" : "target",
        " must be ", belongs_below ? "below" : "above");
  }

  const Intent& intent_;
  const double close_;
};

}  // namespace

absl::Status CheckIntent(const Intent& intent, int intent_index,
                         absl::Span<const std::string> symbols,
                         double reference_close) {
  if (intent.symbol() < 0 || intent.symbol() >= symbols.size()) {
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, kReason,
        absl::StrCat("intent ", intent_index, ": symbol index ",
                     intent.symbol(), " is out of range; the run has ",
                     symbols.size(), " symbols (0 to ", symbols.size() - 1,
                     ")"),
        {.hint = "intents index the run's symbol table (data.symbols)"});
  }
  const std::string& name = symbols[intent.symbol()];
  const std::string problem = Checker(intent, reference_close).FirstProblem();
  if (problem.empty()) return absl::OkStatus();
  return StageFailure(
      absl::StatusCode::kInvalidArgument, kStage, kReason,
      absl::StrCat("intent ", intent_index, " for ", name, ": ", problem),
      {.symbol = name,
       .hint = "the strategy produced this intent; fix it there"});
}

}  // namespace seed
