#include "services/strategy/indicators/rolling_beta.h"

namespace seed::strategy {

RollingBeta::RollingBeta(int64_t period) : period_(period), returns_(period) {}

void RollingBeta::Add(double asset_price, double benchmark_price) {
  const std::optional<std::pair<double, double>> previous = previous_prices_;
  previous_prices_ = {asset_price, benchmark_price};
  if (!previous.has_value()) return;
  const double asset = asset_price / previous->first - 1;
  const double bench = benchmark_price / previous->second - 1;
  if (const auto evicted = returns_.Push({asset, bench})) {
    const auto [old_asset, old_bench] = *evicted;
    asset_sum_.Add(-old_asset);
    bench_sum_.Add(-old_bench);
    cross_sum_.AddProduct(old_asset, -old_bench);
    bench_squares_.AddProduct(old_bench, -old_bench);
  }
  asset_sum_.Add(asset);
  bench_sum_.Add(bench);
  cross_sum_.AddProduct(asset, bench);
  bench_squares_.AddProduct(bench, bench);
  if (!returns_.full()) return;
  const double variance =
      ScaledCoMoment(period_, bench_squares_, bench_sum_, bench_sum_);
  if (variance > 0) {
    value_ =
        ScaledCoMoment(period_, cross_sum_, asset_sum_, bench_sum_) / variance;
  } else {
    value_.reset();
  }
}

}  // namespace seed::strategy
