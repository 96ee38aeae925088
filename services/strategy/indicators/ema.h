// Ema: streaming exponential moving average as TTR's EMA computes it: seeded
// with the simple mean of the first `period` values, then
// ema = value * alpha + ema * (1 - alpha) with alpha = 2 / (period + 1), or
// alpha = 1 / period for Wilder's smoothing (RSI, ATR). O(1) per value. Not
// thread-safe: one owner (a strategy's per-symbol state) at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_EMA_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_EMA_H_

#include <cstdint>
#include <optional>

#include "services/strategy/indicators/exact_sum.h"

namespace seed::strategy {

// Example:
//   Ema ema(3);                 // alpha = 0.5
//   ema.Add(1); ema.Add(2);     // ema.value() is empty
//   ema.Add(6);                 // *ema.value() == 3.0, the seed (1 + 2 + 6) /
//   3 ema.Add(5);                 // *ema.value() == 4.0, 5 * 0.5 + 3 * 0.5
class Ema {
 public:
  // period >= 1; alpha = 2 / (period + 1).
  explicit Ema(int64_t period);

  // Wilder's smoothing: alpha = 1 / period (TTR's EMA(wilder = TRUE)).
  static Ema Wilder(int64_t period);

  // value must be finite.
  void Add(double value);

  // Undefined (empty) until `period` values were added.
  std::optional<double> value() const { return value_; }

  int64_t period() const { return period_; }

 private:
  Ema(int64_t period, double alpha);

  int64_t period_;
  double alpha_;
  // 1 - alpha, once: TTR's recurrence multiplies by it, and matching its
  // arithmetic keeps MACD values near zero within 1e-9 of TTR's.
  double keep_;
  int64_t count_ = 0;
  ExactSum seed_;  // the first `period` values
  std::optional<double> value_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_EMA_H_
