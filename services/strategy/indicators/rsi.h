// Rsi: streaming relative strength index of closes as TTR's RSI computes it
// (Wilder): the up and down moves of the close, each averaged with Wilder's
// smoothing (alpha = 1 / period, seeded with the simple mean of the first
// `period` moves); RSI = 100 * up / (up + down). O(1) per close. Not
// thread-safe: one owner (a strategy's per-symbol state) at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_RSI_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_RSI_H_

#include <cstdint>
#include <optional>

#include "services/strategy/indicators/ema.h"

namespace seed::strategy {

// Example:
//   Rsi rsi(2);
//   rsi.Add(10); rsi.Add(12);  // one move: rsi.value() is empty
//   rsi.Add(11);               // up mean 1, down mean 0.5: 100 * 1 / 1.5
class Rsi {
 public:
  // period >= 1.
  explicit Rsi(int64_t period);

  // close must be finite.
  void Add(double close);

  // Undefined until `period` moves, i.e. period + 1 closes, were added. Also
  // undefined while both averages are zero (no move at all since the start:
  // TTR's 0 / 0 is NaN there).
  std::optional<double> value() const { return value_; }

  int64_t period() const { return gains_.period(); }

 private:
  std::optional<double> previous_close_;
  Ema gains_;   // up moves, 0 on a down move
  Ema losses_;  // down moves as positive numbers, 0 on an up move
  std::optional<double> value_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_RSI_H_
