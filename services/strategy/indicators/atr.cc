#include "services/strategy/indicators/atr.h"

#include <algorithm>

namespace seed::strategy {

Atr::Atr(int64_t period) : average_(Ema::Wilder(period)) {}

void Atr::Add(double high, double low, double close) {
  if (previous_close_.has_value()) {
    average_.Add(std::max(high, *previous_close_) -
                 std::min(low, *previous_close_));
  }
  previous_close_ = close;
}

}  // namespace seed::strategy
