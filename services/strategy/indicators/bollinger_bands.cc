#include "services/strategy/indicators/bollinger_bands.h"

namespace seed::strategy {

BollingerBands::BollingerBands(int64_t period, double width)
    : width_(width), deviation_(period) {}

void BollingerBands::Add(double value) {
  deviation_.Add(value);
  const std::optional<double> middle = deviation_.mean();
  if (!middle.has_value()) return;
  const double spread = width_ * *deviation_.value();
  value_ = Band{
      .lower = *middle - spread, .middle = *middle, .upper = *middle + spread};
}

}  // namespace seed::strategy
