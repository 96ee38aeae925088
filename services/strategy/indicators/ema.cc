#include "services/strategy/indicators/ema.h"

namespace seed::strategy {

Ema::Ema(int64_t period)
    : Ema(period, 2.0 / (static_cast<double>(period) + 1.0)) {}

Ema::Ema(int64_t period, double alpha)
    : period_(period), alpha_(alpha), keep_(1.0 - alpha) {}

Ema Ema::Wilder(int64_t period) {
  return Ema(period, 1.0 / static_cast<double>(period));
}

void Ema::Add(double value) {
  if (value_.has_value()) {
    value_ = value * alpha_ + *value_ * keep_;
    return;
  }
  seed_.Add(value);
  if (++count_ == period_) {
    value_ = seed_.Value() / static_cast<double>(period_);
  }
}

}  // namespace seed::strategy
