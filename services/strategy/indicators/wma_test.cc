#include "services/strategy/indicators/wma.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "absl/base/casts.h"
#include "gtest/gtest.h"
#include "services/strategy/indicators/exact_sum.h"

namespace seed::strategy {
namespace {

uint64_t Bits(double x) { return absl::bit_cast<uint64_t>(x); }

TEST(WmaTest, LinearWeightsNewestHeaviest) {
  Wma wma(3);  // weights 1, 2, 3 over a total of 6
  EXPECT_EQ(wma.period(), 3);
  wma.Add(1.0);
  wma.Add(2.0);
  EXPECT_FALSE(wma.value().has_value());
  wma.Add(6.0);  // (1 + 2 * 2 + 3 * 6) / 6
  ASSERT_TRUE(wma.value().has_value());
  EXPECT_DOUBLE_EQ(*wma.value(), 23.0 / 6);
  wma.Add(7.0);  // (2 + 2 * 6 + 3 * 7) / 6
  EXPECT_DOUBLE_EQ(*wma.value(), 35.0 / 6);
  wma.Add(-4.0);  // (6 + 2 * 7 - 3 * 4) / 6
  EXPECT_DOUBLE_EQ(*wma.value(), 8.0 / 6);
}

TEST(WmaTest, PeriodOneIsTheLastValue) {
  Wma wma(1);
  wma.Add(3.25);
  EXPECT_EQ(*wma.value(), 3.25);
  wma.Add(-1.5);
  EXPECT_EQ(*wma.value(), -1.5);
}

// The weighted sum of the window from scratch, exactly, rounded once.
double BruteForce(const std::vector<double>& values, size_t end, int period) {
  ExactSum weighted;
  for (int k = 1; k <= period; ++k) {
    weighted.AddProduct(values[end - period + k - 1], k);
  }
  return weighted.Value() / (period * (period + 1) / 2.0);
}

// Sliding the weights never drifts: bit for bit the from-scratch value, even
// after thousands of bars and on values a running double sum would garble.
TEST(WmaTest, BitIdenticalToTheWindowComputedFromScratch) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> step(0.0, 0.8);
  std::vector<double> prices;
  double micros = 25'000'000;
  for (int i = 0; i < 3000; ++i) {
    micros = std::max(1.0, micros + std::round(step(rng) * 1e6));
    prices.push_back(micros / 1e6);
  }
  const std::vector<double> pool = {1e16, 1.0, -1e16, 0.1, -0.3, 1e-7, 3e8};
  std::vector<double> adversarial;
  for (int i = 0; i < 3000; ++i)
    adversarial.push_back(pool[rng() % pool.size()]);
  for (const std::vector<double>* values : {&prices, &adversarial}) {
    for (int period : {2, 3, 10, 50}) {
      Wma wma(period);
      for (size_t i = 0; i < values->size(); ++i) {
        wma.Add((*values)[i]);
        if (static_cast<int>(i + 1) < period) {
          ASSERT_FALSE(wma.value().has_value());
          continue;
        }
        ASSERT_EQ(Bits(*wma.value()), Bits(BruteForce(*values, i + 1, period)))
            << "period " << period << " bar " << i;
      }
    }
  }
}

}  // namespace
}  // namespace seed::strategy
