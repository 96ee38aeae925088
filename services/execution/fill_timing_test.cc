// execution.fill_timing, by hand: a MARKET order fills at the next bar's open
// (next_open), at the close of the bar it was placed at (close, through the
// at_close call), or at the next bar's close (next_close); costs, the cash
// check, the participation cap, brackets and the tentative steps follow.
#include <string>
#include <vector>

#include "common/stage_error.h"
#include "common/time.h"
#include "gtest/gtest.h"
#include "services/execution/simulator.h"
#include "services/execution/simulator_test_util.h"

namespace seed::execution {
namespace {

using backtest::v1::ExecuteStepsRequest;
using backtest::v1::ExecuteStepsResponse;
using backtest::v1::Order;
using backtest::v1::OrderEvent;

Models Timing(FillTiming timing) {
  Models models;
  models.policy.timing = timing;
  return models;
}

// The close of `step`'s request: the orders placed at it.
ExecuteStepsRequest AtClose(ExecuteStepsRequest request) {
  request.set_at_close(true);
  return request;
}

TEST(FillTimingTest, MarketOrdersFillAtTheNextOpenOrTheNextClose) {
  // The bar after the order: open 10, high 12, low 9, close 11.
  for (const auto& [timing, price] : std::vector<std::pair<FillTiming, double>>{
           {FillTiming::kNextOpen, 10}, {FillTiming::kNextClose, 11}}) {
    Simulator simulator = Make(Timing(timing));
    const ExecuteStepsResponse response = Execute(
        simulator,
        Request({Daily(1, Ohlcv(10, 12, 9, 11))}, {Market(1, kBuy, 100)}));
    ASSERT_EQ(response.fills_size(), 1);
    EXPECT_EQ(response.fills(0).price(), price);
    EXPECT_EQ(response.fills(0).raw_price(), price);
    EXPECT_EQ(response.fills(0).time(), Day("2001-01-03"));
    EXPECT_FALSE(response.fills(0).gap());
  }
}

TEST(FillTimingTest, CloseFillsNewMarketOrdersAtTheirOwnBarsClose) {
  Simulator simulator = Make(Timing(FillTiming::kClose));
  // Placed at step 0 (O 10 H 12 L 9 C 11): the market buy fills at its close
  // 11, dated step 0; the limit at 10.2 first works at step 1.
  const ExecuteStepsResponse closed = Execute(
      simulator,
      AtClose(Request({Daily(0, Ohlcv(10, 12, 9, 11))},
                      {Market(1, kBuy, 100), Limit(2, kBuy, 5, 10.2)})));
  EXPECT_EQ(closed.steps_used(), 1);
  ASSERT_EQ(closed.fills_size(), 1);
  EXPECT_EQ(closed.fills(0).order_id(), 1);
  EXPECT_EQ(closed.fills(0).price(), 11);
  EXPECT_EQ(closed.fills(0).time(), Day("2001-01-02"));
  EXPECT_EQ(closed.working_orders(), 1);
  // Step 1 opens at 10.5 and reaches 10.0: the limit fills at
  // min(10.5, 10.2) = 10.2.
  const ExecuteStepsResponse next =
      Execute(simulator, Request({Daily(1, Ohlcv(10.5, 10.8, 10.0, 10.6))}));
  ASSERT_EQ(next.fills_size(), 1);
  EXPECT_EQ(next.fills(0).order_id(), 2);
  EXPECT_EQ(next.fills(0).price(), 10.2);
}

Models CloseWithCosts() {
  Models models = Timing(FillTiming::kClose);
  models.commission.set_model("percent");
  models.commission.set_bps(10);
  models.slippage.set_model("fixed_bps");
  models.slippage.set_bps(10);
  return models;
}

TEST(FillTimingTest, CloseFillsPaySlippageCommissionAndPassTheCashCheck) {
  // Buy 100 at the close 11: 11 x 1.001 = 11.011, commission 0.001 x 1101.1
  // = 1.1011, so 1102.2011 in all: 1102.20 of cash is not enough.
  Simulator short_of_cash = Make(CloseWithCosts());
  const ExecuteStepsResponse refused =
      Execute(short_of_cash, AtClose(Request({Daily(0, Ohlcv(10, 12, 9, 11))},
                                             {Market(1, kBuy, 100)}, 1102.20)));
  EXPECT_EQ(refused.fills_size(), 0);
  ASSERT_EQ(refused.rejections_size(), 1);
  EXPECT_EQ(refused.rejections(0).code(), "INSUFFICIENT_CASH");
  EXPECT_EQ(refused.rejections(0).time(), Day("2001-01-02"));
  EXPECT_EQ(refused.rejections(0).message(),
            "buy 100 of AAA at 11.011 needs 1102.20 with commission; cash "
            "available 1102.20");

  Simulator enough = Make(CloseWithCosts());
  const ExecuteStepsResponse filled =
      Execute(enough, AtClose(Request({Daily(0, Ohlcv(10, 12, 9, 11))},
                                      {Market(1, kBuy, 100)}, 1103)));
  ASSERT_EQ(filled.fills_size(), 1);
  EXPECT_DOUBLE_EQ(filled.fills(0).price(), 11.011);
  EXPECT_DOUBLE_EQ(filled.fills(0).raw_price(), 11);
  EXPECT_DOUBLE_EQ(filled.fills(0).commission(), 1.1011);
}

TEST(FillTimingTest, AtTheCloseTheExitsFillFirstAndPayForTheEntries) {
  // No cash; BBB is held. Its sale of 50 at the close 20 gets 20 x 0.999 =
  // 19.98, 999 less 0.999 commission = 998.001 left for the buy of 90 AAA at
  // 11.011: 990.99 + 0.99099 = 991.98099 fits.
  Simulator simulator = Make(CloseWithCosts());
  Order sale = Market(1, kSell, 50);
  sale.set_symbol(1);
  sale.set_reduces_position(true);
  const ExecuteStepsResponse response =
      Execute(simulator,
              AtClose(Request(
                  {At(0, Day("2001-01-02"),
                      {Ohlcv(10, 12, 9, 11), Ohlcv(19, 21, 18, 20, 1e6, 1)})},
                  {Market(2, kBuy, 90), sale}, 0)));
  ASSERT_EQ(response.fills_size(), 2);
  EXPECT_EQ(response.fills(0).order_id(), 1);
  EXPECT_DOUBLE_EQ(response.fills(0).price(), 19.98);
  EXPECT_EQ(response.fills(1).order_id(), 2);
  EXPECT_DOUBLE_EQ(response.fills(1).price(), 11.011);
  EXPECT_EQ(response.rejections_size(), 0);
}

TEST(FillTimingTest, AMarketOrderWithoutABarAtItsStepFillsAtTheNextClose) {
  Simulator simulator = Make(Timing(FillTiming::kClose));
  // Step 0 has BBB's bar only: the buy of AAA waits.
  const ExecuteStepsResponse waiting =
      Execute(simulator, AtClose(Request({At(0, Day("2001-01-02"),
                                             {Ohlcv(19, 21, 18, 20, 1e6, 1)})},
                                         {Market(1, kBuy, 10)})));
  EXPECT_EQ(waiting.fills_size(), 0);
  EXPECT_EQ(waiting.working_orders(), 1);
  // AAA's next bar opens at 20 and closes at 21: the fill is at its close.
  const ExecuteStepsResponse filled =
      Execute(simulator, Request({Daily(1, Ohlcv(20, 22, 19, 21))}));
  ASSERT_EQ(filled.fills_size(), 1);
  EXPECT_EQ(filled.fills(0).price(), 21);
  EXPECT_EQ(filled.fills(0).time(), Day("2001-01-03"));
}

TEST(FillTimingTest, TheCloseSharesItsBarsVolumeWithTheOpen) {
  Models models = Timing(FillTiming::kClose);
  models.policy.max_fraction_of_volume = 0.1;
  Simulator simulator = Make(models);
  // Step 0, volume 1000: at most 100 shares. The limit buy of 60 at 10.5
  // fills at the open 10 and leaves 40 for the close.
  const ExecuteStepsResponse open =
      Execute(simulator, Request({Daily(0, Ohlcv(10, 12, 9, 11, 1000))},
                                 {Limit(1, kBuy, 60, 10.5)}));
  ASSERT_EQ(open.fills_size(), 1);
  EXPECT_EQ(open.fills(0).quantity(), 60);
  // The market buy of 80 placed at step 0 fills 40 at its close 11.
  const ExecuteStepsResponse close =
      Execute(simulator, AtClose(Request({Daily(0, Ohlcv(10, 12, 9, 11, 1000))},
                                         {Market(2, kBuy, 80)})));
  ASSERT_EQ(close.fills_size(), 1);
  EXPECT_EQ(close.fills(0).quantity(), 40);
  EXPECT_EQ(close.fills(0).price(), 11);
  EXPECT_TRUE(close.fills(0).partial());
  EXPECT_EQ(close.fills(0).remaining_quantity(), 40);
  // The other 40 fill at step 1's close 12.5 (volume 1000: 100 allowed).
  const ExecuteStepsResponse next =
      Execute(simulator, Request({Daily(1, Ohlcv(12, 13, 11, 12.5, 1000))}));
  ASSERT_EQ(next.fills_size(), 1);
  EXPECT_EQ(next.fills(0).quantity(), 40);
  EXPECT_EQ(next.fills(0).price(), 12.5);
}

TEST(FillTimingTest, ACloseCommitsItsStepAndIsRefusedOutsideCloseTiming) {
  Simulator next_open = Make();
  ExecuteStepsResponse response;
  absl::Status status = next_open.ExecuteSteps(
      AtClose(Request({Daily(0, Ohlcv(10, 12, 9, 11))}, {Market(1, kBuy, 1)})),
      &response);
  EXPECT_EQ(ToStageError(status, "execution").reason(), "INVALID_REQUEST");
  Simulator close = Make(Timing(FillTiming::kClose));
  status =
      close.ExecuteSteps(AtClose(Request({Daily(0, Ohlcv(10, 12, 9, 11)),
                                          Daily(1, Ohlcv(10, 12, 9, 11))})),
                         &response);
  EXPECT_EQ(ToStageError(status, "execution").reason(), "INVALID_REQUEST");
  Execute(close, AtClose(Request({Daily(0, Ohlcv(10, 12, 9, 11))},
                                 {Limit(1, kBuy, 1, 5)})));
  // Step 0 is committed by its close: no call may start there again.
  status =
      close.ExecuteSteps(Request({Daily(0, Ohlcv(10, 12, 9, 11))}), &response);
  EXPECT_EQ(ToStageError(status, "execution").reason(), "STEP_OUT_OF_ORDER");
}

TEST(FillTimingTest, ACloseInsideATentativeRunDiscardsTheStepsAfterIt) {
  Simulator simulator = Make(Timing(FillTiming::kClose));
  // A sell stop at 95 works over steps 0..3 and triggers at step 3 (low 94),
  // tentatively.
  Order stop = Stop(1, kSell, 10, 95);
  stop.set_reduces_position(true);
  const ExecuteStepsResponse run =
      Execute(simulator, Request({Daily(0, Ohlcv(100, 101, 99, 100)),
                                  Daily(1, Ohlcv(100, 101, 99, 100)),
                                  Daily(2, Ohlcv(100, 101, 98, 99)),
                                  Daily(3, Ohlcv(97, 98, 94, 96))},
                                 {stop}));
  EXPECT_EQ(run.steps_used(), 4);
  ASSERT_EQ(run.fills_size(), 1);
  // The strategy acted at step 1: the close of step 1 fills its buy at 100
  // and the stop's fill at step 3 is discarded.
  const ExecuteStepsResponse close =
      Execute(simulator, AtClose(Request({Daily(1, Ohlcv(100, 101, 99, 100))},
                                         {Market(2, kBuy, 5)})));
  ASSERT_EQ(close.fills_size(), 1);
  EXPECT_EQ(close.fills(0).order_id(), 2);
  EXPECT_EQ(close.working_orders(), 1);
  // From step 2 the stop fills at step 3 again, at min(97, 95) = 95.
  const ExecuteStepsResponse again =
      Execute(simulator, Request({Daily(2, Ohlcv(100, 101, 98, 99)),
                                  Daily(3, Ohlcv(97, 98, 94, 96))}));
  EXPECT_EQ(again.steps_used(), 2);
  ASSERT_EQ(again.fills_size(), 1);
  EXPECT_EQ(again.fills(0).order_id(), 1);
  EXPECT_EQ(again.fills(0).price(), 95);
}

TEST(FillTimingTest, ABracketEntryAtTheCloseArmsItsExitsFromTheNextBar) {
  Simulator simulator = Make(Timing(FillTiming::kClose));
  Order entry = Market(1, kBuy, 10);
  entry.set_reference_price(11);
  entry.mutable_bracket()->set_stop_loss(10);
  entry.mutable_bracket()->set_take_profit(12);
  entry.mutable_bracket()->set_stop_order_id(2);
  entry.mutable_bracket()->set_target_order_id(3);
  // The entry fills at the close 11 of step 0, whose low 9 is below the
  // stop: the exits only start at step 1.
  const ExecuteStepsResponse close = Execute(
      simulator, AtClose(Request({Daily(0, Ohlcv(10, 12, 9, 11))}, {entry})));
  ASSERT_EQ(close.fills_size(), 1);
  EXPECT_EQ(close.fills(0).price(), 11);
  ASSERT_EQ(close.events_size(), 2);
  EXPECT_EQ(close.events(0).kind(), OrderEvent::ACTIVATED);
  EXPECT_EQ(close.events(0).time(), Day("2001-01-02"));
  // Step 1 reaches 12.5: the target fills at 12, the stop is cancelled.
  const ExecuteStepsResponse next =
      Execute(simulator, Request({Daily(1, Ohlcv(11.5, 12.5, 11.2, 12.2))}));
  ASSERT_EQ(next.fills_size(), 1);
  EXPECT_EQ(next.fills(0).order_id(), 3);
  EXPECT_EQ(next.fills(0).price(), 12);
}

TEST(FillTimingTest, AnUnknownTimingIsASpecProblem) {
  backtest::v1::ExecutionSpec spec;
  spec.set_fill_timing("open");
  std::vector<FieldProblem> problems;
  MakeFillPolicy(spec, &problems);
  ASSERT_EQ(problems.size(), 1);
  EXPECT_EQ(problems[0].field, "execution.fill_timing");
  EXPECT_EQ(problems[0].description,
            "unknown timing \"open\"; allowed: next_open, close, next_close");
}

}  // namespace
}  // namespace seed::execution
