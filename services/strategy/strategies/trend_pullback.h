// trend_pullback: buy the resumption after a pullback in an uptrend, with a
// bracket, per symbol. In an uptrend (close above the long SMA), a close
// below the short SMA arms the setup; the next close back above it enters
// with a stop-loss at the swing low (the lowest low of the last swing_bars
// bars) and a take-profit target_r times the initial risk. Direction short
// mirrors it; both trades either side. Not thread-safe (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_TREND_PULLBACK_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_TREND_PULLBACK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "backtest/v1/market.pb.h"
#include "backtest/v1/orders.pb.h"
#include "services/strategy/indicators/donchian_channel.h"
#include "services/strategy/indicators/sma.h"
#include "services/strategy/intents.h"
#include "services/strategy/registry.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

// Params: trend_length (int, default 50, [2, 5000]), pullback_length (int,
// default 5, [1, 1000]), pullback_length < trend_length; swing_bars (int,
// default 5, [1, 1000]); target_r (number, default 2.0, (0, 100]); direction
// (long | short | both, default long).
//
// At each bar of a symbol, after updating SMA(trend_length) and
// SMA(pullback_length) of closes and the swing channel (highest high and
// lowest low of the last swing_bars bars, this one included); long side
// (short mirrors with a downtrend, a rally above the short SMA and the swing
// high):
//   - in a position, or with a working order of the symbol (the entry, or
//     the bracket's exits): nothing, and the setup is disarmed; the bracket
//     is the only exit.
//   - flat, close <= SMA(trend_length): no uptrend, disarmed.
//   - flat, uptrend, close < SMA(pullback_length): armed (the pullback).
//   - flat, uptrend, armed, close > SMA(pullback_length): MARKET BUY (sized
//     by the portfolio) with bracket stop_loss = the swing low and
//     take_profit_r = target_r, when the swing low is above 0 and below the
//     close; disarmed.
class TrendPullback final : public Strategy {
 public:
  static StrategyDefinition Definition();

  absl::Status OnStart(const StartContext& context) override;
  absl::Status OnBar(const backtest::v1::TimeStep& step,
                     const backtest::v1::PortfolioView& portfolio,
                     IntentSink& out) override;

 private:
  struct SymbolState {
    SymbolState(int64_t trend_length, int64_t pullback_length,
                int64_t swing_bars)
        : trend(trend_length), pullback(pullback_length), swing(swing_bars) {}

    Sma trend;
    Sma pullback;
    DonchianChannel swing;
    bool armed_long = false;
    bool armed_short = false;
  };

  // The entry on `side` at this bar, if its rule holds; updates the setup.
  std::optional<backtest::v1::Intent> Entry(int32_t symbol, PositionSide side,
                                            const backtest::v1::Bar& bar,
                                            SymbolState& state) const;

  std::vector<std::string> symbols_;
  std::vector<SymbolState> states_;
  Direction direction_ = Direction::kLong;
  double target_r_ = 0;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_TREND_PULLBACK_H_
