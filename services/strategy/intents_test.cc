#include "services/strategy/intents.h"

#include <vector>

#include "backtest/v1/orders.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/strategy/param_schema.h"

namespace seed::strategy {
namespace {

using ::backtest::v1::Intent;

backtest::v1::PortfolioView ViewWithOrders() {
  backtest::v1::PortfolioView view;
  auto* position = view.add_positions();
  position->set_symbol(1);
  position->set_quantity(-40);
  const struct {
    int64_t id;
    int32_t symbol;
    const char* tag;
  } orders[] = {{3, 1, "stop"}, {4, 0, "stop"}, {5, 1, "entry"}, {6, 1, ""}};
  for (const auto& order : orders) {
    auto* working = view.add_working_orders();
    working->set_id(order.id);
    working->set_symbol(order.symbol);
    working->set_tag(order.tag);
  }
  return view;
}

std::vector<int64_t> Ids(
    const std::vector<const backtest::v1::Order*>& orders) {
  std::vector<int64_t> ids;
  for (const backtest::v1::Order* order : orders) ids.push_back(order->id());
  return ids;
}

TEST(IntentsTest, ReadsPositionsAndWorkingOrdersOfOneSymbol) {
  const backtest::v1::PortfolioView view = ViewWithOrders();
  EXPECT_EQ(PositionQuantity(view, 1), -40);
  EXPECT_EQ(PositionQuantity(view, 0), 0);
  EXPECT_THAT(Ids(WorkingOrders(view, 1)), ::testing::ElementsAre(3, 5, 6));
  EXPECT_THAT(Ids(WorkingOrders(view, 1, "stop")), ::testing::ElementsAre(3));
  EXPECT_THAT(Ids(WorkingOrders(view, 2)), ::testing::IsEmpty());
}

TEST(IntentsTest, EntriesAndExitsBySide) {
  const Intent buy = MarketEntry(2, PositionSide::kLong, "why", "entry");
  EXPECT_EQ(buy.action(), Intent::BUY);
  EXPECT_EQ(buy.type(), backtest::v1::MARKET);
  EXPECT_EQ(buy.symbol(), 2);
  EXPECT_EQ(buy.quantity(), 0);
  EXPECT_EQ(buy.reason(), "why");
  EXPECT_EQ(buy.tag(), "entry");
  EXPECT_EQ(MarketEntry(2, PositionSide::kShort, "").action(), Intent::SHORT);
  EXPECT_EQ(MarketExit(2, PositionSide::kLong, "").action(), Intent::CLOSE);
  EXPECT_EQ(MarketExit(2, PositionSide::kShort, "").action(), Intent::COVER);
}

TEST(IntentsTest, BracketEntryCarriesStopAndRTarget) {
  const Intent entry = BracketEntry(0, PositionSide::kShort, 12.5, 2.0, "r");
  EXPECT_EQ(entry.action(), Intent::SHORT);
  EXPECT_EQ(entry.type(), backtest::v1::MARKET);
  EXPECT_EQ(entry.bracket().stop_loss(), 12.5);
  EXPECT_TRUE(entry.bracket().has_take_profit_r());
  EXPECT_EQ(entry.bracket().take_profit_r(), 2.0);
}

TEST(IntentsTest, StopsExitTheWholePosition) {
  const Intent stop = ProtectiveStop(1, PositionSide::kLong, 9.5, "s", "stop");
  EXPECT_EQ(stop.action(), Intent::SELL);
  EXPECT_EQ(stop.type(), backtest::v1::STOP);
  EXPECT_EQ(stop.stop_price(), 9.5);
  EXPECT_EQ(stop.quantity(), 0);
  EXPECT_EQ(stop.role(), backtest::v1::STOP_LOSS);
  EXPECT_EQ(stop.time_in_force(), backtest::v1::GTC);
  EXPECT_EQ(ProtectiveStop(1, PositionSide::kShort, 9.5, "", "").action(),
            Intent::COVER);

  const Intent trailing =
      AtrTrailingExit(1, PositionSide::kShort, 3.0, 0.75, 14, "t", "trail");
  EXPECT_EQ(trailing.action(), Intent::COVER);
  EXPECT_EQ(trailing.type(), backtest::v1::TRAILING_STOP);
  EXPECT_EQ(trailing.trail().atr_multiple(), 3.0);
  EXPECT_EQ(trailing.trail().atr(), 0.75);
  EXPECT_EQ(trailing.trail().atr_length(), 14);
  EXPECT_EQ(trailing.role(), backtest::v1::TRAILING);
}

TEST(IntentsTest, CancelAndMoveNameTheOrder) {
  const backtest::v1::PortfolioView view = ViewWithOrders();
  const Intent cancel = CancelOrder(view.working_orders(0), "done");
  EXPECT_EQ(cancel.action(), Intent::CANCEL);
  EXPECT_EQ(cancel.order_id(), 3);
  EXPECT_EQ(cancel.symbol(), 1);
  EXPECT_EQ(cancel.reason(), "done");
  const Intent move = MoveStop(view.working_orders(1), 8.25, "raise");
  EXPECT_EQ(move.action(), Intent::MODIFY);
  EXPECT_EQ(move.order_id(), 4);
  EXPECT_EQ(move.symbol(), 0);
  EXPECT_EQ(move.stop_price(), 8.25);
  EXPECT_EQ(move.quantity(), 0);  // unchanged
}

TEST(IntentsTest, DirectionParamAndSides) {
  const backtest::v1::ParamSchema schema = DirectionParam("long: buy");
  EXPECT_EQ(schema.name(), "direction");
  EXPECT_EQ(schema.default_value().text(), "long");
  EXPECT_THAT(schema.choices(),
              ::testing::ElementsAre("long", "short", "both"));
  EXPECT_EQ(ParseDirection("long"), Direction::kLong);
  EXPECT_EQ(ParseDirection("short"), Direction::kShort);
  EXPECT_EQ(ParseDirection("both"), Direction::kBoth);
  EXPECT_TRUE(Allows(Direction::kLong, PositionSide::kLong));
  EXPECT_FALSE(Allows(Direction::kLong, PositionSide::kShort));
  EXPECT_FALSE(Allows(Direction::kShort, PositionSide::kLong));
  EXPECT_TRUE(Allows(Direction::kBoth, PositionSide::kShort));
  EXPECT_EQ(Opposite(PositionSide::kLong), PositionSide::kShort);
}

}  // namespace
}  // namespace seed::strategy
