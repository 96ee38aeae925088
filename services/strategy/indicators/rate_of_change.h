// RateOfChange: streaming rate of change over `period` bars, x_t / x_{t-n} - 1
// (TTR's ROC with type = "discrete"; a fraction, not a percentage). O(1) per
// value. Not thread-safe: one owner at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_RATE_OF_CHANGE_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_RATE_OF_CHANGE_H_

#include <cstdint>
#include <optional>

#include "services/strategy/indicators/window.h"

namespace seed::strategy {

// Example:
//   RateOfChange roc(2);
//   roc.Add(100); roc.Add(90);  // roc.value() is empty
//   roc.Add(110);               // 110 / 100 - 1: *roc.value() == 0.1 (about)
class RateOfChange {
 public:
  // period >= 1.
  explicit RateOfChange(int64_t period);

  // value must be finite.
  void Add(double value);

  // Undefined until period + 1 values were added, and when x_{t-n} is 0
  // (TTR gives Inf or NaN there; prices are positive).
  std::optional<double> value() const { return value_; }

  int64_t period() const { return period_; }

 private:
  int64_t period_;
  Window<double> window_;  // the last `period` values: the oldest is x_{t-n}
  std::optional<double> value_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_RATE_OF_CHANGE_H_
