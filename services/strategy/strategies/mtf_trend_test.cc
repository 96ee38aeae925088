#include "services/strategy/strategies/mtf_trend.h"

#include <optional>
#include <string>
#include <vector>

#include "backtest/v1/strategy.pb.h"
#include "common/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/strategy/strategies/strategy_test_util.h"
#include "services/strategy/strategy_engine.h"

namespace seed::strategy {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kMinute = 60;

// Four days of one-minute closes from 2006-01-02, 09:01 on; a day's bar
// closes with its last minute.
const std::vector<std::vector<double>> kDays = {{10, 11, 12, 13},
                                                {12, 13, 14, 15},
                                                {14, 13, 13.5, 14.5},
                                                {15, 16, 15, 16.5}};

// How the day bars reach the strategy.
enum class Delivery {
  kClosed,  // at the next day's first step, as the coordinator does
  kEarly,   // at the day's own first step: look-ahead, for contrast only
};

// One step per minute of kDays; each day's first step carries a "1d" closed
// bar (close = the day's last close) per `delivery`.
std::vector<backtest::v1::TimeStep> Steps(Delivery delivery) {
  const int64_t first_day = ParseTime("2006-01-02").value();
  std::vector<backtest::v1::TimeStep> steps;
  for (size_t day = 0; day < kDays.size(); ++day) {
    const int64_t date = first_day + day * kSecondsPerDay;
    for (size_t minute = 0; minute < kDays[day].size(); ++minute) {
      backtest::v1::TimeStep step;
      step.set_index(steps.size());
      step.set_time(date + 9 * 3600 + (minute + 1) * kMinute);
      backtest::v1::Bar* bar = step.add_bars();
      bar->set_symbol(0);
      bar->set_close(kDays[day][minute]);
      if (minute == 0 && (delivery == Delivery::kEarly || day > 0)) {
        const size_t shown = delivery == Delivery::kClosed ? day - 1 : day;
        backtest::v1::ClosedBar* closed = step.add_closed_bars();
        closed->set_timeframe("1d");
        closed->set_time(first_day + shown * kSecondsPerDay);
        closed->set_close_time(closed->time() + kSecondsPerDay);
        closed->mutable_bar()->set_symbol(0);
        closed->mutable_bar()->set_close(kDays[shown].back());
      }
      steps.push_back(step);
    }
  }
  return steps;
}

const TestParams kShort = {{"ema_length", 2}, {"trend_length", 2}};

// ema = EMA(2) of the minute closes (alpha 2/3, seeded with the mean of the
// first two); d = close - ema; the trend: the last closed day's close
// against the SMA(2) of the last two closed days (with two days, "up" means
// the later day closed higher).
//  step day  close  ema      d        closed days     trend  event
//   0-3  1   10..13 (d > 0 from step 1 on: no cross)  none   -
//   4    2   12     12.1667  -0.1667  13              -      cross below
//   5    2   13     12.7222  +0.2778  13              -      cross above
//   6-7  2   14, 15          > 0      13              -
//   8    3   14     14.1749  -0.1749  13, 15 (sma 14)  up    cross below
//   9    3   13     13.3916  -0.3916                   up
//  10    3   13.5   13.4639  +0.0361                   up    cross above: BUY
//  11    3   14.5   14.1546  +0.3454                   up
//  12    4   15     14.7182  +0.2818  15, 14.5 (14.75) down  trend turned:
//                                                            CLOSE (no cross)
//  13    4   16     15.5727  +0.4273                   down
//  14    4   15     15.1909  -0.1909                   down  cross below
//  15    4   16.5   16.0636  +0.4364                   down  cross above
TEST(MtfTrendTest, EntersOnACrossInTheClosedDaysTrendAndExitsWhenItTurns) {
  EXPECT_THAT(
      RunSteps(MtfTrend::Definition(), kShort, Steps(Delivery::kClosed)),
      ElementsAre("BUY@10", "CLOSE@12"));
}

TEST(MtfTrendTest, ShortsOnACrossBelowInADownTrendAndCoversOnACrossAbove) {
  // direction both: the long trade above, then SHORT at step 14 (cross
  // below, day 3 closed lower: down) and COVER at 15 (cross above).
  TestParams both = kShort;
  both.emplace("direction", "both");
  EXPECT_THAT(RunSteps(MtfTrend::Definition(), both, Steps(Delivery::kClosed)),
              ElementsAre("BUY@10", "CLOSE@12", "SHORT@14", "COVER@15"));
}

TEST(MtfTrendTest, SeeingTheDaysBarBeforeItClosesWouldTradeDifferently) {
  // With each day's bar at its own first step, day 2 already "knows" it
  // closes up (15 > 13): BUY at the cross above at step 5; day 3 "knows" it
  // closes down (14.5 < 15): CLOSE at step 8; day 4 "knows" 16.5 > 14.5:
  // BUY at step 15. None of these is a trade of the honest run above.
  EXPECT_THAT(RunSteps(MtfTrend::Definition(), kShort, Steps(Delivery::kEarly)),
              ElementsAre("BUY@5", "CLOSE@8", "BUY@15"));
}

TEST(MtfTrendTest, IgnoresTimeframesItDidNotAskFor) {
  // In a run of several strategies a step carries every strategy's
  // timeframes. A 4h bar closing at 1000 at every step would, if it counted,
  // fill the SMA(2) with 1000s: a last close equal to its SMA is no trend,
  // so there would be no trade at all.
  std::vector<backtest::v1::TimeStep> steps = Steps(Delivery::kClosed);
  for (backtest::v1::TimeStep& step : steps) {
    backtest::v1::ClosedBar* other = step.add_closed_bars();
    other->set_timeframe("4h");
    other->mutable_bar()->set_symbol(0);
    other->mutable_bar()->set_close(1000);
  }
  EXPECT_THAT(RunSteps(MtfTrend::Definition(), kShort, steps),
              ElementsAre("BUY@10", "CLOSE@12"));
}

TEST(MtfTrendTest, AsksTheEngineForItsTimeframe) {
  StrategyEngine engine;
  backtest::v1::StrategyStartRequest start;
  start.set_run_id("run-1");
  start.mutable_strategy()->set_name("mtf_trend");
  (*start.mutable_strategy()->mutable_params())["timeframe"].set_text("4h");
  start.add_symbols("AAA");
  backtest::v1::StrategyStartResponse started;
  ASSERT_TRUE(engine.StartRun(start, &started).ok());
  EXPECT_THAT(started.timeframes(), ElementsAre("4h"));
}

TEST(MtfTrendTest, ListedWithItsDefaults) {
  const std::optional<backtest::v1::StrategyInfo> info =
      ListedInfo("mtf_trend");
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->params_size(), 4);
  EXPECT_EQ(info->params(0).name(), "timeframe");
  EXPECT_EQ(info->params(0).default_value().text(), "1d");
  EXPECT_THAT(info->params(0).choices(), ElementsAre("1h", "4h", "1d"));
  EXPECT_EQ(info->params(1).name(), "ema_length");
  EXPECT_EQ(info->params(1).default_value().number(), 20);
  EXPECT_EQ(info->params(2).name(), "trend_length");
  EXPECT_EQ(info->params(2).default_value().number(), 5);
  EXPECT_EQ(info->params(3).name(), "direction");
}

TEST(MtfTrendTest, BadParamsAreReportedByField) {
  EXPECT_THAT(InvalidParamFields("mtf_trend", {{"timeframe", "1w"}}),
              ElementsAre("strategy.params.timeframe"));
  EXPECT_THAT(InvalidParamFields("mtf_trend", {{"trend_length", 1}}),
              ElementsAre("strategy.params.trend_length"));
}

}  // namespace
}  // namespace seed::strategy
