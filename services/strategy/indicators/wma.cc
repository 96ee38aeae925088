#include "services/strategy/indicators/wma.h"

namespace seed::strategy {

Wma::Wma(int64_t period) : period_(period), window_(period) {}

void Wma::Add(double value) {
  // A full window: every held value steps down one weight, and the oldest,
  // now at weight 0, leaves.
  if (window_.full()) weighted_.AddProduct(sum_, -1.0);
  if (const std::optional<double> evicted = window_.Push(value)) {
    sum_.Add(-*evicted);
  }
  sum_.Add(value);
  // The newest value weighs as many as the values held.
  weighted_.AddProduct(value, static_cast<double>(window_.size()));
  if (window_.full()) {
    const double n = static_cast<double>(period_);
    value_ = weighted_.Value() / (n * (n + 1.0) / 2.0);
  }
}

}  // namespace seed::strategy
