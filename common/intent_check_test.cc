#include "common/intent_check.h"

#include <string>
#include <vector>

#include "common/stage_error.h"
#include "gtest/gtest.h"

namespace seed {
namespace {

using backtest::v1::Intent;

const std::vector<std::string> kSymbols = {"NVDA", "MSFT", "ORCL"};
constexpr int kOrcl = 2;
constexpr double kClose = 12.1;

Intent Make(Intent::Action action) {
  Intent intent;
  intent.set_symbol(kOrcl);
  intent.set_action(action);
  return intent;
}

// The message of the failure, after checking it is the strategy's
// INVALID_INTENT naming ORCL.
std::string Problem(const Intent& intent, double close = kClose) {
  const absl::Status status = CheckIntent(intent, 2, kSymbols, close);
  if (status.ok()) return "ok";
  const backtest::v1::StageError error = ToStageError(status, "none");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(error.stage(), "strategy");
  EXPECT_EQ(error.reason(), "INVALID_INTENT");
  return std::string(status.message());
}

TEST(IntentCheckTest, AcceptsWellFormedIntentsOfEveryKind) {
  Intent buy = Make(Intent::BUY);
  buy.mutable_bracket()->set_stop_loss(11.5);
  buy.mutable_bracket()->set_take_profit(13);
  EXPECT_EQ(Problem(buy), "ok");
  Intent short_entry = Make(Intent::SHORT);
  short_entry.mutable_bracket()->set_stop_loss(12.5);
  short_entry.mutable_bracket()->set_take_profit_r(2);
  EXPECT_EQ(Problem(short_entry), "ok");
  Intent stop_sell = Make(Intent::SELL);
  stop_sell.set_type(backtest::v1::STOP);
  stop_sell.set_stop_price(11);
  EXPECT_EQ(Problem(stop_sell), "ok");
  Intent trailing = Make(Intent::CLOSE);
  trailing.set_type(backtest::v1::TRAILING_STOP);
  trailing.mutable_trail()->set_percent(0.05);
  EXPECT_EQ(Problem(trailing), "ok");
  Intent weight = Make(Intent::TARGET_WEIGHT);
  weight.set_target(-0.1);
  EXPECT_EQ(Problem(weight), "ok");
  Intent cancel = Make(Intent::CANCEL);
  cancel.set_order_id(7);
  EXPECT_EQ(Problem(cancel), "ok");
  Intent limit_bars = Make(Intent::BUY);
  limit_bars.set_type(backtest::v1::LIMIT);
  limit_bars.set_limit_price(12);
  limit_bars.set_time_in_force(backtest::v1::BARS);
  limit_bars.set_tif_bars(3);
  EXPECT_EQ(Problem(limit_bars), "ok");
}

TEST(IntentCheckTest, ALongBracketStopAboveTheCloseNamesSymbolFieldAndValue) {
  Intent buy = Make(Intent::BUY);
  buy.mutable_bracket()->set_stop_loss(12.5);
  EXPECT_EQ(Problem(buy),
            "intent 2 for ORCL: bracket.stop_loss 12.5 is above the close 12.1 "
            "of a BUY entry; a long's stop must be below");
  const backtest::v1::StageError error =
      ToStageError(CheckIntent(buy, 2, kSymbols, kClose), "none");
  EXPECT_EQ(error.symbol(), "ORCL");
}

TEST(IntentCheckTest, ShortBracketsMirrorLongOnes) {
  Intent short_entry = Make(Intent::SHORT);
  short_entry.mutable_bracket()->set_stop_loss(11.9);
  EXPECT_EQ(Problem(short_entry),
            "intent 2 for ORCL: bracket.stop_loss 11.9 is below the close 12.1 "
            "of a SHORT entry; a short's stop must be above");
  short_entry.mutable_bracket()->set_stop_loss(12.6);
  short_entry.mutable_bracket()->set_take_profit(12.3);
  EXPECT_EQ(Problem(short_entry),
            "intent 2 for ORCL: bracket.take_profit 12.3 is above the close "
            "12.1 of a SHORT entry; a short's target must be below");
  // Without a close yet the sides cannot be checked.
  EXPECT_EQ(Problem(short_entry, /*close=*/0), "ok");
}

TEST(IntentCheckTest, BracketNeedsItsStopAndAnEntry) {
  Intent buy = Make(Intent::BUY);
  buy.mutable_bracket()->set_take_profit(13);
  EXPECT_EQ(Problem(buy),
            "intent 2 for ORCL: bracket.stop_loss 0 must be > 0; a bracket "
            "needs its stop");
  Intent sell = Make(Intent::SELL);
  sell.mutable_bracket()->set_stop_loss(11);
  EXPECT_EQ(Problem(sell),
            "intent 2 for ORCL: bracket is set on a SELL; a bracket belongs to "
            "a BUY or SHORT entry");
  buy.mutable_bracket()->set_stop_loss(11);
  buy.mutable_bracket()->set_stop_order_id(4);
  EXPECT_EQ(Problem(buy),
            "intent 2 for ORCL: bracket.stop_order_id 4 / target_order_id 0 "
            "are set; the portfolio assigns them, leave 0");
}

TEST(IntentCheckTest, StopsOnTheWrongSideOfTheClose) {
  Intent buy_stop = Make(Intent::BUY);
  buy_stop.set_type(backtest::v1::STOP);
  buy_stop.set_stop_price(12);
  EXPECT_EQ(Problem(buy_stop),
            "intent 2 for ORCL: stop_price 12 is below the close 12.1 of a BUY "
            "stop; a buy stop must be at or above the close");
  Intent short_stop = Make(Intent::SHORT);
  short_stop.set_type(backtest::v1::STOP_LIMIT);
  short_stop.set_stop_price(12.2);
  short_stop.set_limit_price(12);
  EXPECT_EQ(Problem(short_stop),
            "intent 2 for ORCL: stop_price 12.2 is above the close 12.1 of a "
            "SHORT stop; a sell stop must be at or below the close");
  Intent long_initial = Make(Intent::BUY);
  long_initial.set_initial_stop(12.1);
  EXPECT_EQ(Problem(long_initial),
            "intent 2 for ORCL: initial_stop 12.1 is above the close 12.1 of a "
            "BUY entry; a long's stop must be below");
}

TEST(IntentCheckTest, PricesTheOrderTypeNeeds) {
  Intent limit = Make(Intent::BUY);
  limit.set_type(backtest::v1::LIMIT);
  EXPECT_EQ(Problem(limit),
            "intent 2 for ORCL: limit_price 0 must be > 0 for a LIMIT order");
  Intent stop = Make(Intent::SELL);
  stop.set_type(backtest::v1::STOP);
  EXPECT_EQ(Problem(stop),
            "intent 2 for ORCL: stop_price 0 must be > 0 for a STOP order");
  Intent negative = Make(Intent::BUY);
  negative.set_limit_price(-1);
  EXPECT_EQ(Problem(negative),
            "intent 2 for ORCL: limit_price -1 is not a finite number >= 0");
}

TEST(IntentCheckTest, TrailingStopNeedsExactlyOnePositiveDistance) {
  Intent trailing = Make(Intent::SELL);
  trailing.set_type(backtest::v1::TRAILING_STOP);
  EXPECT_EQ(Problem(trailing),
            "intent 2 for ORCL: trail has no distance; a TRAILING_STOP needs "
            "exactly one of trail.amount, trail.percent, trail.atr_multiple");
  trailing.mutable_trail()->set_atr_multiple(3);
  EXPECT_EQ(Problem(trailing),
            "intent 2 for ORCL: trail.atr 0 must be > 0 (the ATR as of the "
            "placing bar) with trail.atr_multiple");
  Intent market = Make(Intent::SELL);
  market.mutable_trail()->set_amount(1);
  EXPECT_EQ(Problem(market),
            "intent 2 for ORCL: trail is set on a ORDER_TYPE_UNSPECIFIED "
            "order; only a TRAILING_STOP trails");
}

TEST(IntentCheckTest, KindQuantityTimeInForceAndOrderId) {
  EXPECT_EQ(Problem(Make(Intent::ACTION_UNSPECIFIED)),
            "intent 2 for ORCL: action 0 is not one of BUY, SELL, CLOSE, "
            "SHORT, COVER, TARGET_QUANTITY, TARGET_WEIGHT, CANCEL, MODIFY");
  Intent negative = Make(Intent::BUY);
  negative.set_quantity(-5);
  EXPECT_EQ(Problem(negative),
            "intent 2 for ORCL: quantity -5 is not a finite number >= 0 (0: "
            "sized by the portfolio or the whole position)");
  Intent bars = Make(Intent::BUY);
  bars.set_time_in_force(backtest::v1::BARS);
  EXPECT_EQ(Problem(bars),
            "intent 2 for ORCL: tif_bars 0 must be >= 1 with time_in_force "
            "BARS");
  EXPECT_EQ(Problem(Make(Intent::MODIFY)),
            "intent 2 for ORCL: order_id 0 of a MODIFY must be the id (> 0) of "
            "a working order");
  Intent liquidation = Make(Intent::SELL);
  liquidation.set_role(backtest::v1::LIQUIDATION);
  EXPECT_EQ(Problem(liquidation),
            "intent 2 for ORCL: role 4 is not one a strategy may give "
            "(unspecified, STOP_LOSS, TAKE_PROFIT, TRAILING)");
}

TEST(IntentCheckTest, SymbolOutOfRange) {
  Intent intent = Make(Intent::BUY);
  intent.set_symbol(3);
  EXPECT_EQ(Problem(intent),
            "intent 2: symbol index 3 is out of range; the run has 3 symbols "
            "(0 to 2)");
}

}  // namespace
}  // namespace seed
