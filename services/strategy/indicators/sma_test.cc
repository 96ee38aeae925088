#include "services/strategy/indicators/sma.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "absl/base/casts.h"
#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

uint64_t Bits(double x) { return absl::bit_cast<uint64_t>(x); }

TEST(SmaTest, UndefinedUntilPeriodValuesThenTheWindowMean) {
  Sma sma(3);
  sma.Add(1.0);
  EXPECT_FALSE(sma.value().has_value());
  sma.Add(2.0);
  EXPECT_FALSE(sma.value().has_value());
  sma.Add(6.0);  // (1 + 2 + 6) / 3
  ASSERT_TRUE(sma.value().has_value());
  EXPECT_EQ(*sma.value(), 3.0);
  sma.Add(7.0);  // (2 + 6 + 7) / 3
  EXPECT_EQ(*sma.value(), 5.0);
  sma.Add(-4.0);  // (6 + 7 - 4) / 3
  EXPECT_EQ(*sma.value(), 3.0);
}

TEST(SmaTest, PeriodOneIsTheLastValue) {
  Sma sma(1);
  sma.Add(4.5);
  EXPECT_EQ(*sma.value(), 4.5);
  sma.Add(-2.25);
  EXPECT_EQ(*sma.value(), -2.25);
}

// Python: math.fsum([0.1, 0.2, 0.3]) / 3 == 0.19999999999999998, while the
// naive running sum gives 0.20000000000000004.
TEST(SmaTest, IsTheCorrectlyRoundedSumDividedByThePeriod) {
  Sma sma(3);
  for (double value : {0.1, 0.2, 0.3}) sma.Add(value);
  EXPECT_EQ(Bits(*sma.value()), Bits(0.19999999999999998));
  EXPECT_NE(Bits(*sma.value()), Bits((0.1 + 0.2 + 0.3) / 3));
}

// backtrader's SMA: math.fsum(window) / period, recomputed from scratch.
double BruteForce(const std::vector<double>& values, size_t end, int period) {
  ExactSum sum;
  for (size_t i = end - period; i < end; ++i) sum.Add(values[i]);
  return sum.Value() / period;
}

void ExpectMatchesBruteForce(const std::vector<double>& values, int period) {
  Sma sma(period);
  for (size_t i = 0; i < values.size(); ++i) {
    sma.Add(values[i]);
    if (static_cast<int>(i + 1) < period) {
      ASSERT_FALSE(sma.value().has_value()) << "bar " << i;
      continue;
    }
    ASSERT_TRUE(sma.value().has_value()) << "bar " << i;
    ASSERT_EQ(Bits(*sma.value()), Bits(BruteForce(values, i + 1, period)))
        << "period " << period << " bar " << i;
  }
}

TEST(SmaTest, BitIdenticalToFsumOfTheWindowOnPricesWithSixDecimals) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> step(0.0, 0.8);
  std::vector<double> closes;
  double micros = 25'000'000;  // a price of 25.000000
  for (int i = 0; i < 3000; ++i) {
    micros = std::max(1.0, micros + std::round(step(rng) * 1e6));
    closes.push_back(micros / 1e6);  // the double a CSV "x.xxxxxx" parses to
  }
  for (int period : {1, 2, 3, 10, 30, 200}) {
    ExpectMatchesBruteForce(closes, period);
  }
}

TEST(SmaTest, BitIdenticalToFsumOfTheWindowOnAdversarialValues) {
  std::mt19937_64 rng(11);
  const std::vector<double> pool = {
      1e16, 1.0, -1e16, 1e-16, 0.1, -0.3, 9007199254740993.0, 3.5e-7, -1e-300};
  std::vector<double> values;
  for (int i = 0; i < 4000; ++i) values.push_back(pool[rng() % pool.size()]);
  for (int period : {2, 3, 5, 17, 64}) {
    ExpectMatchesBruteForce(values, period);
  }
}

}  // namespace
}  // namespace seed::strategy
