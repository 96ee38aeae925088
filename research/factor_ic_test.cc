#include "research/factor_ic.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "common/seeded_random.h"
#include "gtest/gtest.h"

namespace seed::research {
namespace {

const double kNan = std::nan("");

// A panel of `symbols` random walks over `times` steps (seeded), every
// symbol with a bar at every time, highs and lows equal to the closes.
Panel RandomWalks(int symbols, int times, uint64_t seed) {
  std::mt19937_64 random(seed);
  Panel panel;
  for (int t = 0; t < times; ++t) panel.times.push_back(86400 * (t + 1));
  for (int s = 0; s < symbols; ++s) {
    panel.symbols.push_back("S" + std::to_string(s));
    std::vector<double> closes;
    double close = 100;
    for (int t = 0; t < times; ++t) {
      close *= 1 + 0.04 * (UniformUnit(random) - 0.5);
      closes.push_back(close);
    }
    panel.close.push_back(closes);
  }
  panel.high = panel.close;
  panel.low = panel.close;
  return panel;
}

Panel FromCloses(const std::vector<std::vector<double>>& closes) {
  Panel panel;
  for (size_t t = 0; t < closes[0].size(); ++t) {
    panel.times.push_back(86400 * (t + 1));
  }
  for (size_t s = 0; s < closes.size(); ++s) {
    panel.symbols.push_back(std::string(1, 'A' + s));
  }
  panel.close = closes;
  panel.high = closes;
  panel.low = closes;
  return panel;
}

FactorIc EvaluateOne(const Panel& panel, const PanelValues& values,
                     const IcOptions& options) {
  const NamedFactor factor{"f", &values};
  absl::StatusOr<std::vector<FactorIc>> results =
      EvaluateFactors(panel, {&factor, 1}, options);
  EXPECT_TRUE(results.ok()) << results.status();
  return results.ok() ? results->front() : FactorIc{};
}

TEST(FactorIcTest, ForwardReturnsUseEachSymbolsOwnBars) {
  const Panel panel = FromCloses({{10, kNan, 12, 15}, {20, 21, 22, 23}});
  const PanelValues forward = ForwardReturns(panel, 1);
  EXPECT_DOUBLE_EQ(forward[0][0], 12 / 10.0 - 1);  // skips the missing bar
  EXPECT_TRUE(std::isnan(forward[0][1]));
  EXPECT_DOUBLE_EQ(forward[0][2], 15 / 12.0 - 1);
  EXPECT_TRUE(std::isnan(forward[0][3]));
  const PanelValues two = ForwardReturns(panel, 2);
  EXPECT_DOUBLE_EQ(two[1][1], 23 / 21.0 - 1);
  EXPECT_TRUE(std::isnan(two[1][2]));
}

TEST(FactorIcTest, TheForwardReturnItselfHasAnIcOfOne) {
  const Panel panel = RandomWalks(30, 200, 1);
  IcOptions options;
  options.horizon = 5;
  const PanelValues forward = ForwardReturns(panel, 5);
  const FactorIc perfect = EvaluateOne(panel, forward, options);
  // Dates 0, 5, ..., 195; at 195 no symbol has 5 more bars.
  EXPECT_EQ(perfect.windows, 39);
  EXPECT_EQ(perfect.skipped, 1);
  ASSERT_EQ(perfect.series.size(), 39u);
  for (size_t i = 0; i < perfect.series.size(); ++i) {
    EXPECT_DOUBLE_EQ(perfect.series[i].ic, 1) << i;
    EXPECT_EQ(perfect.series[i].time, panel.times[5 * i]);
    EXPECT_EQ(perfect.series[i].symbols, 30);
  }
  EXPECT_DOUBLE_EQ(*perfect.mean_ic, 1);
  EXPECT_FALSE(perfect.t_stat.has_value());  // no spread in the ICs
  EXPECT_EQ(*perfect.positive_share, 1);
  EXPECT_FALSE(perfect.unreliable);
  EXPECT_EQ(perfect.quantiles, 5);
  EXPECT_GT(*perfect.mean_spread, 0);
  for (int q = 1; q < 5; ++q) {
    EXPECT_GT(*perfect.quantile_returns[q], *perfect.quantile_returns[q - 1]);
  }

  PanelValues negative = forward;
  for (auto& row : negative) {
    for (double& value : row) value = -value;
  }
  const FactorIc inverse = EvaluateOne(panel, negative, options);
  for (const IcDate& date : inverse.series) EXPECT_DOUBLE_EQ(date.ic, -1);
  EXPECT_DOUBLE_EQ(*inverse.mean_ic, -1);
  EXPECT_EQ(*inverse.positive_share, 0);
  EXPECT_LT(*inverse.mean_spread, 0);
}

TEST(FactorIcTest, NoiseHasNoEdgeAndASignalHasOne) {
  const Panel panel = RandomWalks(50, 1000, 2);
  IcOptions options;
  options.horizon = 5;
  std::mt19937_64 random(3);
  PanelValues noise(50, std::vector<double>(1000));
  for (auto& row : noise) {
    for (double& value : row) value = UniformUnit(random);
  }
  const FactorIc result = EvaluateOne(panel, noise, options);
  EXPECT_EQ(result.windows, 199);
  // Under no edge each IC has mean 0 and sd about 1 / sqrt(49) = 0.14, so
  // the mean of 199 has sd about 0.01 and t is about standard normal: a
  // correct implementation stays within 0.05 and 4.5 except with
  // probability below 1e-5; one that leaks the future (or ranks the wrong
  // way round, or mixes dates) lands far outside.
  EXPECT_LT(std::abs(*result.mean_ic), 0.05);
  EXPECT_LT(std::abs(*result.t_stat), 4.5);
  EXPECT_NEAR(*result.ic_std_dev, 1 / std::sqrt(49.0), 0.04);
  EXPECT_NEAR(*result.positive_share, 0.5, 0.15);

  // The same noise plus a little of the forward return: a real edge, which
  // the same statistics find.
  const PanelValues forward = ForwardReturns(panel, 5);
  PanelValues signal = noise;
  for (size_t s = 0; s < signal.size(); ++s) {
    for (size_t t = 0; t < signal[s].size(); ++t) {
      signal[s][t] += std::isnan(forward[s][t]) ? 0 : 10 * forward[s][t];
    }
  }
  const FactorIc edge = EvaluateOne(panel, signal, options);
  EXPECT_GT(*edge.mean_ic, 0.2);
  EXPECT_GT(*edge.t_stat, 10);
}

TEST(FactorIcTest, HandCheckedFiveSymbols) {
  // Closes at two times; H = 1, so only the first time has forward returns:
  //   A 10 -> 11 (+0.10), B 20 -> 19 (-0.05), C 30 -> 33 (+0.10),
  //   D 40 -> 40 (0), E 50 -> 45 (-0.10).
  // Factor 1, 2, 3, 4, 5: ranks 1..5. Forward ranks: E 1, B 2, D 3, and A, C
  // tie for 4 and 5: 4.5 each. So x = 1, 2, 3, 4, 5 and y = 4.5, 2, 4.5, 3,
  // 1, both of mean 3; deviations -2 -1 0 1 2 and 1.5 -1 1.5 0 -2;
  // sum(dx dy) = -3 + 1 + 0 + 0 - 4 = -6, sum(dx^2) = 10, sum(dy^2) = 9.5:
  // IC = -6 / sqrt(95) = -0.6156.
  const Panel panel =
      FromCloses({{10, 11}, {20, 19}, {30, 33}, {40, 40}, {50, 45}});
  const PanelValues factor = {
      {1, kNan}, {2, kNan}, {3, kNan}, {4, kNan}, {5, kNan}};
  IcOptions options;
  options.horizon = 1;
  FactorIc result = EvaluateOne(panel, factor, options);
  EXPECT_EQ(result.windows, 1);
  EXPECT_EQ(result.skipped, 1);  // the second time: no pairs
  ASSERT_EQ(result.series.size(), 1u);
  EXPECT_NEAR(result.series[0].ic, -6 / std::sqrt(95.0), 1e-15);
  EXPECT_TRUE(result.unreliable);  // 1 window < 20
  EXPECT_FALSE(result.ic_std_dev.has_value());
  // Five quintiles of one symbol each: the top (E, -0.10) minus the bottom
  // (A, +0.10).
  EXPECT_EQ(result.quantiles, 5);
  EXPECT_NEAR(*result.series[0].spread, -0.2, 1e-15);
  EXPECT_NEAR(*result.quantile_returns[1], -0.05, 1e-15);  // B

  // Halves: ranks 1, 2, 3 go to quantile floor((r - 1) * 2 / 5) = 0 and
  // 4, 5 to 1: bottom A, B, C (mean 0.05), top D, E (mean -0.05).
  options.quantiles = 2;
  result = EvaluateOne(panel, factor, options);
  EXPECT_NEAR(*result.series[0].quantile_returns[0], 0.05, 1e-15);
  EXPECT_NEAR(*result.series[0].quantile_returns[1], -0.05, 1e-15);
  EXPECT_NEAR(*result.mean_spread, -0.1, 1e-15);
}

TEST(FactorIcTest, TiesShareRanksAndQuantiles) {
  // Forward returns 0.1 .. 0.5 (ranks 1..5), factor 1, 1, 2, 2, 3 (ranks
  // 1.5, 1.5, 3.5, 3.5, 5). Deviations -1.5 -1.5 0.5 0.5 2 and -2 -1 0 1 2:
  // sum(dx dy) = 3 + 1.5 + 0 + 0.5 + 4 = 9, sum(dx^2) = 9, sum(dy^2) = 10:
  // IC = 9 / sqrt(90).
  const Panel panel =
      FromCloses({{10, 11}, {10, 12}, {10, 13}, {10, 14}, {10, 15}});
  const PanelValues factor = {{1, 1}, {1, 1}, {2, 2}, {2, 2}, {3, 3}};
  IcOptions options;
  options.horizon = 1;
  const FactorIc result = EvaluateOne(panel, factor, options);
  ASSERT_EQ(result.windows, 1);
  EXPECT_NEAR(result.series[0].ic, 9 / std::sqrt(90.0), 1e-15);
  // Quantile floor(r - 1): 1.5 -> 0, 3.5 -> 2, 5 -> 4; 1 and 3 are empty.
  const auto& returns = result.series[0].quantile_returns;
  EXPECT_NEAR(*returns[0], 0.15, 1e-15);
  EXPECT_FALSE(returns[1].has_value());
  EXPECT_NEAR(*returns[2], 0.35, 1e-15);
  EXPECT_FALSE(returns[3].has_value());
  EXPECT_NEAR(*returns[4], 0.5, 1e-15);
  EXPECT_NEAR(*result.series[0].spread, 0.35, 1e-15);

  // A factor equal for every symbol ranks nothing: no IC that date.
  const PanelValues flat(5, std::vector<double>(2, 7));
  const FactorIc none = EvaluateOne(panel, flat, options);
  EXPECT_EQ(none.windows, 0);
  EXPECT_EQ(none.skipped, 2);
  EXPECT_FALSE(none.mean_ic.has_value());
  EXPECT_TRUE(none.unreliable);
}

TEST(FactorIcTest, FactorsShareDatesFromTheLongestWarmUp) {
  const Panel panel = RandomWalks(4, 30, 4);
  PanelValues early(4, std::vector<double>(30, kNan));
  PanelValues late = early;
  for (int s = 0; s < 4; ++s) {
    for (int t = 3; t < 30; ++t) early[s][t] = s * 1.0 + t;
    for (int t = 7; t < 30; ++t) late[s][t] = -s * 1.0;
  }
  // One symbol lacks the late factor at time 11: 3 pairs there.
  late[0][11] = kNan;
  const NamedFactor factors[] = {{"early", &early}, {"late", &late}};
  IcOptions options;
  options.horizon = 2;
  absl::StatusOr<std::vector<FactorIc>> results =
      EvaluateFactors(panel, factors, options);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 2u);
  for (const FactorIc& result : *results) {
    ASSERT_FALSE(result.series.empty()) << result.factor;
    EXPECT_EQ(result.series.front().time, panel.times[7]) << result.factor;
    EXPECT_EQ(result.series[1].time, panel.times[9]) << result.factor;
  }
  EXPECT_EQ((*results)[0].factor, "early");
  // Four symbols: at most 4 quantiles; the late factor had a date with 3.
  EXPECT_EQ((*results)[0].quantiles, 4);
  EXPECT_EQ((*results)[1].quantiles, 3);
  EXPECT_EQ((*results)[1].series[2].symbols, 3);
}

TEST(FactorIcTest, RefusesWhatCannotBeEvaluated) {
  const Panel panel = RandomWalks(2, 10, 5);
  const PanelValues values(2, std::vector<double>(10, 1));
  const NamedFactor factor{"f", &values};
  EXPECT_EQ(
      EvaluateFactors(panel, {&factor, 1}, IcOptions{}).status().message(),
      "the universe has 2 symbols; a factor IC needs at least "
      "min_symbols = 3");
  IcOptions options;
  options.horizon = 0;
  EXPECT_EQ(EvaluateFactors(panel, {&factor, 1}, options).status().message(),
            "horizon must be at least 1 bar, got 0");
  const Panel wide = RandomWalks(3, 10, 5);
  EXPECT_EQ(EvaluateFactors(wide, {&factor, 1}, IcOptions{}).status().message(),
            "factor f has no value for every symbol and time of the panel");
}

}  // namespace
}  // namespace seed::research
