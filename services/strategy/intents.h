// Intents: the one place strategies build the intents they share (market
// entries and exits by side, bracket entries, protective and trailing stops,
// cancels and modifications of working orders) and read the view for their
// own position and working orders. Besides the sides, the `direction`
// parameter every directional strategy declares. Thread-safe: pure
// functions.
#ifndef SEED_SERVICES_STRATEGY_INTENTS_H_
#define SEED_SERVICES_STRATEGY_INTENTS_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "backtest/v1/orders.pb.h"
#include "backtest/v1/strategy.pb.h"

namespace seed::strategy {

// The side of a position, or of the entry that opens one.
enum class PositionSide { kLong, kShort };

// Which sides a strategy may trade: its `direction` parameter.
enum class Direction { kLong, kShort, kBoth };

// The `direction` parameter: string, default "long", choices long | short |
// both; `what` says what long means for the strategy, e.g. "long: buy the
// cross above, close on the cross below".
backtest::v1::ParamSchema DirectionParam(absl::string_view what);

// The value of a resolved `direction` parameter (one of its choices).
Direction ParseDirection(absl::string_view text);

bool Allows(Direction direction, PositionSide side);

PositionSide Opposite(PositionSide side);

// The signed quantity of `symbol` in the view (0: flat).
double PositionQuantity(const backtest::v1::PortfolioView& view,
                        int32_t symbol);

// The working orders of `symbol` in the view, in the view's order; with a
// non-empty `tag`, only the ones carrying it.
std::vector<const backtest::v1::Order*> WorkingOrders(
    const backtest::v1::PortfolioView& view, int32_t symbol,
    absl::string_view tag = "");

// A MARKET BUY (long) or SHORT (short) of quantity 0: the portfolio's sizing
// rule decides how much.
backtest::v1::Intent MarketEntry(int32_t symbol, PositionSide side,
                                 absl::string_view reason,
                                 absl::string_view tag = "");

// A MARKET exit of the whole position on `side`: CLOSE for a long, COVER for
// a short.
backtest::v1::Intent MarketExit(int32_t symbol, PositionSide side,
                                absl::string_view reason,
                                absl::string_view tag = "");

// MarketEntry with a bracket: a stop-loss at `stop_loss` and a take-profit
// `take_profit_r` times the initial risk from the entry's fill price
// (orders.proto, Bracket). A long's stop must be below the close, a short's
// above (common/intent_check).
backtest::v1::Intent BracketEntry(int32_t symbol, PositionSide side,
                                  double stop_loss, double take_profit_r,
                                  absl::string_view reason,
                                  absl::string_view tag = "");

// A STOP exit of the whole position on `side` (SELL for a long, COVER for a
// short) at `stop_price`, role STOP_LOSS, good till cancelled. A long's stop
// must be at or below the latest close, a short's at or above.
backtest::v1::Intent ProtectiveStop(int32_t symbol, PositionSide side,
                                    double stop_price, absl::string_view reason,
                                    absl::string_view tag);

// A TRAILING_STOP exit of the whole position on `side`, `atr_multiple` times
// the ATR `atr` (the strategy's ATR over `atr_length` bars as of the placing
// bar), role TRAILING, good till cancelled.
backtest::v1::Intent AtrTrailingExit(int32_t symbol, PositionSide side,
                                     double atr_multiple, double atr,
                                     int32_t atr_length,
                                     absl::string_view reason,
                                     absl::string_view tag);

// CANCEL of working order `order`.
backtest::v1::Intent CancelOrder(const backtest::v1::Order& order,
                                 absl::string_view reason);

// MODIFY of working order `order` (a STOP) to a new stop price; the rest of
// the order stays as it is.
backtest::v1::Intent MoveStop(const backtest::v1::Order& order,
                              double stop_price, absl::string_view reason);

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INTENTS_H_
