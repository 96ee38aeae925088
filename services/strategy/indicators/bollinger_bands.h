// BollingerBands: streaming Bollinger bands as TTR's BBands computes them on
// one series: the simple moving average of the last `period` values (bit for
// bit Sma's) plus and minus `width` POPULATION standard deviations of the same
// window. O(1) amortized per value. Not thread-safe: one owner at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_BOLLINGER_BANDS_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_BOLLINGER_BANDS_H_

#include <cstdint>
#include <optional>

#include "services/strategy/indicators/band.h"
#include "services/strategy/indicators/rolling_std_dev.h"

namespace seed::strategy {

// Example:
//   BollingerBands bands(2, 2.0);
//   bands.Add(1);  // bands.value() is empty
//   bands.Add(3);  // middle 2, standard deviation 1: lower 0, upper 4
class BollingerBands {
 public:
  // period >= 1; width (in standard deviations) >= 0, TTR's default is 2.
  BollingerBands(int64_t period, double width);

  // value must be finite (see RollingStdDev).
  void Add(double value);

  // Undefined (empty) until `period` values were added.
  std::optional<Band> value() const { return value_; }

  int64_t period() const { return deviation_.period(); }
  double width() const { return width_; }

 private:
  double width_;
  RollingStdDev deviation_;
  std::optional<Band> value_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_BOLLINGER_BANDS_H_
