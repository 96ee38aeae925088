// donchian_breakout: channel breakout with an ATR stop, per symbol. Enters
// long on a close above the highest high of the previous entry_bars bars,
// protects the position with a STOP at entry close - atr_stop x ATR, exits on
// a close below the lowest low of the previous exit_bars bars (or at the
// stop). Direction short mirrors it; both trades either side. Not
// thread-safe (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_DONCHIAN_BREAKOUT_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_DONCHIAN_BREAKOUT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "backtest/v1/market.pb.h"
#include "backtest/v1/orders.pb.h"
#include "services/strategy/indicators/atr.h"
#include "services/strategy/indicators/donchian_channel.h"
#include "services/strategy/intents.h"
#include "services/strategy/registry.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

// Params: entry_bars (int, default 20, [1, 1000]), exit_bars (int, default
// 10, [1, 1000]), atr_length (int, default 14, [1, 1000]), atr_stop (number,
// default 2.0, (0, 100]), direction (long | short | both, default long).
//
// At each bar of a symbol, with channels of the bars before it (the current
// bar excluded) and ATR (Wilder) as of its close; long side (short mirrors):
//   - flat: close > entry channel's high and ATR > 0: MARKET BUY (sized by
//     the portfolio) with initial_stop = close - atr_stop x ATR (skipped when
//     that is not above 0). Any stop of ours still working is cancelled.
//   - long, close < exit channel's low: CANCEL our stop, then MARKET CLOSE
//     (with direction both, then SHORT too if the short entry holds).
//   - long and no stop of ours working (the bar the entry filled): a SELL
//     STOP of the whole position at the entry's initial stop, tag "stop",
//     role STOP_LOSS; a MARKET CLOSE instead when the close is already below
//     it.
//   - a working order of the symbol other than our stop (an entry or exit
//     not yet filled): wait.
// The stop works from the bar after the fill bar (as a bracket's would).
class DonchianBreakout final : public Strategy {
 public:
  static StrategyDefinition Definition();

  absl::Status OnStart(const StartContext& context) override;
  absl::Status OnBar(const backtest::v1::TimeStep& step,
                     const backtest::v1::PortfolioView& portfolio,
                     IntentSink& out) override;

 private:
  struct SymbolState {
    SymbolState(int64_t entry_bars, int64_t exit_bars, int64_t atr_length)
        : entry_channel(entry_bars), exit_channel(exit_bars), atr(atr_length) {}

    DonchianChannel entry_channel;
    DonchianChannel exit_channel;
    Atr atr;
    // The initial stop of the latest entry; 0 before the first.
    double planned_stop = 0;
  };

  // The entry on `side` at this bar, if its rule holds.
  std::optional<backtest::v1::Intent> Entry(
      int32_t symbol, PositionSide side, const backtest::v1::Bar& bar,
      const std::optional<Band>& entry_channel, SymbolState& state) const;

  std::vector<std::string> symbols_;
  std::vector<SymbolState> states_;
  Direction direction_ = Direction::kLong;
  double atr_stop_ = 0;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_DONCHIAN_BREAKOUT_H_
