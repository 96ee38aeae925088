// ExactSum: the exact sum of a changing multiset of doubles, rounded once.
// It keeps Shewchuk's non-overlapping partials (the algorithm of Python's
// math.fsum), so adding a value and later adding its negation removes it
// exactly; Value() equals math.fsum over the values currently held, bit for
// bit. Not thread-safe: one owner (an indicator) at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_EXACT_SUM_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_EXACT_SUM_H_

#include <vector>

namespace seed::strategy {

// Values must be finite and every running sum must stay below DBL_MAX in
// magnitude (Python raises OverflowError there; prices never get close).
class ExactSum {
 public:
  // O(number of partials), which stays tiny: partials do not overlap, so
  // there are at most a few dozen even for adversarial magnitudes.
  void Add(double value);

  // The held sum correctly rounded to a double (ties to even), computed as
  // math.fsum does, including its final half-even correction.
  double Value() const;

 private:
  // Non-zero, non-overlapping, increasing in magnitude; their exact sum is
  // the exact sum of every value added.
  std::vector<double> partials_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_EXACT_SUM_H_
