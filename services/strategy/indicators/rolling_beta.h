// RollingBeta: streaming beta of an asset against a benchmark over the last
// `period` simple returns (p_t / p_{t-1} - 1 of each):
// cov(r_asset, r_bench) / var(r_bench), both population, so the divisors
// cancel. Exact sums keep it free of cancellation and drift. O(1) amortized
// per bar. Not thread-safe: one owner at a time. (TTR has no beta; this is
// PerformanceAnalytics' CAPM.beta on a rolling window, without a risk-free
// rate.)
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_ROLLING_BETA_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_ROLLING_BETA_H_

#include <cstdint>
#include <optional>
#include <utility>

#include "services/strategy/indicators/exact_sum.h"
#include "services/strategy/indicators/window.h"

namespace seed::strategy {

// Example:
//   RollingBeta beta(2);
//   beta.Add(100, 50);   // prices only: no return yet
//   beta.Add(102, 51);   // returns 0.02 and 0.02
//   beta.Add(96.9, 49);  // returns -0.05 and -0.0392...: about 1.18
class RollingBeta {
 public:
  // period >= 2 (one return has no variance).
  explicit RollingBeta(int64_t period);

  // The asset's and the benchmark's price at one bar; finite and non-zero.
  void Add(double asset_price, double benchmark_price);

  // Undefined until `period` returns, i.e. period + 1 bars, were added, and
  // whenever the benchmark's returns in the window do not vary.
  std::optional<double> value() const { return value_; }

  int64_t period() const { return period_; }

 private:
  int64_t period_;
  std::optional<std::pair<double, double>> previous_prices_;
  Window<std::pair<double, double>> returns_;  // (asset, benchmark)
  ExactSum asset_sum_;
  ExactSum bench_sum_;
  ExactSum cross_sum_;  // asset * benchmark
  ExactSum bench_squares_;
  std::optional<double> value_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_ROLLING_BETA_H_
