// ExactSum: the exact sum of a changing multiset of doubles, rounded once.
// It keeps Shewchuk's non-overlapping partials (the algorithm of Python's
// math.fsum), so adding a value and later adding its negation removes it
// exactly; Value() equals math.fsum over the values currently held, bit for
// bit. Not thread-safe: one owner (an indicator) at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_EXACT_SUM_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_EXACT_SUM_H_

#include <cstdint>
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

  // Adds a * b exactly: the rounded product and its rounding error, which a
  // fused multiply-add finds exactly. The product must not overflow, and the
  // error must not fall below the smallest normal double (|a * b| above about
  // 1e-290); prices, returns and their squares are far from both ends.
  void AddProduct(double a, double b);

  // Adds (the exact value held by `sum`) * b exactly, one partial at a time.
  void AddProduct(const ExactSum& sum, double b);

 private:
  friend double ScaledCoMoment(int64_t n, const ExactSum& sum_xy,
                               const ExactSum& sum_x, const ExactSum& sum_y);

  // Non-zero, non-overlapping, increasing in magnitude; their exact sum is
  // the exact sum of every value added.
  std::vector<double> partials_;
};

// n * sum_xy - sum_x * sum_y, computed exactly and rounded once: n^2 times
// the population covariance of the n pairs summed, or n^2 times the
// population variance when x and y are one series (sum_xy its squares).
// Exact, so never negative for a variance and free of the cancellation the
// textbook formula suffers on prices like 1e4 +- 0.01.
double ScaledCoMoment(int64_t n, const ExactSum& sum_xy, const ExactSum& sum_x,
                      const ExactSum& sum_y);

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_EXACT_SUM_H_
