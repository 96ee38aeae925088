#include "services/strategy/indicators/rolling_std_dev.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

TEST(RollingStdDevTest, PopulationStandardDeviationOfTheWindow) {
  RollingStdDev sd(2);
  EXPECT_EQ(sd.period(), 2);
  sd.Add(1.0);
  EXPECT_FALSE(sd.value().has_value());
  EXPECT_FALSE(sd.mean().has_value());
  sd.Add(3.0);  // population: 1, where the sample formula gives sqrt(2)
  EXPECT_EQ(*sd.value(), 1.0);
  EXPECT_EQ(*sd.mean(), 2.0);
  sd.Add(7.0);  // {3, 7}
  EXPECT_EQ(*sd.value(), 2.0);
  EXPECT_EQ(*sd.mean(), 5.0);

  RollingStdDev classic(8);  // the textbook example with deviation exactly 2
  for (double value : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) {
    classic.Add(value);
  }
  EXPECT_EQ(*classic.value(), 2.0);
  EXPECT_EQ(*classic.mean(), 5.0);
}

TEST(RollingStdDevTest, PeriodOneIsZero) {
  RollingStdDev sd(1);
  sd.Add(123.456);
  EXPECT_EQ(*sd.value(), 0.0);
  EXPECT_EQ(*sd.mean(), 123.456);
}

// Two-pass over differences from the window's first value: exact differences
// (the values are close), so an accurate reference for small spreads.
double Reference(const std::vector<double>& values, size_t end, int period) {
  const double origin = values[end - period];
  double mean = 0;
  for (size_t i = end - period; i < end; ++i) mean += values[i] - origin;
  mean /= period;
  double squares = 0;
  for (size_t i = end - period; i < end; ++i) {
    const double deviation = values[i] - origin - mean;
    squares += deviation * deviation;
  }
  return std::sqrt(squares / period);
}

TEST(RollingStdDevTest, KeepsItsDigitsOnLargePricesWithTinySpread) {
  // 1e4 +- 0.01: the squares are about 1e8, their spread about 1e-4, and a
  // double holds 1e8 to about 1.5e-8; the textbook formula cancels.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> noise(-0.01, 0.01);
  std::vector<double> prices;
  for (int i = 0; i < 5000; ++i) prices.push_back(1e4 + noise(rng));
  constexpr int kPeriod = 20;
  RollingStdDev sd(kPeriod);
  double worst_textbook_error = 0;
  for (size_t i = 0; i < prices.size(); ++i) {
    sd.Add(prices[i]);
    if (i + 1 < kPeriod) continue;
    const double expected = Reference(prices, i + 1, kPeriod);
    ASSERT_NEAR(*sd.value(), expected, 1e-12 * expected) << "bar " << i;
    double sum = 0, squares = 0;
    for (size_t j = i + 1 - kPeriod; j <= i; ++j) {
      sum += prices[j];
      squares += prices[j] * prices[j];
    }
    const double textbook =
        std::sqrt(std::fabs(squares / kPeriod - std::pow(sum / kPeriod, 2)));
    worst_textbook_error = std::max(worst_textbook_error,
                                    std::fabs(textbook - expected) / expected);
  }
  // The test has teeth: the formula it guards against is off by percent.
  EXPECT_GT(worst_textbook_error, 1e-3);
}

TEST(RollingStdDevTest, ExactlyZeroOnAFlatWindowAfterWildValues) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> wild(-1e6, 1e6);
  RollingStdDev sd(5);
  for (int i = 0; i < 2000; ++i) sd.Add(wild(rng));
  for (int i = 0; i < 5; ++i) sd.Add(42.1);
  EXPECT_EQ(*sd.value(), 0.0);
  EXPECT_EQ(*sd.mean(), 42.1);
}

}  // namespace
}  // namespace seed::strategy
