#include "services/strategy/indicators/rolling_std_dev.h"

#include <cmath>

namespace seed::strategy {

RollingStdDev::RollingStdDev(int64_t period)
    : period_(period), window_(period) {}

void RollingStdDev::Add(double value) {
  if (const std::optional<double> evicted = window_.Push(value)) {
    sum_.Add(-*evicted);
    squares_.AddProduct(*evicted, -*evicted);
  }
  sum_.Add(value);
  squares_.AddProduct(value, value);
  if (!window_.full()) return;
  const double n = static_cast<double>(period_);
  mean_ = sum_.Value() / n;
  value_ = std::sqrt(ScaledCoMoment(period_, squares_, sum_, sum_) / (n * n));
}

}  // namespace seed::strategy
