// atr_trailing_stop: trend entry, ATR trailing exit, per symbol. Enters long
// when the close crosses above its SMA and leaves only through a
// TRAILING_STOP order that follows the highest high at atr_multiple times
// the ATR. Direction short mirrors it; both also reverses on the opposite
// cross. Not thread-safe (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_ATR_TRAILING_STOP_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_ATR_TRAILING_STOP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "backtest/v1/market.pb.h"
#include "backtest/v1/orders.pb.h"
#include "services/strategy/indicators/atr.h"
#include "services/strategy/indicators/sma.h"
#include "services/strategy/intents.h"
#include "services/strategy/registry.h"
#include "services/strategy/strategies/moving_average_cross.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

// Params: sma_length (int, default 50, [1, 5000]), atr_length (int, default
// 14, [1, 1000]), atr_multiple (number, default 3.0, (0, 100]), direction
// (long | short | both, default long).
//
// At each bar of a symbol, after updating SMA(sma_length) of closes and
// ATR(atr_length) (Wilder) with it; long side (short mirrors):
//   - flat: the close crosses above the SMA (Crossover: the close vs the
//     SMA) and ATR > 0: MARKET BUY (sized by the portfolio), initial_stop =
//     close - atr_multiple x ATR when above 0. A trailing stop of ours still
//     working is cancelled.
//   - long and no trailing stop of ours working (the bar the entry filled):
//     a SELL TRAILING_STOP of the whole position, Trail.atr_multiple =
//     atr_multiple, Trail.atr = the ATR as of this bar, Trail.atr_length =
//     atr_length, tag "trail", role TRAILING. Execution trails it from this
//     bar's close and carries the ATR forward.
//   - long, direction both, the close crosses below the SMA: CANCEL the
//     trailing stop, MARKET CLOSE, then the short entry.
//   - a working order of the symbol other than our trailing stop: wait.
// The only other exit is the trailing stop itself.
class AtrTrailingStop final : public Strategy {
 public:
  static StrategyDefinition Definition();

  absl::Status OnStart(const StartContext& context) override;
  absl::Status OnBar(const backtest::v1::TimeStep& step,
                     const backtest::v1::PortfolioView& portfolio,
                     IntentSink& out) override;

 private:
  struct SymbolState {
    SymbolState(int64_t sma_length, int64_t atr_length)
        : sma(sma_length), atr(atr_length) {}

    Sma sma;
    Atr atr;
    Crossover cross;  // the close against the SMA
  };

  // The entry on `side` at this bar, if its rule holds.
  std::optional<backtest::v1::Intent> Entry(int32_t symbol, PositionSide side,
                                            const backtest::v1::Bar& bar,
                                            const SymbolState& state) const;

  std::vector<std::string> symbols_;
  std::vector<SymbolState> states_;
  Direction direction_ = Direction::kLong;
  double atr_multiple_ = 0;
  int32_t atr_length_ = 0;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_ATR_TRAILING_STOP_H_
