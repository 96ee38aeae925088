// RollingStdDev: streaming POPULATION standard deviation (divisor period, not
// period - 1; TTR's runSD(sample = FALSE)) and mean of the last `period`
// values. Exact sums of the values and their squares make it free of
// catastrophic cancellation (1e4 +- 0.01 keeps all its digits) and of drift.
// O(1) amortized per value. Not thread-safe: one owner at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_ROLLING_STD_DEV_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_ROLLING_STD_DEV_H_

#include <cstdint>
#include <optional>

#include "services/strategy/indicators/exact_sum.h"
#include "services/strategy/indicators/window.h"

namespace seed::strategy {

// Example:
//   RollingStdDev sd(2);
//   sd.Add(1);  // sd.value() is empty
//   sd.Add(3);  // *sd.value() == 1.0 (not sqrt(2)), *sd.mean() == 2.0
class RollingStdDev {
 public:
  // period >= 1.
  explicit RollingStdDev(int64_t period);

  // value must be finite, and its square must stay a normal double.
  void Add(double value);

  // Undefined (empty) until `period` values were added.
  std::optional<double> value() const { return value_; }

  // The window's mean, bit for bit Sma's: defined exactly when value() is.
  std::optional<double> mean() const { return mean_; }

  int64_t period() const { return period_; }

 private:
  int64_t period_;
  Window<double> window_;
  ExactSum sum_;
  ExactSum squares_;
  std::optional<double> mean_;
  std::optional<double> value_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_ROLLING_STD_DEV_H_
