// execution.fill_timing end to end, on a hand-made series where every fill,
// trade and equity point is computed by hand for each timing.
#include <string>

#include "common/time.h"
#include "gtest/gtest.h"
#include "services/coordinator/run_test_fixture.h"

namespace seed::coordinator {
namespace {

// (open, close) from 2020-01-06, one day each. Closes 10 9 8 10 12 11 8 9:
// with sma_cross fast 2 / slow 3 the fast average crosses above at day 5
// (01-10, close 12) and below at day 7 (01-12, close 8). all_in with
// cash_buffer 0.01 sizes the entry at day 5's close: floor(0.99 x 10000 /
// 12) = 825 shares under every timing. Commission 10 bps.
const std::vector<std::pair<double, double>> kSeries = {
    {10, 10}, {10, 9},    {9, 8},  {8, 10},
    {10, 12}, {11.5, 11}, {11, 8}, {9.5, 9}};

class FillTimingRunTest : public RunTest {
 protected:
  // RunTest's spec with execution.fill_timing `timing`.
  std::string TimedSpec(const std::string& timing) {
    const std::string spec = Spec("AAA");
    return spec.substr(0, spec.find("execution:")) +
           "execution: {commission: {model: percent, bps: 10}, fill_timing: " +
           timing + "}\n";
  }

  v1::GetRunResponse RunWith(const std::string& timing) {
    WriteBars("AAA", kSeries);
    const v1::RunProgress progress = RunToEnd(TimedSpec(timing));
    EXPECT_EQ(progress.state(), v1::SUCCEEDED) << progress.DebugString();
    return Stored(progress.run_id());
  }
};

TEST_F(FillTimingRunTest, NextOpenFillsAtTheOpensAfterTheCrosses) {
  const v1::GetRunResponse run = RunWith("next_open");
  // Day 6 opens at 11.5: 9487.5 + 9.4875 leaves 503.0125; day 8 opens at
  // 9.5: 7837.5 - 7.8375 more makes 8332.675.
  ASSERT_EQ(run.fills_size(), 2);
  EXPECT_EQ(run.fills(0).time(), *ParseTime("2020-01-11"));
  EXPECT_EQ(run.fills(0).price(), 11.5);
  EXPECT_EQ(run.fills(1).time(), *ParseTime("2020-01-13"));
  EXPECT_EQ(run.fills(1).price(), 9.5);
  ASSERT_EQ(run.trades_size(), 1);
  EXPECT_NEAR(run.trades(0).net_pnl(), -1650 - 17.325, 1e-9);
  EXPECT_NEAR(run.run().metrics().final_equity(), 8332.675, 1e-9);
}

TEST_F(FillTimingRunTest, NextCloseFillsAtTheClosesAfterTheCrosses) {
  const v1::GetRunResponse run = RunWith("next_close");
  // Day 6 closes at 11: 9075 + 9.075 leaves 915.925; day 8 closes at 9:
  // 7425 - 7.425 more makes 8333.5.
  ASSERT_EQ(run.fills_size(), 2);
  EXPECT_EQ(run.fills(0).time(), *ParseTime("2020-01-11"));
  EXPECT_EQ(run.fills(0).price(), 11);
  EXPECT_EQ(run.fills(1).time(), *ParseTime("2020-01-13"));
  EXPECT_EQ(run.fills(1).price(), 9);
  ASSERT_EQ(run.trades_size(), 1);
  EXPECT_NEAR(run.trades(0).net_pnl(), -1650 - 16.5, 1e-9);
  EXPECT_NEAR(run.run().metrics().final_equity(), 8333.5, 1e-9);
}

TEST_F(FillTimingRunTest, CloseFillsAtTheClosesOfTheCrossesThemselves) {
  const v1::GetRunResponse run = RunWith("close");
  // Day 5 closes at 12: 9900 + 9.9 leaves 90.1, and that day's equity is
  // 90.1 + 825 x 12 = 9990.1 (the costs of the fill, after it). Day 6:
  // 90.1 + 825 x 11 = 9165.1. Day 7 closes at 8: 6600 - 6.6 more makes
  // 6683.5.
  ASSERT_EQ(run.fills_size(), 2);
  EXPECT_EQ(run.fills(0).time(), *ParseTime("2020-01-10"));
  EXPECT_EQ(run.fills(0).price(), 12);
  EXPECT_EQ(run.fills(0).quantity(), 825);
  EXPECT_EQ(run.fills(1).time(), *ParseTime("2020-01-12"));
  EXPECT_EQ(run.fills(1).price(), 8);
  ASSERT_EQ(run.equity_size(), 8);
  EXPECT_NEAR(run.equity(3).equity(), 10000, 1e-9);
  EXPECT_NEAR(run.equity(4).cash(), 90.1, 1e-9);
  EXPECT_NEAR(run.equity(4).equity(), 9990.1, 1e-9);
  EXPECT_NEAR(run.equity(5).equity(), 9165.1, 1e-9);
  EXPECT_NEAR(run.equity(6).cash(), 6683.5, 1e-9);
  EXPECT_NEAR(run.equity(7).equity(), 6683.5, 1e-9);
  ASSERT_EQ(run.trades_size(), 1);
  const v1::Trade& trade = run.trades(0);
  EXPECT_EQ(trade.entry_time(), *ParseTime("2020-01-10"));
  EXPECT_EQ(trade.exit_time(), *ParseTime("2020-01-12"));
  EXPECT_NEAR(trade.gross_pnl(), (8 - 12) * 825, 1e-9);
  EXPECT_NEAR(trade.commission(), 16.5, 1e-9);
  // Held through day 6 (low 10) and the whole of day 7 (low 7) before its
  // close: MAE 7 - 12.
  EXPECT_NEAR(trade.mae(), 7 - 12, 1e-9);
  EXPECT_NEAR(run.run().metrics().final_equity(), 6683.5, 1e-9);
}

TEST_F(FillTimingRunTest, AnUnknownTimingIsRefusedBeforeTheRun) {
  WriteBars("AAA", kSeries);
  absl::StatusOr<std::string> run_id =
      runs_->Submit(TimedSpec("open"), directory_.string());
  ASSERT_FALSE(run_id.ok());
  EXPECT_NE(run_id.status().message().find(
                "execution.fill_timing: unknown timing \"open\"; allowed: "
                "next_open, close, next_close"),
            std::string::npos)
      << run_id.status();
}

}  // namespace
}  // namespace seed::coordinator
