#include "research/statistics.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace seed::research {
namespace {

TEST(StatisticsTest, PercentilesInterpolateLikeNumpy) {
  // numpy.percentile(v, p) with its default method, "linear".
  const std::vector<double> four = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(PercentileOfSorted(four, 25), 1.75);
  EXPECT_DOUBLE_EQ(PercentileOfSorted(four, 50), 2.5);
  const std::vector<double> five = {15, 20, 35, 40, 50};
  EXPECT_DOUBLE_EQ(PercentileOfSorted(five, 40), 29);  // h = 1.6
  EXPECT_DOUBLE_EQ(PercentileOfSorted(five, 0), 15);
  EXPECT_DOUBLE_EQ(PercentileOfSorted(five, 100), 50);
  EXPECT_DOUBLE_EQ(PercentileOfSorted(five, 95), 48);  // h = 3.8
  EXPECT_DOUBLE_EQ(PercentileOfSorted(std::vector<double>{7}, 5), 7);
}

TEST(StatisticsTest, SelectedPercentilesEqualSortedOnes) {
  std::vector<double> values;
  for (int i = 0; i < 1001; ++i) values.push_back((i * 7919) % 1009 * 0.5);
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const std::vector<double> ps = {0, 1, 5, 25, 33.3, 50, 75, 95, 99.9, 100};
  const std::vector<double> selected = Percentiles(absl::MakeSpan(values), ps);
  ASSERT_EQ(selected.size(), ps.size());
  for (size_t i = 0; i < ps.size(); ++i) {
    EXPECT_EQ(selected[i], PercentileOfSorted(sorted, ps[i])) << ps[i];
  }
  std::vector<double> one = {4};
  EXPECT_EQ(Percentiles(absl::MakeSpan(one), ps), std::vector<double>(10, 4));
}

TEST(StatisticsTest, HistogramsHaveEqualBinsWithTheLastClosed) {
  const std::vector<double> values = {0, 1, 2, 3, 4, 10};
  const Histogram histogram = MakeHistogram(values, 5);
  EXPECT_EQ(histogram.edges, (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(histogram.counts, (std::vector<int64_t>{2, 2, 1, 0, 1}));

  // Edges that are not exact in binary still bound their bins.
  const std::vector<double> tenths = {0, 0.1, 0.2, 0.3, 0.7, 1.0};
  const Histogram fine = MakeHistogram(tenths, 10);
  ASSERT_EQ(fine.counts.size(), 10u);
  int64_t total = 0;
  for (size_t i = 0; i < fine.counts.size(); ++i) total += fine.counts[i];
  EXPECT_EQ(total, 6);
  EXPECT_EQ(fine.counts[9], 1);  // 1.0, in the closed last bin
  EXPECT_EQ(fine.edges.back(), 1.0);

  const Histogram same = MakeHistogram(std::vector<double>{3, 3, 3}, 4);
  EXPECT_EQ(same.edges, (std::vector<double>{3, 3}));
  EXPECT_EQ(same.counts, (std::vector<int64_t>{3}));
  EXPECT_TRUE(MakeHistogram({}, 4).counts.empty());
}

TEST(StatisticsTest, TiesShareTheirAverageRank) {
  EXPECT_EQ(AverageRanks(std::vector<double>{10, 20, 20, 30}),
            (std::vector<double>{1, 2.5, 2.5, 4}));
  EXPECT_EQ(AverageRanks(std::vector<double>{3, 1, 2}),
            (std::vector<double>{3, 1, 2}));
  EXPECT_EQ(AverageRanks(std::vector<double>{5, 5, 5}),
            (std::vector<double>{2, 2, 2}));
}

TEST(StatisticsTest, SpearmanIsPearsonOnRanks) {
  // Monotone, not linear: Spearman 1, Pearson below 1.
  const std::vector<double> x = {1, 2, 3, 4, 5};
  const std::vector<double> cubes = {1, 8, 27, 64, 125};
  EXPECT_DOUBLE_EQ(*SpearmanCorrelation(x, cubes), 1);
  EXPECT_LT(*PearsonCorrelation(x, cubes), 0.99);
  const std::vector<double> reversed = {5, 4, 3, 2, 1};
  EXPECT_DOUBLE_EQ(*SpearmanCorrelation(x, reversed), -1);

  // With a tie, by hand: ranks {1, 2.5, 2.5, 4} and {1, 3, 2, 4}, both of
  // mean 2.5; deviations {-1.5, 0, 0, 1.5} and {-1.5, 0.5, -0.5, 1.5};
  // 4.5 / sqrt(4.5 * 5).
  const std::vector<double> tied = {1, 2, 2, 3};
  const std::vector<double> other = {1, 3, 2, 4};
  EXPECT_NEAR(*SpearmanCorrelation(tied, other), 4.5 / std::sqrt(22.5), 1e-15);

  // Undefined without spread, with fewer than 2 pairs or unequal sizes.
  const std::vector<double> flat(4, 0.1);
  EXPECT_FALSE(SpearmanCorrelation(tied, flat).has_value());
  EXPECT_FALSE(PearsonCorrelation(flat, tied).has_value());
  EXPECT_FALSE(
      PearsonCorrelation(std::vector<double>{1}, std::vector<double>{2})
          .has_value());
  EXPECT_FALSE(SpearmanCorrelation(x, tied).has_value());
}

TEST(StatisticsTest, MeanAndSampleStandardDeviation) {
  const std::vector<double> values = {2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(*Mean(values), 5);
  EXPECT_DOUBLE_EQ(*SampleStdDev(values), std::sqrt(32.0 / 7));
  EXPECT_FALSE(Mean({}).has_value());
  EXPECT_FALSE(SampleStdDev(std::vector<double>{1}).has_value());
}

}  // namespace
}  // namespace seed::research
