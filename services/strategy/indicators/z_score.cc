#include "services/strategy/indicators/z_score.h"

namespace seed::strategy {

ZScore::ZScore(int64_t period) : deviation_(period) {}

void ZScore::Add(double value) {
  deviation_.Add(value);
  const std::optional<double> sd = deviation_.value();
  if (sd.has_value() && *sd > 0) {
    value_ = (value - *deviation_.mean()) / *sd;
  } else {
    value_.reset();
  }
}

}  // namespace seed::strategy
