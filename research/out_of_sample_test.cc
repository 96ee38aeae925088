#include "research/out_of_sample.h"

#include <cmath>
#include <string>
#include <vector>

#include "common/time.h"
#include "gtest/gtest.h"
#include "services/results/metrics.h"

namespace seed::research {
namespace {

using ::backtest::v1::EquityPoint;
using ::backtest::v1::Trade;

int64_t Day(int day) { return *ParseTime("2020-01-01") + day * kSecondsPerDay; }

// One point a day from `first_day`: the equities given; flat (cash =
// equity) at the first and last point, holding a position in between.
std::vector<EquityPoint> Curve(int first_day,
                               const std::vector<double>& equities) {
  std::vector<EquityPoint> points;
  for (size_t i = 0; i < equities.size(); ++i) {
    EquityPoint point;
    point.set_time(Day(first_day + static_cast<int>(i)));
    point.set_equity(equities[i]);
    const bool flat = i == 0 || i + 1 == equities.size();
    point.set_cash(flat ? equities[i] : equities[i] - 5000);
    points.push_back(point);
  }
  return points;
}

Trade Closed(int entry_day, int exit_day, double net_pnl) {
  Trade trade;
  trade.set_symbol("AAA");
  trade.set_entry_time(Day(entry_day));
  trade.set_exit_time(Day(exit_day));
  trade.set_net_pnl(net_pnl);
  return trade;
}

struct Records {
  std::vector<std::vector<EquityPoint>> equity;
  std::vector<std::vector<Trade>> trades;

  std::vector<Segment> Segments() const {
    std::vector<Segment> segments;
    for (size_t i = 0; i < equity.size(); ++i) {
      segments.push_back({equity[i], trades[i], {}});
    }
    return segments;
  }
};

Records ThreeWindows() {
  Records records;
  records.equity = {Curve(0, {100000, 100400, 101000}),
                    Curve(3, {101000, 99500, 99000}),
                    Curve(6, {99000, 102000, 105000})};
  records.trades = {
      {Closed(0, 2, 1000)}, {Closed(3, 5, -2000)}, {Closed(6, 8, 6000)}};
  return records;
}

StitchOptions Options() {
  StitchOptions options;
  options.initial_cash = 100000;
  options.interval_seconds = kSecondsPerDay;
  return options;
}

TEST(OutOfSampleTest, StitchesSegmentsIntoOneRunWithItsMetrics) {
  const Records records = ThreeWindows();
  absl::StatusOr<StitchedRun> run = Stitch(records.Segments(), Options());
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(run->equity.size(), 9u);
  EXPECT_EQ(run->boundaries, (std::vector<size_t>{0, 3, 6}));
  EXPECT_EQ(run->equity[3].equity(), 101000);
  EXPECT_EQ(run->equity[8].time(), Day(8));
  ASSERT_EQ(run->trades.size(), 3u);
  EXPECT_EQ(run->trades[1].net_pnl(), -2000);

  EXPECT_EQ(run->metrics.initial_equity(), 100000);
  EXPECT_EQ(run->metrics.final_equity(), 105000);
  EXPECT_NEAR(run->metrics.total_return(), 0.05, 1e-12);
  EXPECT_EQ(run->metrics.trades(), 3);
  // The deepest drawdown spans a window boundary: 101000 -> 99000.
  EXPECT_DOUBLE_EQ(run->metrics.max_drawdown(), 1 - 99000.0 / 101000.0);
  EXPECT_DOUBLE_EQ(run->metrics.win_rate(), 2.0 / 3.0);
}

TEST(OutOfSampleTest, ContinuityIsCheckedWithinOneBillionth) {
  Records records = ThreeWindows();
  // Off by 0.5e-9 relative: a decimal round trip of the cash; accepted.
  records.equity[1][0].set_equity(101000 * (1 + 0.5e-9));
  records.equity[1][0].set_cash(records.equity[1][0].equity());
  EXPECT_TRUE(Stitch(records.Segments(), Options()).ok());

  records.equity[1][0].set_equity(101000.5);
  records.equity[1][0].set_cash(101000.5);
  EXPECT_EQ(Stitch(records.Segments(), Options()).status().message(),
            "out-of-sample window 1 starts with equity 101000.5, not window 0 "
            "ended with 101000: each out-of-sample run must start flat with "
            "the previous one's final equity as its cash");

  StitchOptions options = Options();
  options.initial_cash = 90000;
  EXPECT_EQ(Stitch(ThreeWindows().Segments(), options).status().message(),
            "out-of-sample window 0 starts with equity 100000, not the "
            "walk-forward's initial cash 90000: each out-of-sample run must "
            "start flat with the previous one's final equity as its cash");
}

TEST(OutOfSampleTest, RefusesOverlapsAndOpenTrades) {
  Records overlap = ThreeWindows();
  overlap.equity[2] = Curve(5, {99000, 102000, 105000});
  EXPECT_EQ(Stitch(overlap.Segments(), Options()).status().message(),
            "out-of-sample window 2 starts at 2020-01-06, not after window 1's "
            "last point at 2020-01-06: out-of-sample windows must not "
            "overlap");

  // close_at_end closes positions after the last point is recorded: the
  // point still shows them, and its equity is what the window ends with.
  Records closed_at_end = ThreeWindows();
  closed_at_end.equity[0].back().set_cash(1000);
  EXPECT_TRUE(Stitch(closed_at_end.Segments(), Options()).ok());

  Records open = ThreeWindows();
  open.trades[2][0].set_exit_time(0);
  const absl::Status status = Stitch(open.Segments(), Options()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "out-of-sample window 2 has an open trade (AAA entered "
            "2020-01-07): run each out-of-sample window with close_at_end so "
            "that it ends flat");

  Records empty = ThreeWindows();
  empty.equity[1].clear();
  EXPECT_EQ(Stitch(empty.Segments(), Options()).status().message(),
            "out-of-sample window 1 has no equity points");
  EXPECT_FALSE(Stitch({}, Options()).ok());
}

TEST(OutOfSampleTest, AnnualizedReturnsAndYears) {
  EXPECT_DOUBLE_EQ(YearsBetween(0, static_cast<int64_t>(365.25 * 86400)), 1);
  EXPECT_NEAR(*AnnualizedReturn({0.21, 2}), 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(*AnnualizedReturn({-1, 1}), -1);
  EXPECT_FALSE(AnnualizedReturn({-1.5, 1}).has_value());
  EXPECT_FALSE(AnnualizedReturn({0.1, 0}).has_value());
}

TEST(OutOfSampleTest, EfficiencyPerWindowAndOverall) {
  const std::vector<WindowReturns> windows = {
      {{0.21, 2}, {0.05, 1}},    // 10% a year in sample, 5% out: 0.5
      {{-0.1, 2}, {0.02, 1}},    // lost in sample: undefined
      {{0.44, 2}, {-0.04, 0.5}}  // 20% in, 0.96^2 - 1 out
  };
  const WalkForwardEfficiency result = MeasureEfficiency(windows);
  ASSERT_EQ(result.windows.size(), 3u);
  EXPECT_NEAR(*result.windows[0].in_sample, 0.1, 1e-12);
  EXPECT_NEAR(*result.windows[0].out_of_sample, 0.05, 1e-12);
  EXPECT_NEAR(*result.windows[0].efficiency, 0.5, 1e-12);
  EXPECT_LT(*result.windows[1].in_sample, 0);
  EXPECT_NEAR(*result.windows[1].out_of_sample, 0.02, 1e-12);
  EXPECT_FALSE(result.windows[1].efficiency.has_value());
  EXPECT_NEAR(*result.windows[2].efficiency, (0.96 * 0.96 - 1) / 0.2, 1e-12);

  // Chained: 1.21 * 0.9 * 1.44 over 6 years against 1.05 * 1.02 * 0.96 over
  // 2.5 years.
  const double in_sample = std::pow(1.21 * 0.9 * 1.44, 1 / 6.0) - 1;
  const double out_of_sample = std::pow(1.05 * 1.02 * 0.96, 1 / 2.5) - 1;
  EXPECT_NEAR(*result.overall.in_sample, in_sample, 1e-12);
  EXPECT_NEAR(*result.overall.out_of_sample, out_of_sample, 1e-12);
  EXPECT_NEAR(*result.overall.efficiency, out_of_sample / in_sample, 1e-9);

  // One window below -100% leaves the chain undefined.
  const std::vector<WindowReturns> ruined = {{{-1.5, 1}, {0.1, 1}},
                                             {{-1.5, 1}, {0.1, 1}}};
  EXPECT_FALSE(MeasureEfficiency(ruined).overall.in_sample.has_value());
  EXPECT_FALSE(MeasureEfficiency({}).overall.efficiency.has_value());
}

}  // namespace
}  // namespace seed::research
