// Wma: streaming weighted moving average of the last `period` values with
// linear weights 1..period, the newest heaviest (TTR's WMA with its default
// weights): sum(k * x_k) / (period * (period + 1) / 2). O(1) amortized per
// value. Not thread-safe: one owner (a strategy's per-symbol state) at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_WMA_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_WMA_H_

#include <cstdint>
#include <optional>

#include "services/strategy/indicators/exact_sum.h"
#include "services/strategy/indicators/window.h"

namespace seed::strategy {

// Example:
//   Wma wma(3);
//   wma.Add(1); wma.Add(2);  // wma.value() is empty
//   wma.Add(6);              // *wma.value() == (1 + 2 * 2 + 3 * 6) / 6
class Wma {
 public:
  // period >= 1.
  explicit Wma(int64_t period);

  // value must be finite.
  void Add(double value);

  // Undefined (empty) until `period` values were added.
  std::optional<double> value() const { return value_; }

  int64_t period() const { return period_; }

 private:
  int64_t period_;
  Window<double> window_;
  // Both sums are exact, so sliding the weights (subtract the window's sum,
  // add period * the new value) never drifts from the direct weighted sum.
  ExactSum sum_;
  ExactSum weighted_;
  std::optional<double> value_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_WMA_H_
