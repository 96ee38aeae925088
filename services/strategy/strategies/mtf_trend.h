// mtf_trend: an intraday entry filtered by a higher-timeframe trend, per
// symbol. On the symbol's own (intraday) bars, the close crossing its EMA
// gives the timing; the trend is the last CLOSED bar of a higher timeframe
// (hourly, 4-hourly or daily bars the data stage resamples, delivered only
// once their period has ended) against the SMA of that timeframe's closes.
// The direction param (long | short | both) picks the sides: see
// SignalStrategy. Not thread-safe (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_MTF_TREND_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_MTF_TREND_H_

#include "services/strategy/registry.h"
#include "services/strategy/strategies/signal_strategy.h"

namespace seed::strategy {

// Params: timeframe (string, default "1d"; "1h", "4h" or "1d"), ema_length
// (int, default 20, [2, 5000]: the EMA of the symbol's own closes) and
// trend_length (int, default 5, [2, 1000]: the SMA of the timeframe's
// closes), and direction.
//
// Trend: up when the last closed timeframe bar's close is above the SMA of
// the last trend_length timeframe closes (that bar's included), down when
// below; neither until trend_length timeframe bars have closed.
// Rules (long; short mirrors):
//   flat, the close crosses above its EMA (Crossover, sma_cross's rule) and
//   the trend is up: BUY;
//   long, and the close crosses below its EMA or the trend is no longer up:
//   CLOSE.
// Orders, flat/long/short, direction and rejections: see SignalStrategy.
class MtfTrend final : public SignalStrategy {
 public:
  static StrategyDefinition Definition();

 protected:
  SignalRules MakeRules(const ResolvedParams& params) const override;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_MTF_TREND_H_
