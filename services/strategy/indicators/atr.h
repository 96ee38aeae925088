// Atr: streaming average true range as TTR's ATR computes it: the true range
// max(high, previous close) - min(low, previous close), which the first bar
// lacks, averaged with Wilder's smoothing (alpha = 1 / period, seeded with the
// simple mean of the first `period` true ranges). O(1) per bar. Not
// thread-safe: one owner (a strategy's per-symbol state) at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_ATR_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_ATR_H_

#include <cstdint>
#include <optional>

#include "services/strategy/indicators/ema.h"

namespace seed::strategy {

// Example:
//   Atr atr(2);
//   atr.Add(11, 9, 10);   // no previous close: no true range yet
//   atr.Add(12, 10, 11);  // true range 12 - 10 = 2
//   atr.Add(14, 12, 13);  // true range 14 - 11 = 3: *atr.value() == 2.5
class Atr {
 public:
  // period >= 1.
  explicit Atr(int64_t period);

  // One bar; prices must be finite.
  void Add(double high, double low, double close);

  // Undefined until `period` true ranges, i.e. period + 1 bars, were added.
  std::optional<double> value() const { return average_.value(); }

  int64_t period() const { return average_.period(); }

 private:
  std::optional<double> previous_close_;
  Ema average_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_ATR_H_
