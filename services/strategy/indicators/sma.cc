#include "services/strategy/indicators/sma.h"

namespace seed::strategy {

Sma::Sma(int64_t period) : period_(period), window_(period) {}

void Sma::Add(double value) {
  if (count_ == period_) {
    sum_.Add(-window_[next_]);
  } else {
    ++count_;
  }
  window_[next_] = value;
  next_ = (next_ + 1) % window_.size();
  sum_.Add(value);
  if (count_ == period_) {
    value_ = sum_.Value() / static_cast<double>(period_);
  }
}

}  // namespace seed::strategy
