#include "services/strategy/indicators/bollinger_bands.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "absl/base/casts.h"
#include "gtest/gtest.h"
#include "services/strategy/indicators/rolling_std_dev.h"
#include "services/strategy/indicators/sma.h"

namespace seed::strategy {
namespace {

uint64_t Bits(double x) { return absl::bit_cast<uint64_t>(x); }

TEST(BollingerBandsTest, MeanPlusAndMinusWidthPopulationDeviations) {
  BollingerBands bands(2, 2.0);
  EXPECT_EQ(bands.period(), 2);
  EXPECT_EQ(bands.width(), 2.0);
  bands.Add(1.0);
  EXPECT_FALSE(bands.value().has_value());
  bands.Add(3.0);  // mean 2, population deviation 1
  ASSERT_TRUE(bands.value().has_value());
  EXPECT_EQ(bands.value()->lower, 0.0);
  EXPECT_EQ(bands.value()->middle, 2.0);
  EXPECT_EQ(bands.value()->upper, 4.0);
  bands.Add(7.0);  // {3, 7}: mean 5, deviation 2
  EXPECT_EQ(bands.value()->lower, 1.0);
  EXPECT_EQ(bands.value()->middle, 5.0);
  EXPECT_EQ(bands.value()->upper, 9.0);
}

TEST(BollingerBandsTest, MiddleIsTheSmaBitForBit) {
  std::mt19937_64 rng(13);
  std::normal_distribution<double> step(0.0, 0.5);
  constexpr int kPeriod = 20;
  constexpr double kWidth = 2.5;
  BollingerBands bands(kPeriod, kWidth);
  Sma sma(kPeriod);
  RollingStdDev sd(kPeriod);
  double price = 50;
  for (int i = 0; i < 1000; ++i) {
    price = std::max(1.0, price + step(rng));
    bands.Add(price);
    sma.Add(price);
    sd.Add(price);
    ASSERT_EQ(bands.value().has_value(), sma.value().has_value());
    if (!sma.value().has_value()) continue;
    EXPECT_EQ(Bits(bands.value()->middle), Bits(*sma.value()));
    EXPECT_EQ(bands.value()->lower, *sma.value() - kWidth * *sd.value());
    EXPECT_EQ(bands.value()->upper, *sma.value() + kWidth * *sd.value());
  }
}

}  // namespace
}  // namespace seed::strategy
