// Hand-checked scenarios for every order type, time in force, bracket,
// amendment, participation cap and cost model of the Simulator, each with its
// arithmetic, and the proof that any cut of a run of steps gives the fills of
// one step per call.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "gtest/gtest.h"
#include "services/execution/simulator.h"
#include "services/execution/simulator_test_util.h"

namespace seed::execution {
namespace {

using backtest::v1::Bar;
using backtest::v1::ExecuteStepsRequest;
using backtest::v1::ExecuteStepsResponse;
using backtest::v1::Fill;
using backtest::v1::Order;
using backtest::v1::OrderEvent;
using backtest::v1::TimeStep;

// ---- Limit and stop ---------------------------------------------------------

TEST(OrderTypesTest, LimitBuyFillsAtTheLimitOrAnOpenBelowIt) {
  Simulator simulator = Make();
  // Step 0: low 101 stays above the limit 100. Step 1: low 99 reaches it,
  // the open 102 is above it: fill at min(102, 100) = 100, no gap.
  ExecuteStepsResponse touched =
      Execute(simulator, Request({Daily(0, Ohlcv(103, 104, 101, 103)),
                                  Daily(1, Ohlcv(102, 103, 99, 100))},
                                 {Limit(1, kBuy, 10, 100)}));
  EXPECT_EQ(touched.steps_used(), 2);
  ASSERT_EQ(touched.fills_size(), 1);
  EXPECT_EQ(touched.fills(0).price(), 100);
  EXPECT_EQ(touched.fills(0).raw_price(), 100);
  EXPECT_FALSE(touched.fills(0).gap());
  EXPECT_EQ(touched.fills(0).type(), backtest::v1::LIMIT);
  EXPECT_FALSE(touched.fills(0).partial());
  // Step 2 opens at 98, already below the limit 100: fill at the open.
  ExecuteStepsResponse gapped = Execute(
      simulator,
      Request({Daily(2, Ohlcv(98, 99, 97, 98))}, {Limit(2, kBuy, 10, 100)}));
  ASSERT_EQ(gapped.fills_size(), 1);
  EXPECT_EQ(gapped.fills(0).price(), 98);
  EXPECT_TRUE(gapped.fills(0).gap());
}

TEST(OrderTypesTest, LimitSellFillsAtTheLimitOrAnOpenAboveIt) {
  Simulator simulator = Make();
  // High 106 reaches 105 from an open of 104: max(104, 105) = 105.
  ExecuteStepsResponse touched =
      Execute(simulator, Request({Daily(0, Ohlcv(104, 106, 103, 105))},
                                 {Limit(1, kSell, 10, 105)}));
  ASSERT_EQ(touched.fills_size(), 1);
  EXPECT_EQ(touched.fills(0).price(), 105);
  EXPECT_FALSE(touched.fills(0).gap());
  // A gap up to 107 fills at the open.
  ExecuteStepsResponse gapped =
      Execute(simulator, Request({Daily(1, Ohlcv(107, 108, 106, 107))},
                                 {Limit(2, kSell, 10, 105)}));
  ASSERT_EQ(gapped.fills_size(), 1);
  EXPECT_EQ(gapped.fills(0).price(), 107);
  EXPECT_TRUE(gapped.fills(0).gap());
}

TEST(OrderTypesTest, StopsFillAtTheStopOrAtAnOpenThatGappedThroughIt) {
  Simulator simulator = Make();
  // Buy stop 105: high 106 reaches it from 103, fill max(103, 105) = 105.
  // Sell stop 95: low 94 reaches it from 97, fill min(97, 95) = 95.
  ExecuteStepsResponse touched = Execute(
      simulator,
      Request({At(0, Day("2001-01-02"),
                  {Ohlcv(103, 106, 102, 104), Ohlcv(97, 98, 94, 95, 1e6, 1)})},
              {Stop(1, kBuy, 10, 105), [] {
                 Order sell = Stop(2, kSell, 10, 95);
                 sell.set_symbol(1);
                 return sell;
               }()}));
  ASSERT_EQ(touched.fills_size(), 2);
  EXPECT_EQ(touched.fills(0).order_id(), 2);  // sells first
  EXPECT_EQ(touched.fills(0).price(), 95);
  EXPECT_FALSE(touched.fills(0).gap());
  EXPECT_EQ(touched.fills(1).price(), 105);
  EXPECT_FALSE(touched.fills(1).gap());
  // Gap up to 107 through the buy stop 105, gap down to 93 through the sell
  // stop 95: both fill at the open.
  ExecuteStepsResponse gapped = Execute(
      simulator,
      Request({At(1, Day("2001-01-03"),
                  {Ohlcv(107, 108, 106, 107), Ohlcv(93, 94, 92, 93, 1e6, 1)})},
              {Stop(3, kBuy, 10, 105), [] {
                 Order sell = Stop(4, kSell, 10, 95);
                 sell.set_symbol(1);
                 return sell;
               }()}));
  ASSERT_EQ(gapped.fills_size(), 2);
  EXPECT_EQ(gapped.fills(0).price(), 93);
  EXPECT_TRUE(gapped.fills(0).gap());
  EXPECT_EQ(gapped.fills(1).price(), 107);
  EXPECT_TRUE(gapped.fills(1).gap());
}

TEST(OrderTypesTest, OrderWithoutABarAtAStepFillsNothingThere) {
  Simulator simulator = Make();
  // Only BBB trades at step 0; AAA's market order waits for step 1.
  ExecuteStepsResponse response = Execute(
      simulator,
      Request({At(0, Day("2001-01-02"), {Ohlcv(50, 51, 49, 50, 1e6, 1)}),
               Daily(1, Ohlcv(101, 102, 100, 101))},
              {Market(1, kBuy, 10)}));
  EXPECT_EQ(response.steps_used(), 2);
  ASSERT_EQ(response.fills_size(), 1);
  EXPECT_EQ(response.fills(0).time(), Day("2001-01-03"));
  EXPECT_EQ(response.fills(0).price(), 101);
}

// ---- Stop-limit -------------------------------------------------------------

Order StopLimit(int64_t id, backtest::v1::Side side, double quantity,
                double stop, double limit) {
  Order order = Base(id, side, quantity, backtest::v1::STOP_LIMIT);
  order.set_stop_price(stop);
  order.set_limit_price(limit);
  return order;
}

TEST(OrderTypesTest, StopLimitTriggersWithoutFillingThenFillsAsALimit) {
  Simulator simulator = Make();
  // Buy stop 105 limit 106. Step 0 opens at 107: triggered, but the trigger
  // price max(107, 105) = 107 is above the limit 106, so no fill; the event
  // ends the call.
  ExecuteStepsResponse triggered =
      Execute(simulator, Request({Daily(0, Ohlcv(107, 108, 106.5, 107)),
                                  Daily(1, Ohlcv(106.5, 107, 105.5, 106))},
                                 {StopLimit(1, kBuy, 10, 105, 106)}));
  EXPECT_EQ(triggered.steps_used(), 1);
  EXPECT_EQ(triggered.fills_size(), 0);
  ASSERT_EQ(triggered.events_size(), 1);
  EXPECT_EQ(triggered.events(0).kind(), OrderEvent::TRIGGERED);
  EXPECT_EQ(triggered.events(0).order_id(), 1);
  EXPECT_TRUE(triggered.events(0).order().triggered());
  EXPECT_EQ(triggered.working_orders(), 1);
  // Step 1 works it as a limit buy at 106: low 105.5 reaches it, fill at
  // min(106.5, 106) = 106.
  ExecuteStepsResponse filled =
      Execute(simulator, Request({Daily(1, Ohlcv(106.5, 107, 105.5, 106))}));
  ASSERT_EQ(filled.fills_size(), 1);
  EXPECT_EQ(filled.fills(0).price(), 106);
  EXPECT_EQ(filled.fills(0).type(), backtest::v1::STOP_LIMIT);
}

TEST(OrderTypesTest, StopLimitFillsOnItsTriggeringBarWithinTheLimit) {
  Models models;
  models.slippage.set_model("fixed_bps");
  models.slippage.set_bps(100);
  Simulator simulator = Make(models);
  // High 105.5 reaches the stop 105 from an open of 104: trigger price 105 is
  // within the limit 106, so it fills there, with no slippage (a limit fill).
  ExecuteStepsResponse response =
      Execute(simulator, Request({Daily(0, Ohlcv(104, 105.5, 103, 105))},
                                 {StopLimit(1, kBuy, 10, 105, 106)}));
  ASSERT_EQ(response.fills_size(), 1);
  EXPECT_EQ(response.fills(0).price(), 105);
  EXPECT_EQ(response.fills(0).slippage(), 0);
  EXPECT_EQ(response.events_size(), 0);
}

// ---- Trailing stops ---------------------------------------------------------

Order Trailing(int64_t id, backtest::v1::Side side, double quantity) {
  Order order = Base(id, side, quantity, backtest::v1::TRAILING_STOP);
  order.set_role(backtest::v1::TRAILING);
  return order;
}

TEST(OrderTypesTest, TrailingSellByAmountFollowsTheHighAndNeverLoosens) {
  Simulator simulator = Make();
  Order order = Trailing(1, kSell, 10);
  order.mutable_trail()->set_amount(5);
  // Starts at the reference 100: stop 95.
  // Step 0: low 98 > 95; then best 104, stop 99.
  // Step 1: low 100 > 99; high 103.5 leaves best 104, stop 99.
  // Step 2: low 98 <= 99: fill at min(100, 99) = 99.
  ExecuteStepsResponse response =
      Execute(simulator, Request({Daily(0, Ohlcv(100, 104, 98, 103)),
                                  Daily(1, Ohlcv(103, 103.5, 100, 101)),
                                  Daily(2, Ohlcv(100, 101, 98, 99))},
                                 {order}));
  EXPECT_EQ(response.steps_used(), 3);
  ASSERT_EQ(response.fills_size(), 1);
  EXPECT_EQ(response.fills(0).price(), 99);
  EXPECT_EQ(response.fills(0).role(), backtest::v1::TRAILING);
  EXPECT_EQ(response.fills(0).type(), backtest::v1::TRAILING_STOP);
}

TEST(OrderTypesTest, TrailingBuyByPercentFollowsTheLowAndGaps) {
  Simulator simulator = Make();
  Order order = Trailing(1, kBuy, 10);
  order.mutable_trail()->set_percent(0.05);
  // Starts at 100: stop 100 * 1.05 = 105. Step 0: high 101 < 105; best 90,
  // stop min(105, 90 * 1.05 = 94.5) = 94.5. Step 1 opens at 96, above 94.5:
  // a gap, fill at the open.
  ExecuteStepsResponse response =
      Execute(simulator, Request({Daily(0, Ohlcv(99, 101, 90, 92)),
                                  Daily(1, Ohlcv(96, 97, 93, 95))},
                                 {order}));
  ASSERT_EQ(response.fills_size(), 1);
  EXPECT_EQ(response.fills(0).price(), 96);
  EXPECT_TRUE(response.fills(0).gap());
}

TEST(OrderTypesTest, TrailingByAtrSmoothsTheAtrAndNeverLoosens) {
  Simulator simulator = Make();
  Order order = Trailing(1, kSell, 10);
  order.mutable_trail()->set_atr_multiple(2);
  order.mutable_trail()->set_atr(2);
  order.mutable_trail()->set_atr_length(3);
  // Starts at 100 with ATR 2: stop 100 - 4 = 96.
  // Step 0: low 99 > 96. Best 102; true range max(102, 100) - min(99, 100) =
  //   3; ATR (2 * 2 + 3) / 3 = 7/3; stop 102 - 14/3 = 97.333.
  // Step 1: low 98 > 97.333. True range max(101.5, 101) - min(98, 101) = 3.5;
  //   ATR (7/3 * 2 + 3.5) / 3 = 2.7222; 102 - 5.4444 = 96.556 would loosen
  //   the stop, so it stays 97.333.
  // Step 2: low 97 <= 97.333: fill at min(98, 97.333) = 97.333.
  ExecuteStepsResponse response =
      Execute(simulator, Request({Daily(0, Ohlcv(100, 102, 99, 101)),
                                  Daily(1, Ohlcv(101, 101.5, 98, 99)),
                                  Daily(2, Ohlcv(98, 98.5, 97, 98))},
                                 {order}));
  EXPECT_EQ(response.steps_used(), 3);
  ASSERT_EQ(response.fills_size(), 1);
  EXPECT_NEAR(response.fills(0).price(), 102 - 14.0 / 3, 1e-9);
}

// ---- Time in force ----------------------------------------------------------

TEST(OrderTypesTest, DayOrderOnDailyBarsExpiresAfterOneBar) {
  Simulator simulator = Make();
  Order order = Limit(1, kBuy, 10, 90);
  order.set_time_in_force(backtest::v1::DAY);
  ExecuteStepsResponse response =
      Execute(simulator, Request({Daily(0, Ohlcv(100, 101, 95, 99)),
                                  Daily(1, Ohlcv(99, 100, 85, 90))},
                                 {order}));
  EXPECT_EQ(response.steps_used(), 1);
  EXPECT_EQ(response.fills_size(), 0);
  ASSERT_EQ(response.events_size(), 1);
  EXPECT_EQ(response.events(0).kind(), OrderEvent::EXPIRED);
  EXPECT_EQ(response.events(0).time(), Day("2001-01-02"));
  EXPECT_EQ(response.events(0).remaining_quantity(), 10);
  EXPECT_EQ(response.working_orders(), 0);
}

TEST(OrderTypesTest, BarsOrderCountsOnlyItsSymbolsBars) {
  Simulator simulator = Make();
  Order order = Limit(1, kBuy, 10, 90);
  order.set_time_in_force(backtest::v1::BARS);
  order.set_tif_bars(2);
  // AAA trades at steps 0 and 2 (step 1 has only BBB): the order works two
  // bars, expiring at step 2 without a fill.
  ExecuteStepsResponse response = Execute(
      simulator,
      Request(
          {Daily(0, Ohlcv(100, 101, 95, 99)),
           At(1, Day("2001-01-03"), {Ohlcv(50, 51, 49, 50, 1e6, 1)}),
           Daily(2, Ohlcv(99, 100, 91, 95)), Daily(3, Ohlcv(95, 96, 80, 85))},
          {order}));
  EXPECT_EQ(response.steps_used(), 3);
  ASSERT_EQ(response.events_size(), 1);
  EXPECT_EQ(response.events(0).kind(), OrderEvent::EXPIRED);
  EXPECT_EQ(response.events(0).time(), Day("2001-01-04"));
}

TEST(OrderTypesTest, ParticipationFillsPartlyAcrossBarsThenDayExpires) {
  Models models;
  models.policy.max_fraction_of_volume = 0.1;
  Simulator simulator = Make(models);
  Order order = Market(1, kBuy, 250);
  order.set_time_in_force(backtest::v1::DAY);
  const int64_t day1 = Day("2001-01-02");
  const int64_t day2 = Day("2001-01-03");
  // Hourly bars. 10:00, volume 1000: floor(0.1 * 1000) = 100 fill, 150 left.
  ExecuteStepsResponse first =
      Execute(simulator,
              Request({At(0, day1 + 10 * 3600, {Ohlcv(10, 11, 9, 10, 1000)})},
                      {order}));
  ASSERT_EQ(first.fills_size(), 1);
  EXPECT_EQ(first.fills(0).quantity(), 100);
  EXPECT_TRUE(first.fills(0).partial());
  EXPECT_EQ(first.fills(0).remaining_quantity(), 150);
  // 11:00, volume 5: floor(0.5) = 0, nothing fills, the order keeps working.
  // 12:00, volume 800: 80 fill, 70 left.
  ExecuteStepsResponse second =
      Execute(simulator,
              Request({At(1, day1 + 11 * 3600, {Ohlcv(10, 11, 9, 10, 5)}),
                       At(2, day1 + 12 * 3600, {Ohlcv(10, 11, 9, 10, 800)})}));
  EXPECT_EQ(second.steps_used(), 2);
  ASSERT_EQ(second.fills_size(), 1);
  EXPECT_EQ(second.fills(0).quantity(), 80);
  EXPECT_EQ(second.fills(0).remaining_quantity(), 70);
  // The next day's first step ends the DAY order, at the time of the last bar
  // it worked in (12:00), with 70 unfilled.
  ExecuteStepsResponse expired =
      Execute(simulator,
              Request({At(3, day2 + 10 * 3600, {Ohlcv(10, 11, 9, 10, 1000)})}));
  EXPECT_EQ(expired.fills_size(), 0);
  ASSERT_EQ(expired.events_size(), 1);
  EXPECT_EQ(expired.events(0).kind(), OrderEvent::EXPIRED);
  EXPECT_EQ(expired.events(0).time(), day1 + 12 * 3600);
  EXPECT_EQ(expired.events(0).remaining_quantity(), 70);
  EXPECT_EQ(expired.working_orders(), 0);
}

TEST(OrderTypesTest, ParticipationCapIsSharedByTheBarsOrders) {
  Models models;
  models.policy.max_fraction_of_volume = 0.1;
  Simulator simulator = Make(models);
  // floor(0.1 * 1500) = 150 shares for the bar: the first buy takes 100, the
  // second the remaining 50 of its 100.
  ExecuteStepsResponse response =
      Execute(simulator, Request({Daily(0, Ohlcv(10, 11, 9, 10, 1500))},
                                 {Market(1, kBuy, 100), Market(2, kBuy, 100)}));
  ASSERT_EQ(response.fills_size(), 2);
  EXPECT_EQ(response.fills(0).quantity(), 100);
  EXPECT_EQ(response.fills(1).quantity(), 50);
  EXPECT_TRUE(response.fills(1).partial());
}

// ---- Brackets ---------------------------------------------------------------

// A market buy of `quantity` with a stop at 95 and a take-profit at 2R.
Order BracketEntry(double quantity) {
  Order entry = Market(1, kBuy, quantity);
  entry.mutable_bracket()->set_stop_loss(95);
  entry.mutable_bracket()->set_take_profit_r(2);
  entry.mutable_bracket()->set_stop_order_id(11);
  entry.mutable_bracket()->set_target_order_id(12);
  entry.set_tag("b1");
  return entry;
}

TEST(OrderTypesTest, BracketExitsActivateAtTheEntryFillAndWorkFromTheNextBar) {
  Simulator simulator = Make();
  // The entry fills at the open 100: target 100 + 2 * (100 - 95) = 110. The
  // bar's low 90 is below the stop, but the exits only work from step 1.
  ExecuteStepsResponse entry = Execute(
      simulator,
      Request({Daily(0, Ohlcv(100, 101, 90, 100))}, {BracketEntry(100)}));
  ASSERT_EQ(entry.fills_size(), 1);
  ASSERT_EQ(entry.events_size(), 2);
  const OrderEvent& stop = entry.events(0);
  const OrderEvent& target = entry.events(1);
  EXPECT_EQ(stop.kind(), OrderEvent::ACTIVATED);
  EXPECT_EQ(stop.order().id(), 11);
  EXPECT_EQ(stop.order().side(), kSell);
  EXPECT_EQ(stop.order().type(), backtest::v1::STOP);
  EXPECT_EQ(stop.order().stop_price(), 95);
  EXPECT_EQ(stop.order().role(), backtest::v1::STOP_LOSS);
  EXPECT_EQ(stop.order().oco_order_id(), 12);
  EXPECT_EQ(stop.order().quantity(), 100);
  EXPECT_EQ(stop.order().tag(), "b1");
  EXPECT_EQ(target.order().id(), 12);
  EXPECT_EQ(target.order().type(), backtest::v1::LIMIT);
  EXPECT_EQ(target.order().limit_price(), 110);
  EXPECT_EQ(target.order().role(), backtest::v1::TAKE_PROFIT);
  EXPECT_EQ(target.order().oco_order_id(), 11);
  EXPECT_EQ(entry.working_orders(), 2);
  // Step 1: high 111 reaches the target at 110 (open 101): it fills there and
  // the stop is cancelled.
  ExecuteStepsResponse exit =
      Execute(simulator, Request({Daily(1, Ohlcv(101, 111, 100, 108))}));
  ASSERT_EQ(exit.fills_size(), 1);
  EXPECT_EQ(exit.fills(0).order_id(), 12);
  EXPECT_EQ(exit.fills(0).price(), 110);
  EXPECT_EQ(exit.fills(0).role(), backtest::v1::TAKE_PROFIT);
  EXPECT_EQ(exit.fills(0).same_bar_resolution(), "");
  ASSERT_EQ(exit.events_size(), 1);
  EXPECT_EQ(exit.events(0).kind(), OrderEvent::OCO_CANCELLED);
  EXPECT_EQ(exit.events(0).order_id(), 11);
  EXPECT_EQ(exit.events(0).remaining_quantity(), 100);
  EXPECT_EQ(exit.working_orders(), 0);
}

// After the entry at 100 (stop 95, target 110), step 1 is `bar`; returns that
// step's response.
ExecuteStepsResponse BracketExitAt(const Bar& bar, bool optimistic) {
  Models models;
  models.policy.optimistic_same_bar = optimistic;
  Simulator simulator = Make(models);
  Execute(simulator,
          Request({Daily(0, Ohlcv(100, 101, 99, 100))}, {BracketEntry(100)}));
  return Execute(simulator, Request({Daily(1, bar)}));
}

TEST(OrderTypesTest, SameBarStopAndTargetFollowThePolicy) {
  // Low 94 reaches the stop 95 and high 111 the target 110, from an open of
  // 101 that is through neither.
  const Bar both = Ohlcv(101, 111, 94, 100);
  ExecuteStepsResponse pessimistic = BracketExitAt(both, false);
  ASSERT_EQ(pessimistic.fills_size(), 1);
  EXPECT_EQ(pessimistic.fills(0).order_id(), 11);
  EXPECT_EQ(pessimistic.fills(0).price(), 95);
  EXPECT_EQ(pessimistic.fills(0).same_bar_resolution(),
            "stop first (pessimistic policy)");
  ASSERT_EQ(pessimistic.events_size(), 1);
  EXPECT_EQ(pessimistic.events(0).order_id(), 12);
  EXPECT_EQ(pessimistic.events(0).kind(), OrderEvent::OCO_CANCELLED);

  ExecuteStepsResponse optimistic = BracketExitAt(both, true);
  ASSERT_EQ(optimistic.fills_size(), 1);
  EXPECT_EQ(optimistic.fills(0).order_id(), 12);
  EXPECT_EQ(optimistic.fills(0).price(), 110);
  EXPECT_EQ(optimistic.fills(0).same_bar_resolution(),
            "target first (optimistic policy)");
  ASSERT_EQ(optimistic.events_size(), 1);
  EXPECT_EQ(optimistic.events(0).order_id(), 11);
}

TEST(OrderTypesTest, GapsThroughStopOrTargetFillAtTheOpen) {
  // Opens at 112, above the target 110, and later trades down to 94: the
  // target fills at the open whatever the policy.
  ExecuteStepsResponse up = BracketExitAt(Ohlcv(112, 113, 94, 100), false);
  ASSERT_EQ(up.fills_size(), 1);
  EXPECT_EQ(up.fills(0).order_id(), 12);
  EXPECT_EQ(up.fills(0).price(), 112);
  EXPECT_TRUE(up.fills(0).gap());
  EXPECT_EQ(up.fills(0).same_bar_resolution(),
            "target first (the open gapped through it)");
  // Opens at 93, below the stop 95: the stop fills at the open even under
  // the optimistic policy, and 93 - 100 = -7 is the loss beyond 1R a gap
  // explains.
  ExecuteStepsResponse down = BracketExitAt(Ohlcv(93, 111, 92, 100), true);
  ASSERT_EQ(down.fills_size(), 1);
  EXPECT_EQ(down.fills(0).order_id(), 11);
  EXPECT_EQ(down.fills(0).price(), 93);
  EXPECT_TRUE(down.fills(0).gap());
  // Only the stop reached (high 99 < 110): no resolution to record.
  ExecuteStepsResponse stop_only = BracketExitAt(Ohlcv(93, 99, 92, 95), false);
  ASSERT_EQ(stop_only.fills_size(), 1);
  EXPECT_EQ(stop_only.fills(0).price(), 93);
  EXPECT_EQ(stop_only.fills(0).same_bar_resolution(), "");
}

TEST(OrderTypesTest, BracketExitsFollowPartialFillsOfEntryAndPartner) {
  Models models;
  models.policy.max_fraction_of_volume = 0.1;
  Simulator simulator = Make(models);
  // Step 0, volume 600: the entry fills 60 of 100 at 100; exits for 60,
  // target 110.
  ExecuteStepsResponse first = Execute(
      simulator,
      Request({Daily(0, Ohlcv(100, 101, 99, 100, 600))}, {BracketEntry(100)}));
  ASSERT_EQ(first.fills_size(), 1);
  EXPECT_EQ(first.fills(0).quantity(), 60);
  ASSERT_EQ(first.events_size(), 2);
  EXPECT_EQ(first.events(0).order().quantity(), 60);
  // Step 1 opens at 102: the entry's other 40 fill there, average price
  // (60 * 100 + 40 * 102) / 100 = 100.8, so the target moves to
  // 100.8 + 2 * (100.8 - 95) = 112.4; both exits grow to 100.
  ExecuteStepsResponse second =
      Execute(simulator, Request({Daily(1, Ohlcv(102, 103, 101, 102, 600))}));
  ASSERT_EQ(second.fills_size(), 1);
  EXPECT_EQ(second.fills(0).quantity(), 40);
  ASSERT_EQ(second.events_size(), 2);
  EXPECT_EQ(second.events(0).kind(), OrderEvent::RESIZED);
  EXPECT_EQ(second.events(0).order().quantity(), 100);
  EXPECT_EQ(second.events(1).kind(), OrderEvent::RESIZED);
  EXPECT_EQ(second.events(1).order().id(), 12);
  EXPECT_NEAR(second.events(1).order().limit_price(), 112.4, 1e-9);
  // Step 2, volume 500, high 113: the target fills 50 at 112.4; the stop is
  // resized to the 50 still held.
  ExecuteStepsResponse third =
      Execute(simulator, Request({Daily(2, Ohlcv(110, 113, 109, 112, 500))}));
  ASSERT_EQ(third.fills_size(), 1);
  EXPECT_EQ(third.fills(0).quantity(), 50);
  EXPECT_TRUE(third.fills(0).partial());
  ASSERT_EQ(third.events_size(), 1);
  EXPECT_EQ(third.events(0).kind(), OrderEvent::RESIZED);
  EXPECT_EQ(third.events(0).order_id(), 11);
  EXPECT_EQ(third.events(0).order().quantity(), 50);
  // Step 3: the target's last 50 fill; the stop is cancelled.
  ExecuteStepsResponse fourth =
      Execute(simulator, Request({Daily(3, Ohlcv(112, 114, 111, 113, 1000))}));
  ASSERT_EQ(fourth.fills_size(), 1);
  EXPECT_EQ(fourth.fills(0).quantity(), 50);
  EXPECT_FALSE(fourth.fills(0).partial());
  ASSERT_EQ(fourth.events_size(), 1);
  EXPECT_EQ(fourth.events(0).kind(), OrderEvent::OCO_CANCELLED);
  EXPECT_EQ(fourth.events(0).remaining_quantity(), 50);
  EXPECT_TRUE(Unfilled(simulator).empty());
}

// ---- Amendments -------------------------------------------------------------

TEST(OrderTypesTest, AmendmentsCancelAndReplaceInPlace) {
  Simulator simulator = Make();
  Execute(simulator, Request({Daily(0, Ohlcv(100, 101, 99, 100))},
                             {Limit(1, kBuy, 10, 90), Limit(2, kBuy, 10, 90)}));
  // Cancel 1; raise 2's limit to 99.5, reached by step 1's low 99: fill at
  // min(100, 99.5) = 99.5.
  ExecuteStepsRequest request = Request({Daily(1, Ohlcv(100, 101, 99, 100))});
  backtest::v1::OrderAmendment* cancel = request.add_amendments();
  cancel->set_order_id(1);
  cancel->set_cancel(true);
  backtest::v1::OrderAmendment* modify = request.add_amendments();
  modify->set_order_id(2);
  *modify->mutable_replacement() = Limit(2, kBuy, 10, 99.5);
  ExecuteStepsResponse response = Execute(simulator, request);
  ASSERT_EQ(response.fills_size(), 1);
  EXPECT_EQ(response.fills(0).order_id(), 2);
  EXPECT_EQ(response.fills(0).price(), 99.5);
  EXPECT_EQ(response.events_size(), 0);  // the portfolio knows of the cancel
  EXPECT_EQ(response.working_orders(), 0);
}

TEST(OrderTypesTest, AmendingAnUnknownOrderIsAnOrderBookMismatch) {
  Simulator simulator = Make();
  Execute(simulator, Request({Daily(0, Ohlcv(100, 101, 99, 100))},
                             {Limit(1, kBuy, 10, 90)}));
  ExecuteStepsRequest request = Request({Daily(1, Ohlcv(89, 90, 88, 89))});
  request.add_amendments()->set_order_id(1);
  request.mutable_amendments(0)->set_cancel(true);
  request.add_amendments()->set_order_id(42);
  request.mutable_amendments(1)->set_cancel(true);
  ExecuteStepsResponse response;
  const absl::Status status = simulator.ExecuteSteps(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ToStageError(status, "").reason(), "ORDER_BOOK_MISMATCH");
  EXPECT_NE(status.message().find("order 42"), absl::string_view::npos);
  // Nothing changed: order 1 was not cancelled and fills at 89.
  ExecuteStepsResponse retry =
      Execute(simulator, Request({Daily(1, Ohlcv(89, 90, 88, 89))}));
  ASSERT_EQ(retry.fills_size(), 1);
  EXPECT_EQ(retry.fills(0).price(), 89);
}

TEST(OrderTypesTest, NewOrderReusingAWorkingIdIsAnOrderBookMismatch) {
  Simulator simulator = Make();
  Execute(simulator, Request({Daily(0, Ohlcv(100, 101, 99, 100))},
                             {Limit(1, kBuy, 10, 90)}));
  ExecuteStepsResponse response;
  const absl::Status status = simulator.ExecuteSteps(
      Request({Daily(1, Ohlcv(100, 101, 99, 100))}, {Market(1, kBuy, 10)}),
      &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ToStageError(status, "").reason(), "ORDER_BOOK_MISMATCH");
  EXPECT_NE(status.message().find("new order 1"), absl::string_view::npos);
}

TEST(OrderTypesTest, InvalidOrdersNameTheirIdAndField) {
  Simulator simulator = Make();
  const auto message_for = [&](Order order) {
    ExecuteStepsResponse response;
    return std::string(
        simulator
            .ExecuteSteps(Request({Daily(0, Ohlcv(100, 101, 99, 100))},
                                  {std::move(order)}),
                          &response)
            .message());
  };
  EXPECT_NE(message_for(Limit(7, kBuy, 10, 0)).find("order 7"),
            std::string::npos);
  EXPECT_NE(message_for(Limit(7, kBuy, 10, 0)).find("limit_price"),
            std::string::npos);
  Order two_distances = Trailing(8, kSell, 10);
  two_distances.mutable_trail()->set_atr_multiple(2);  // without an atr
  EXPECT_NE(message_for(two_distances).find("trail.atr "), std::string::npos);
  Order bars = Market(9, kBuy, 10);
  bars.set_time_in_force(backtest::v1::BARS);
  EXPECT_NE(message_for(bars).find("tif_bars"), std::string::npos);
  Order wrong_side = BracketEntry(10);
  wrong_side.mutable_bracket()->set_stop_loss(105);  // above a long's 100
  EXPECT_NE(message_for(wrong_side).find("bracket.stop_loss"),
            std::string::npos);
}

// ---- Slippage and commission ------------------------------------------------

TEST(OrderTypesTest, SlippageAppliesToStopsNotLimitsAndIsClampedToTheBar) {
  Models models;
  models.slippage.set_model("range_fraction");
  models.slippage.set_fraction(0.5);
  Simulator simulator = Make(models);
  // Range 98 - 94 = 4, half of it 2. The sell stop at 95 gets 95 - 2 = 93,
  // clamped to the low 94: slippage (95 - 94) * 10 = 10. The sell limit at
  // 97 gets no slippage. The market buy pays 96 + 2 = 98, the high.
  ExecuteStepsResponse response = Execute(
      simulator, Request({Daily(0, Ohlcv(96, 98, 94, 95))},
                         {Stop(1, kSell, 10, 95), Limit(2, kSell, 10, 97),
                          Market(3, kBuy, 10)}));
  ASSERT_EQ(response.fills_size(), 3);
  EXPECT_EQ(response.fills(0).raw_price(), 95);
  EXPECT_EQ(response.fills(0).price(), 94);
  EXPECT_DOUBLE_EQ(response.fills(0).slippage(), 10);
  EXPECT_EQ(response.fills(1).price(), 97);
  EXPECT_EQ(response.fills(1).slippage(), 0);
  EXPECT_EQ(response.fills(2).raw_price(), 96);
  EXPECT_EQ(response.fills(2).price(), 98);
}

TEST(OrderTypesTest, AtrSlippageUsesEveryStepsBarsUpToThePreviousClose) {
  Models models;
  models.slippage.set_model("atr_fraction");
  models.slippage.set_fraction(1);
  models.slippage.set_atr_length(2);
  Simulator simulator = Make(models);
  ASSERT_TRUE(simulator.needs_every_step());
  // No orders for three steps: true ranges 12 - 10 = 2 and 14 - 11 = 3, ATR
  // (2 + 3) / 2 = 2.5 as of step 2's close.
  ExecuteStepsResponse quiet = Execute(
      simulator,
      Request({Daily(0, Ohlcv(10, 11, 9, 10)), Daily(1, Ohlcv(10, 12, 10, 11)),
               Daily(2, Ohlcv(12, 14, 12, 13))}));
  EXPECT_EQ(quiet.steps_used(), 3);
  // Step 3's bar (true range 5 after it) does not count for its own fill:
  // 13 + 2.5 = 15.5.
  ExecuteStepsResponse response = Execute(
      simulator,
      Request({Daily(3, Ohlcv(13, 16, 11, 12)), Daily(4, Ohlcv(12, 16, 8, 9))},
              {Market(1, kBuy, 10)}));
  ASSERT_EQ(response.fills_size(), 1);
  EXPECT_DOUBLE_EQ(response.fills(0).price(), 15.5);
  EXPECT_DOUBLE_EQ(response.fills(0).slippage(), 25);
}

TEST(OrderTypesTest, PerShareCommissionHasAMinimum) {
  Models models;
  models.commission.set_model("per_share");
  models.commission.set_per_share(0.005);
  models.commission.set_minimum(1);
  Simulator simulator = Make(models);
  // 100 * 0.005 = 0.5, below the minimum 1; 1000 * 0.005 = 5.
  ExecuteStepsResponse response = Execute(
      simulator, Request({Daily(0, Ohlcv(10, 11, 9, 10))},
                         {Market(1, kBuy, 100), Market(2, kBuy, 1000)}));
  ASSERT_EQ(response.fills_size(), 2);
  EXPECT_DOUBLE_EQ(response.fills(0).commission(), 1);
  EXPECT_DOUBLE_EQ(response.fills(1).commission(), 5);
}

Models TwoTiers() {
  // 0.01 per share while fewer than 150 shares were traded this month, then
  // 0.005.
  Models models;
  models.commission.set_model("tiered");
  backtest::v1::CommissionTier* low = models.commission.add_tiers();
  low->set_up_to_monthly_shares(150);
  low->set_per_share(0.01);
  models.commission.add_tiers()->set_per_share(0.005);
  return models;
}

TimeStep OnDate(int64_t index, absl::string_view date) {
  return At(index, Day(date), {Ohlcv(10, 11, 9, 10)});
}

TEST(OrderTypesTest, TieredRateChangesWithinAMonthAndResetsAtTheNext) {
  Simulator simulator = Make(TwoTiers());
  // Jan 30: 0 traded before -> 100 * 0.01 = 1. Jan 31: 100 before, still
  // under 150 -> 1. Another 100 on Jan 31 after those: 200 before -> 0.5.
  // Feb 1: a new month, 0 before -> 1.
  const auto commission = [&](int64_t index, absl::string_view date,
                              std::vector<Order> orders) {
    ExecuteStepsResponse response =
        Execute(simulator, Request({OnDate(index, date)}, std::move(orders)));
    std::vector<double> commissions;
    for (const Fill& fill : response.fills()) {
      commissions.push_back(fill.commission());
    }
    return commissions;
  };
  EXPECT_EQ(commission(0, "2001-01-30", {Market(1, kBuy, 100)}),
            (std::vector<double>{1}));
  EXPECT_EQ(
      commission(1, "2001-01-31", {Market(2, kBuy, 100), Market(3, kBuy, 100)}),
      (std::vector<double>{1, 0.5}));
  EXPECT_EQ(commission(2, "2001-02-01", {Market(4, kBuy, 100)}),
            (std::vector<double>{1}));
}

TEST(OrderTypesTest, DiscardedStepGivesBackItsMonthlyShares) {
  Simulator simulator = Make(TwoTiers());
  Execute(simulator,
          Request({OnDate(0, "2001-01-30")}, {Market(1, kBuy, 100)}));
  // Order 2 fills 100 at step 1 (Jan 31), tentatively bringing the month to
  // 200 shares...
  ExecuteStepsResponse tentative = Execute(
      simulator, Request({OnDate(1, "2001-01-31")}, {Limit(2, kBuy, 100, 10)}));
  ASSERT_EQ(tentative.fills_size(), 1);
  // ...but the next call starts at step 1 again: that fill never happened.
  // With order 2 cancelled, order 3's 100 shares see 100 traded before, not
  // 200: 100 * 0.01 = 1, not 0.5.
  ExecuteStepsRequest retry =
      Request({OnDate(1, "2001-01-31")}, {Market(3, kBuy, 100)});
  retry.add_amendments()->set_order_id(2);
  retry.mutable_amendments(0)->set_cancel(true);
  ExecuteStepsResponse response = Execute(simulator, retry);
  ASSERT_EQ(response.fills_size(), 1);
  EXPECT_EQ(response.fills(0).order_id(), 3);
  EXPECT_DOUBLE_EQ(response.fills(0).commission(), 1);
}

// ---- Tentative steps: any cut equals one step per call ----------------------

// 40 daily steps from 2001-01-20 (across a month end) of two symbols with a
// deterministic wave; BBB misses every 7th step.
std::vector<TimeStep> Market40() {
  std::vector<TimeStep> steps;
  for (int64_t i = 0; i < 40; ++i) {
    std::vector<Bar> bars;
    for (int symbol = 0; symbol < 2; ++symbol) {
      if (symbol == 1 && i % 7 == 3) continue;
      const double mid = 100 + 6 * std::sin((i + 5 * symbol) / 3.0) + 0.2 * i;
      const double open = mid + ((i % 3) - 1) * 0.8;
      const double close = mid - ((i % 4) - 1.5) * 0.6;
      bars.push_back(Ohlcv(open, std::max(open, close) + 1.1 + (i % 5) * 0.3,
                           std::min(open, close) - 0.9 - (i % 3) * 0.4, close,
                           800 + 90 * ((i * 7) % 11), symbol));
    }
    steps.push_back(At(i, Day("2001-01-20") + i * kSecondsPerDay, bars));
  }
  return steps;
}

// The orders a strategy places at the close of step `index`, priced off
// that close.
std::vector<Order> OrdersPlacedAt(int64_t index, const TimeStep& step) {
  const double close = step.bars(0).close();
  std::vector<Order> orders;
  const int64_t id = index * 100;
  const auto priced = [&](Order order) {
    order.set_reference_price(close);
    order.set_placed_time(step.time());
    return order;
  };
  if (index % 9 == 0) {
    Order entry = priced(Market(id + 1, kBuy, 300));
    entry.mutable_bracket()->set_stop_loss(close - 3);
    entry.mutable_bracket()->set_take_profit_r(1.5);
    entry.mutable_bracket()->set_stop_order_id(id + 2);
    entry.mutable_bracket()->set_target_order_id(id + 3);
    orders.push_back(entry);
    Order trail = priced(Trailing(id + 4, kSell, 40));
    trail.mutable_trail()->set_atr_multiple(1.5);
    trail.mutable_trail()->set_atr(2);
    trail.mutable_trail()->set_atr_length(5);
    orders.push_back(trail);
  }
  if (index % 9 == 4) {
    Order stop_limit =
        priced(StopLimit(id + 5, kBuy, 60, close + 1, close + 1.5));
    stop_limit.set_symbol(1);
    stop_limit.set_time_in_force(backtest::v1::BARS);
    stop_limit.set_tif_bars(4);
    orders.push_back(stop_limit);
    Order trail = priced(Trailing(id + 6, kBuy, 30));
    trail.mutable_trail()->set_percent(0.03);
    orders.push_back(trail);
    Order day = priced(Limit(id + 7, kSell, 20, close + 2));
    day.set_time_in_force(backtest::v1::DAY);
    orders.push_back(day);
  }
  return orders;
}

// Every fill and event the consumed steps produced, as text, in order.
std::vector<std::string> Drive(int chunk, uint32_t seed) {
  Models models;
  models.commission.set_model("tiered");
  backtest::v1::CommissionTier* tier = models.commission.add_tiers();
  tier->set_up_to_monthly_shares(500);
  tier->set_per_share(0.01);
  models.commission.add_tiers()->set_per_share(0.004);
  models.slippage.set_model("atr_fraction");
  models.slippage.set_fraction(0.2);
  models.slippage.set_atr_length(3);
  models.policy.max_fraction_of_volume = 0.15;
  Simulator simulator = Make(models);
  const std::vector<TimeStep> steps = Market40();
  std::vector<std::string> committed;
  uint32_t random = seed;
  int64_t next = 0;
  std::vector<Order> pending;
  while (next < steps.size()) {
    const int64_t end = std::min<int64_t>(steps.size(), next + chunk);
    ExecuteStepsRequest request =
        Request({steps.begin() + next, steps.begin() + end}, pending);
    ExecuteStepsResponse response;
    EXPECT_TRUE(simulator.ExecuteSteps(request, &response).ok());
    // The strategy acts at the first step of the call that places orders, or
    // at a pseudo-random step: the coordinator cuts the run there.
    int64_t cut = next + response.steps_used();
    random = random * 1103515245u + 12345u;
    if (chunk > 1) cut = std::min(cut, next + 1 + (random >> 16) % chunk);
    for (int64_t i = next; i < cut; ++i) {
      if (!OrdersPlacedAt(i, steps[i]).empty()) {
        cut = i + 1;
        break;
      }
    }
    if (cut == next + response.steps_used()) {
      for (const Fill& fill : response.fills()) {
        committed.push_back(
            absl::StrFormat("fill %d t=%d q=%.6f p=%.9f c=%.9f partial=%d",
                            fill.order_id(), fill.time(), fill.quantity(),
                            fill.price(), fill.commission(), fill.partial()));
      }
      for (const OrderEvent& event : response.events()) {
        committed.push_back(absl::StrFormat(
            "event %d %s t=%d left=%.6f q=%.6f stop=%.9f limit=%.9f",
            event.order_id(), OrderEvent::Kind_Name(event.kind()), event.time(),
            event.remaining_quantity(), event.order().quantity(),
            event.order().stop_price(), event.order().limit_price()));
      }
    }
    pending = OrdersPlacedAt(cut - 1, steps[cut - 1]);
    next = cut;
  }
  for (const Order& order : Unfilled(simulator)) {
    committed.push_back(absl::StrFormat("unfilled %d q=%.6f stop=%.9f",
                                        order.id(), order.quantity(),
                                        order.stop_price()));
  }
  return committed;
}

TEST(OrderTypesTest, AnyCutOfARunGivesTheFillsOfOneStepPerCall) {
  const std::vector<std::string> one_step = Drive(1, 0);
  // The scenario exercises what it claims to: fills, partial fills and
  // events of several kinds.
  int fills = 0, partial = 0, events = 0;
  for (const std::string& line : one_step) {
    fills += line.rfind("fill", 0) == 0;
    partial += line.find("partial=1") != std::string::npos;
    events += line.rfind("event", 0) == 0;
  }
  EXPECT_GT(fills, 10);
  EXPECT_GT(partial, 3);
  EXPECT_GT(events, 10);
  for (int chunk : {2, 3, 5, 8, 16}) {
    for (uint32_t seed = 1; seed <= 10; ++seed) {
      EXPECT_EQ(Drive(chunk, seed), one_step)
          << "chunk " << chunk << " seed " << seed;
    }
  }
}

}  // namespace
}  // namespace seed::execution
