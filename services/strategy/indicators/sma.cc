#include "services/strategy/indicators/sma.h"

namespace seed::strategy {

Sma::Sma(int64_t period) : period_(period), window_(period) {}

void Sma::Add(double value) {
  if (const std::optional<double> evicted = window_.Push(value)) {
    sum_.Add(-*evicted);
  }
  sum_.Add(value);
  if (window_.full()) {
    value_ = sum_.Value() / static_cast<double>(period_);
  }
}

}  // namespace seed::strategy
