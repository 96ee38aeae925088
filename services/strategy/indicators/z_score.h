// ZScore: streaming rolling z-score, (x - mean) / sd over the last `period`
// values including x, with the POPULATION standard deviation (TTR has no
// direct equivalent: (x - runMean(x, n)) / runSD(x, n, sample = FALSE)).
// O(1) amortized per value. Not thread-safe: one owner at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_Z_SCORE_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_Z_SCORE_H_

#include <cstdint>
#include <optional>

#include "services/strategy/indicators/rolling_std_dev.h"

namespace seed::strategy {

// Example:
//   ZScore z(2);
//   z.Add(1);  // z.value() is empty
//   z.Add(3);  // mean 2, standard deviation 1: *z.value() == 1.0
class ZScore {
 public:
  // period >= 1 (1 is never defined: one value has no spread).
  explicit ZScore(int64_t period);

  // value must be finite (see RollingStdDev).
  void Add(double value);

  // Undefined until `period` values were added, and whenever the window has
  // no spread (standard deviation 0), where the ratio does not exist.
  std::optional<double> value() const { return value_; }

  int64_t period() const { return deviation_.period(); }

 private:
  RollingStdDev deviation_;
  std::optional<double> value_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_Z_SCORE_H_
