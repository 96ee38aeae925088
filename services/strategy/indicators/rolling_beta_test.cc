#include "services/strategy/indicators/rolling_beta.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

TEST(RollingBetaTest, CovarianceOverBenchmarkVarianceOfSimpleReturns) {
  RollingBeta beta(2);
  EXPECT_EQ(beta.period(), 2);
  beta.Add(100.0, 50.0);
  beta.Add(102.0, 51.0);  // one return each: 0.02 and 0.02
  EXPECT_FALSE(beta.value().has_value());
  beta.Add(96.9, 49.0);  // -0.05 and 49 / 51 - 1
  ASSERT_TRUE(beta.value().has_value());
  // With two returns, beta is the slope through the two points.
  const double asset_change = (96.9 / 102.0 - 1) - (102.0 / 100.0 - 1);
  const double bench_change = (49.0 / 51.0 - 1) - (51.0 / 50.0 - 1);
  EXPECT_NEAR(*beta.value(), asset_change / bench_change, 1e-12);
  EXPECT_NEAR(*beta.value(), 1.1821, 1e-4);
}

// Two-pass covariance over variance of the window's returns.
double Reference(const std::vector<double>& asset,
                 const std::vector<double>& bench, size_t end, int period) {
  double mean_a = 0, mean_b = 0;
  for (size_t i = end - period; i < end; ++i) {
    mean_a += asset[i];
    mean_b += bench[i];
  }
  mean_a /= period;
  mean_b /= period;
  double cov = 0, var = 0;
  for (size_t i = end - period; i < end; ++i) {
    cov += (asset[i] - mean_a) * (bench[i] - mean_b);
    var += (bench[i] - mean_b) * (bench[i] - mean_b);
  }
  return cov / var;
}

TEST(RollingBetaTest, MatchesTwoPassOnRandomPrices) {
  std::mt19937_64 rng(23);
  std::normal_distribution<double> noise(0.0, 0.01);
  constexpr int kPeriod = 20;
  RollingBeta beta(kPeriod);
  double asset_price = 40, bench_price = 1000;
  std::vector<double> asset_returns, bench_returns;
  beta.Add(asset_price, bench_price);
  for (int i = 0; i < 2000; ++i) {
    const double market = noise(rng);
    const double next_bench = bench_price * (1 + market);
    const double next_asset = asset_price * (1 + 1.5 * market + noise(rng));
    asset_returns.push_back(next_asset / asset_price - 1);
    bench_returns.push_back(next_bench / bench_price - 1);
    asset_price = next_asset;
    bench_price = next_bench;
    beta.Add(asset_price, bench_price);
    if (static_cast<int>(asset_returns.size()) < kPeriod) {
      ASSERT_FALSE(beta.value().has_value()) << "bar " << i;
      continue;
    }
    const double expected =
        Reference(asset_returns, bench_returns, asset_returns.size(), kPeriod);
    ASSERT_NEAR(*beta.value(), expected, 1e-10 * std::fabs(expected))
        << "bar " << i;
  }
}

TEST(RollingBetaTest, UndefinedWhenTheBenchmarkDoesNotMove) {
  RollingBeta beta(3);
  for (double asset : {10.0, 11.0, 9.0, 12.0, 10.0}) beta.Add(asset, 100.0);
  EXPECT_FALSE(beta.value().has_value());
  beta.Add(10.0, 110.0);
  ASSERT_TRUE(beta.value().has_value());
}

}  // namespace
}  // namespace seed::strategy
