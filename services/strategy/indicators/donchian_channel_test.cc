#include "services/strategy/indicators/donchian_channel.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

TEST(DonchianChannelTest, HighestHighAndLowestLowOfTheWindow) {
  DonchianChannel channel(2);
  EXPECT_EQ(channel.period(), 2);
  channel.Add(5.0, 3.0);
  EXPECT_FALSE(channel.value().has_value());
  channel.Add(7.0, 4.0);
  ASSERT_TRUE(channel.value().has_value());
  EXPECT_EQ(channel.value()->lower, 3.0);
  EXPECT_EQ(channel.value()->middle, 5.0);
  EXPECT_EQ(channel.value()->upper, 7.0);
  channel.Add(6.0, 5.0);  // the bar with the low of 3 left
  EXPECT_EQ(channel.value()->lower, 4.0);
  EXPECT_EQ(channel.value()->middle, 5.5);
  EXPECT_EQ(channel.value()->upper, 7.0);
  channel.Add(6.0, 5.0);  // and the one with the high of 7
  EXPECT_EQ(channel.value()->lower, 5.0);
  EXPECT_EQ(channel.value()->upper, 6.0);
}

// Small whole prices make ties common: a tie must keep the extreme until
// its last holder leaves.
TEST(DonchianChannelTest, MatchesAScanOfTheWindow) {
  std::mt19937_64 rng(19);
  std::uniform_int_distribution<int> price(1, 6);
  std::vector<double> highs, lows;
  for (int i = 0; i < 2000; ++i) {
    const int a = price(rng), b = price(rng);
    highs.push_back(std::max(a, b));
    lows.push_back(std::min(a, b));
  }
  for (int period : {1, 2, 3, 7, 40}) {
    DonchianChannel channel(period);
    for (size_t i = 0; i < highs.size(); ++i) {
      channel.Add(highs[i], lows[i]);
      if (static_cast<int>(i + 1) < period) {
        ASSERT_FALSE(channel.value().has_value());
        continue;
      }
      const size_t begin = i + 1 - period;
      const double upper =
          *std::max_element(highs.begin() + begin, highs.begin() + i + 1);
      const double lower =
          *std::min_element(lows.begin() + begin, lows.begin() + i + 1);
      ASSERT_EQ(channel.value()->upper, upper)
          << "period " << period << " bar " << i;
      ASSERT_EQ(channel.value()->lower, lower)
          << "period " << period << " bar " << i;
      ASSERT_EQ(channel.value()->middle, (upper + lower) / 2);
    }
  }
}

}  // namespace
}  // namespace seed::strategy
