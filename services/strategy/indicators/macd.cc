#include "services/strategy/indicators/macd.h"

#include <algorithm>

namespace seed::strategy {

Macd::Macd(int64_t fast, int64_t slow, int64_t signal)
    : fast_(fast), slow_(slow), signal_(signal) {}

void Macd::Add(double value) {
  fast_.Add(value);
  slow_.Add(value);
  if (!fast_.value().has_value() || !slow_.value().has_value()) return;
  value_ = *fast_.value() - *slow_.value();
  signal_.Add(*value_);
}

int64_t Macd::period() const {
  return std::max(fast_.period(), slow_.period());
}

}  // namespace seed::strategy
