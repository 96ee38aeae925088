#include "services/strategy/indicators/rate_of_change.h"

namespace seed::strategy {

RateOfChange::RateOfChange(int64_t period) : period_(period), window_(period) {}

void RateOfChange::Add(double value) {
  const std::optional<double> base = window_.Push(value);
  if (base.has_value() && *base != 0) {
    value_ = value / *base - 1;
  } else {
    value_.reset();
  }
}

}  // namespace seed::strategy
