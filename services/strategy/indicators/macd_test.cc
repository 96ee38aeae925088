#include "services/strategy/indicators/macd.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"
#include "services/strategy/indicators/ema.h"

namespace seed::strategy {
namespace {

TEST(MacdTest, FastMinusSlowWithASignalSeededOnMacdValues) {
  Macd macd(2, 3, 2);
  EXPECT_EQ(macd.period(), 3);
  EXPECT_EQ(macd.fast_period(), 2);
  EXPECT_EQ(macd.slow_period(), 3);
  EXPECT_EQ(macd.signal_period(), 2);
  macd.Add(1.0);
  macd.Add(2.0);  // the fast EMA is defined (1.5), the slow one is not
  EXPECT_FALSE(macd.value().has_value());
  macd.Add(3.0);  // fast 3 * 2/3 + 1.5 / 3 = 2.5, slow (1 + 2 + 3) / 3 = 2
  ASSERT_TRUE(macd.value().has_value());
  EXPECT_DOUBLE_EQ(*macd.value(), 0.5);
  EXPECT_FALSE(macd.signal().has_value());  // one MACD value of two
  macd.Add(7.0);  // fast 7 * 2/3 + 2.5 / 3 = 5.5, slow 7 / 2 + 2 / 2 = 4.5
  EXPECT_DOUBLE_EQ(*macd.value(), 1.0);
  ASSERT_TRUE(macd.signal().has_value());
  EXPECT_DOUBLE_EQ(*macd.signal(), 0.75);  // (0.5 + 1) / 2
}

TEST(MacdTest, IsTheDifferenceOfTwoEmasAndAnEmaOfIt) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> step(0.0, 1.0);
  Macd macd(12, 26, 9);
  Ema fast(12), slow(26), signal(9);
  double price = 100;
  for (int i = 0; i < 500; ++i) {
    price = std::max(1.0, price + step(rng));
    macd.Add(price);
    fast.Add(price);
    slow.Add(price);
    ASSERT_EQ(macd.value().has_value(), i >= 25) << "bar " << i;
    if (!slow.value().has_value()) continue;
    const double line = *fast.value() - *slow.value();
    signal.Add(line);
    EXPECT_EQ(*macd.value(), line);
    ASSERT_EQ(macd.signal().has_value(), i >= 25 + 8) << "bar " << i;
    if (signal.value().has_value()) {
      EXPECT_EQ(*macd.signal(), *signal.value());
    }
  }
}

}  // namespace
}  // namespace seed::strategy
