#include "services/strategy/indicators/exact_sum.h"

#include <cmath>
#include <utility>

namespace seed::strategy {

// CPython's math_fsum (Modules/mathmodule.c), accumulation loop.
void ExactSum::Add(double value) {
  double x = value;
  size_t kept = 0;
  for (size_t j = 0; j < partials_.size(); ++j) {
    double y = partials_[j];
    if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
    const double hi = x + y;
    const double lo = y - (hi - x);
    if (lo != 0.0) partials_[kept++] = lo;
    x = hi;
  }
  partials_.resize(kept);
  if (x != 0.0) partials_.push_back(x);
}

// CPython's math_fsum, the sum_exact step: add partials from the largest
// down until the sum becomes inexact, then fix a possible one-ulp error so
// that halfway cases round to even across several partials.
double ExactSum::Value() const {
  size_t n = partials_.size();
  if (n == 0) return 0.0;
  double hi = partials_[--n];
  double lo = 0.0;
  while (n > 0) {
    const double x = hi;
    const double y = partials_[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo != 0.0) break;
  }
  if (n > 0 && ((lo < 0.0 && partials_[n - 1] < 0.0) ||
                (lo > 0.0 && partials_[n - 1] > 0.0))) {
    const double y = lo * 2.0;
    const double x = hi + y;
    if (y == x - hi) hi = x;
  }
  return hi;
}

void ExactSum::AddProduct(double a, double b) {
  const double product = a * b;
  Add(product);
  Add(std::fma(a, b, -product));
}

void ExactSum::AddProduct(const ExactSum& sum, double b) {
  for (double partial : sum.partials_) AddProduct(partial, b);
}

double ScaledCoMoment(int64_t n, const ExactSum& sum_xy, const ExactSum& sum_x,
                      const ExactSum& sum_y) {
  ExactSum scaled;
  scaled.AddProduct(sum_xy, static_cast<double>(n));
  for (double partial : sum_x.partials_) scaled.AddProduct(sum_y, -partial);
  return scaled.Value();
}

}  // namespace seed::strategy
