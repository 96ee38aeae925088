// Sma: streaming simple moving average of the last `period` values, as
// backtrader computes it (math.fsum(window) / period), so trades can be
// compared with backtrader bar by bar. O(1) amortized per value. Not
// thread-safe: one owner (a strategy's per-symbol state) at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_SMA_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_SMA_H_

#include <cstdint>
#include <optional>

#include "services/strategy/indicators/exact_sum.h"
#include "services/strategy/indicators/window.h"

namespace seed::strategy {

// Example:
//   Sma sma(3);
//   sma.Add(1); sma.Add(2);  // sma.value() is empty: fewer than 3 values
//   sma.Add(6);              // *sma.value() == 3.0
class Sma {
 public:
  // period >= 1 (parameter schemas enforce it before a strategy builds one).
  explicit Sma(int64_t period);

  // value must be finite (see ExactSum).
  void Add(double value);

  // Undefined (empty) until `period` values were added.
  std::optional<double> value() const { return value_; }

  int64_t period() const { return period_; }

 private:
  int64_t period_;
  // The value leaving the window is subtracted exactly.
  Window<double> window_;
  ExactSum sum_;
  std::optional<double> value_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_SMA_H_
