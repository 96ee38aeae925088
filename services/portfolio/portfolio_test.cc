#include "services/portfolio/portfolio.h"

#include "common/stage_error.h"
#include "common/time.h"
#include "gtest/gtest.h"

namespace seed::portfolio {
namespace {

using backtest::v1::ApplyStepRequest;
using backtest::v1::ApplyStepResponse;
using backtest::v1::Fill;
using backtest::v1::Intent;
using backtest::v1::SizeIntentsRequest;
using backtest::v1::SizeIntentsResponse;
using backtest::v1::Trade;

constexpr int kOrcl = 0;
constexpr int kNvda = 1;

int64_t Day(absl::string_view date) { return *ParseTime(date); }

Portfolio MakePortfolio(double cash, const std::string& rule,
                        double cash_buffer = 0, double percent = 0) {
  backtest::v1::SizingSpec spec;
  spec.set_rule(rule);
  spec.set_cash_buffer(cash_buffer);
  spec.set_percent(percent);
  std::vector<FieldProblem> problems;
  std::unique_ptr<SizingRule> sizing = MakeSizingRule(spec, &problems);
  EXPECT_TRUE(problems.empty());
  return Portfolio(cash, {"ORCL", "NVDA"}, std::move(sizing));
}

Fill MakeFill(int symbol, backtest::v1::Side side, absl::string_view date,
              double quantity, double price, double commission) {
  Fill fill;
  fill.set_order_id(1);
  fill.set_symbol(symbol);
  fill.set_side(side);
  fill.set_time(Day(date));
  fill.set_quantity(quantity);
  fill.set_price(price);
  fill.set_commission(commission);
  fill.set_reason("signal");
  return fill;
}

Fill BuyFill(int symbol, absl::string_view date, double quantity, double price,
             double commission) {
  return MakeFill(symbol, backtest::v1::BUY, date, quantity, price, commission);
}

Fill SellFill(int symbol, absl::string_view date, double quantity, double price,
              double commission) {
  return MakeFill(symbol, backtest::v1::SELL, date, quantity, price,
                  commission);
}

// Applies `fills` at `date`, then marks each {symbol, close}.
ApplyStepResponse Apply(Portfolio& portfolio, absl::string_view date,
                        std::vector<std::pair<int, double>> closes,
                        std::vector<Fill> fills = {}) {
  ApplyStepRequest request;
  request.mutable_step()->set_time(Day(date));
  for (const auto& [symbol, close] : closes) {
    backtest::v1::Bar* bar = request.mutable_step()->add_bars();
    bar->set_symbol(symbol);
    bar->set_open(close);
    bar->set_close(close);
  }
  for (Fill& fill : fills) *request.add_fills() = std::move(fill);
  ApplyStepResponse response;
  const absl::Status status = portfolio.ApplyStep(request, &response);
  EXPECT_TRUE(status.ok()) << status;
  return response;
}

Intent MakeIntent(int symbol, Intent::Action action, double quantity = 0) {
  Intent intent;
  intent.set_symbol(symbol);
  intent.set_action(action);
  intent.set_quantity(quantity);
  return intent;
}

SizeIntentsResponse Size(Portfolio& portfolio, absl::string_view date,
                         std::vector<Intent> intents) {
  SizeIntentsRequest request;
  request.set_time(Day(date));
  for (Intent& intent : intents) *request.add_intents() = std::move(intent);
  SizeIntentsResponse response;
  const absl::Status status = portfolio.SizeIntents(request, &response);
  EXPECT_TRUE(status.ok()) << status;
  return response;
}

TEST(PortfolioTest, AllInSizesFromTheLastCloseBeforeAGap) {
  Portfolio portfolio = MakePortfolio(100000, "all_in", 0.01);
  Apply(portfolio, "2000-12-29", {{kOrcl, 3.875}});
  const SizeIntentsResponse sized =
      Size(portfolio, "2000-12-29", {MakeIntent(kOrcl, Intent::BUY)});
  ASSERT_EQ(sized.orders_size(), 1);
  // floor(0.99 * 100000 / 3.875) = floor(25548.39) = 25548 shares. (At the
  // next open of 4.236 they cost 108221.33, more than the cash: execution
  // rejects them then, the portfolio does not guess the open.)
  const backtest::v1::Order& order = sized.orders(0);
  EXPECT_EQ(order.id(), 1);
  EXPECT_EQ(order.symbol(), kOrcl);
  EXPECT_EQ(order.side(), backtest::v1::BUY);
  EXPECT_EQ(order.quantity(), 25548);
  EXPECT_EQ(order.type(), backtest::v1::MARKET);
  EXPECT_EQ(order.placed_time(), Day("2000-12-29"));
  EXPECT_EQ(order.reference_price(), 3.875);
  EXPECT_EQ(order.reason(), "signal");
}

TEST(PortfolioTest, PercentOfEquityCountsPositionsAtTheirCloses) {
  Portfolio portfolio = MakePortfolio(10000, "percent_of_equity", 0, 0.5);
  Apply(portfolio, "2001-01-02", {{kOrcl, 25}, {kNvda, 50}},
        {BuyFill(kOrcl, "2001-01-02", 100, 20, 0)});
  // Equity = cash 10000 - 100 * 20 = 8000, plus 100 * 25 = 10500.
  // floor(0.5 * 10500 / 50) = 105 NVDA (cash alone would give 80).
  const SizeIntentsResponse sized =
      Size(portfolio, "2001-01-02", {MakeIntent(kNvda, Intent::BUY)});
  ASSERT_EQ(sized.orders_size(), 1);
  EXPECT_EQ(sized.orders(0).quantity(), 105);
}

TEST(PortfolioTest, BuysInOneCallShareTheCash) {
  Portfolio portfolio = MakePortfolio(10000, "all_in");
  Apply(portfolio, "2001-01-02", {{kOrcl, 40}, {kNvda, 25}});
  const SizeIntentsResponse sized =
      Size(portfolio, "2001-01-02",
           {MakeIntent(kOrcl, Intent::BUY, 100), MakeIntent(kNvda, Intent::BUY),
            MakeIntent(kOrcl, Intent::BUY)});
  // 100 ORCL as asked, estimated at 100 * 40 = 4000; NVDA gets
  // floor(6000 / 25) = 240 (6000 more); nothing is left for ORCL again.
  ASSERT_EQ(sized.orders_size(), 2);
  EXPECT_EQ(sized.orders(0).quantity(), 100);
  EXPECT_EQ(sized.orders(1).quantity(), 240);
  EXPECT_EQ(sized.orders(1).id(), 2);
  ASSERT_EQ(sized.rejections_size(), 1);
  const backtest::v1::Rejection& rejection = sized.rejections(0);
  EXPECT_EQ(rejection.order_id(), 0);
  EXPECT_EQ(rejection.symbol(), kOrcl);
  EXPECT_EQ(rejection.side(), backtest::v1::BUY);
  EXPECT_EQ(rejection.time(), Day("2001-01-02"));
  EXPECT_EQ(rejection.stage(), "portfolio");
  EXPECT_EQ(rejection.code(), "SIZE_ZERO");
  EXPECT_EQ(rejection.message(),
            "BUY ORCL sized to no shares: all_in: floor((1 - 0) * 0.00 / 40) "
            "= 0");
}

TEST(PortfolioTest, CashAndEquityFollowABuyAndASaleWithCommissions) {
  Portfolio portfolio = MakePortfolio(10000, "all_in");
  const ApplyStepResponse bought =
      Apply(portfolio, "2001-01-02", {{kOrcl, 21}},
            {BuyFill(kOrcl, "2001-01-02", 100, 20, 2)});
  // 10000 - 100 * 20 - 2 = 7998 cash; equity 7998 + 100 * 21 = 10098.
  EXPECT_EQ(bought.view().time(), Day("2001-01-02"));
  EXPECT_EQ(bought.view().cash(), 7998);
  EXPECT_EQ(bought.view().equity(), 10098);
  ASSERT_EQ(bought.view().positions_size(), 1);
  const backtest::v1::Position& position = bought.view().positions(0);
  EXPECT_EQ(position.symbol(), kOrcl);
  EXPECT_EQ(position.quantity(), 100);
  EXPECT_EQ(position.average_price(), 20);
  EXPECT_EQ(position.last_price(), 21);
  EXPECT_EQ(position.market_value(), 2100);
  EXPECT_EQ(position.entry_time(), Day("2001-01-02"));
  EXPECT_EQ(bought.closed_trades_size(), 0);

  const ApplyStepResponse sold =
      Apply(portfolio, "2001-01-03", {{kOrcl, 23}},
            {SellFill(kOrcl, "2001-01-03", 100, 22.5, 2.25)});
  // 7998 + 100 * 22.5 - 2.25 = 10245.75, all in cash.
  EXPECT_EQ(sold.view().cash(), 10245.75);
  EXPECT_EQ(sold.view().equity(), 10245.75);
  EXPECT_EQ(sold.view().positions_size(), 0);
  ASSERT_EQ(sold.closed_trades_size(), 1);
  const Trade& trade = sold.closed_trades(0);
  EXPECT_EQ(trade.symbol(), "ORCL");
  EXPECT_EQ(trade.side(), backtest::v1::BUY);
  EXPECT_EQ(trade.entry_time(), Day("2001-01-02"));
  EXPECT_EQ(trade.entry_price(), 20);
  EXPECT_EQ(trade.exit_time(), Day("2001-01-03"));
  EXPECT_EQ(trade.exit_price(), 22.5);
  EXPECT_EQ(trade.quantity(), 100);
  // (22.5 - 20) * 100 = 250 gross; 2 + 2.25 = 4.25 costs; 245.75 net.
  EXPECT_EQ(trade.gross_pnl(), 250);
  EXPECT_EQ(trade.commission(), 4.25);
  EXPECT_EQ(trade.net_pnl(), 245.75);
  EXPECT_EQ(trade.exit_reason(), "signal");
  EXPECT_FALSE(trade.has_r_multiple());
}

TEST(PortfolioTest, TradeAggregatesScaleInsAndScaleOuts) {
  Portfolio portfolio = MakePortfolio(100000, "all_in");
  Apply(portfolio, "2001-01-02", {{kOrcl, 10}},
        {BuyFill(kOrcl, "2001-01-02", 100, 10, 1)});
  const ApplyStepResponse added =
      Apply(portfolio, "2001-01-03", {{kOrcl, 14}},
            {BuyFill(kOrcl, "2001-01-03", 300, 14, 4.2)});
  // Average entry (100 * 10 + 300 * 14) / 400 = 5200 / 400 = 13.
  ASSERT_EQ(added.view().positions_size(), 1);
  EXPECT_EQ(added.view().positions(0).average_price(), 13);
  EXPECT_EQ(added.view().positions(0).entry_time(), Day("2001-01-02"));

  const ApplyStepResponse reduced =
      Apply(portfolio, "2001-01-04", {{kOrcl, 15}},
            {SellFill(kOrcl, "2001-01-04", 150, 15, 2.25)});
  EXPECT_EQ(reduced.closed_trades_size(), 0);
  ASSERT_EQ(reduced.view().positions_size(), 1);
  EXPECT_EQ(reduced.view().positions(0).quantity(), 250);
  EXPECT_EQ(reduced.view().positions(0).average_price(), 13);

  const ApplyStepResponse closed =
      Apply(portfolio, "2001-01-05", {{kOrcl, 16}},
            {SellFill(kOrcl, "2001-01-05", 250, 16, 4)});
  ASSERT_EQ(closed.closed_trades_size(), 1);
  const Trade& trade = closed.closed_trades(0);
  EXPECT_EQ(trade.entry_time(), Day("2001-01-02"));
  EXPECT_EQ(trade.entry_price(), 13);
  EXPECT_EQ(trade.exit_time(), Day("2001-01-05"));
  // (150 * 15 + 250 * 16) / 400 = 6250 / 400 = 15.625.
  EXPECT_EQ(trade.exit_price(), 15.625);
  EXPECT_EQ(trade.quantity(), 400);
  // (15 - 13) * 150 + (16 - 13) * 250 = 300 + 750 = 1050.
  EXPECT_EQ(trade.gross_pnl(), 1050);
  // 1 + 4.2 + 2.25 + 4 = 11.45; net 1050 - 11.45 = 1038.55.
  EXPECT_NEAR(trade.commission(), 11.45, 1e-9);
  EXPECT_NEAR(trade.net_pnl(), 1038.55, 1e-9);
  // Cash ends at the start plus the net: 100000 + 1038.55.
  EXPECT_NEAR(closed.view().cash(), 101038.55, 1e-9);
}

TEST(PortfolioTest, EndReportsTheOpenTradeMarkedToTheLastClose) {
  Portfolio portfolio = MakePortfolio(10000, "all_in");
  Apply(portfolio, "2001-01-02", {{kOrcl, 21}},
        {BuyFill(kOrcl, "2001-01-02", 100, 20, 2)});
  // ORCL has no bar at the last step: it stays marked at its close of 21.
  Apply(portfolio, "2001-01-03", {{kNvda, 50}});
  backtest::v1::PortfolioEndResponse end;
  portfolio.End(&end);
  EXPECT_EQ(end.view().time(), Day("2001-01-03"));
  EXPECT_EQ(end.view().cash(), 7998);
  EXPECT_EQ(end.view().equity(), 10098);
  ASSERT_EQ(end.open_trades_size(), 1);
  const Trade& trade = end.open_trades(0);
  EXPECT_EQ(trade.symbol(), "ORCL");
  EXPECT_EQ(trade.entry_time(), Day("2001-01-02"));
  EXPECT_EQ(trade.entry_price(), 20);
  EXPECT_EQ(trade.exit_time(), 0);
  EXPECT_EQ(trade.exit_price(), 21);
  EXPECT_EQ(trade.quantity(), 100);
  // (21 - 20) * 100 = 100 gross, 2 entry commission, 98 net.
  EXPECT_EQ(trade.gross_pnl(), 100);
  EXPECT_EQ(trade.commission(), 2);
  EXPECT_EQ(trade.net_pnl(), 98);
  EXPECT_EQ(trade.exit_reason(), "open");
}

TEST(PortfolioTest, PositionsAreListedBySymbolIndex) {
  Portfolio portfolio = MakePortfolio(10000, "all_in");
  const ApplyStepResponse response =
      Apply(portfolio, "2001-01-02", {{kOrcl, 11}, {kNvda, 21}},
            {BuyFill(kNvda, "2001-01-02", 10, 20, 0),
             BuyFill(kOrcl, "2001-01-02", 10, 10, 0)});
  ASSERT_EQ(response.view().positions_size(), 2);
  EXPECT_EQ(response.view().positions(0).symbol(), kOrcl);
  EXPECT_EQ(response.view().positions(1).symbol(), kNvda);
  // 10000 - 200 - 100 = 9700 cash, + 110 + 210 = 10020.
  EXPECT_EQ(response.view().equity(), 10020);
}

TEST(PortfolioTest, SellsNeverExceedWhatIsHeld) {
  Portfolio portfolio = MakePortfolio(10000, "all_in");
  Apply(portfolio, "2001-01-02", {{kOrcl, 21}, {kNvda, 50}},
        {BuyFill(kOrcl, "2001-01-02", 100, 20, 0)});
  const SizeIntentsResponse sized = Size(
      portfolio, "2001-01-02",
      {MakeIntent(kNvda, Intent::CLOSE), MakeIntent(kOrcl, Intent::SELL, 150),
       MakeIntent(kOrcl, Intent::SELL), MakeIntent(kOrcl, Intent::CLOSE)});
  // SELL 0 sells the whole 100; the CLOSE after it finds nothing left.
  ASSERT_EQ(sized.orders_size(), 1);
  EXPECT_EQ(sized.orders(0).side(), backtest::v1::SELL);
  EXPECT_EQ(sized.orders(0).quantity(), 100);
  EXPECT_EQ(sized.orders(0).reference_price(), 21);
  ASSERT_EQ(sized.rejections_size(), 3);
  EXPECT_EQ(sized.rejections(0).code(), "NO_POSITION");
  EXPECT_EQ(sized.rejections(0).symbol(), kNvda);
  EXPECT_EQ(sized.rejections(0).side(), backtest::v1::SELL);
  EXPECT_EQ(sized.rejections(0).message(),
            "CLOSE NVDA: no position left to sell (held 0, 0 already being "
            "sold)");
  EXPECT_EQ(sized.rejections(1).code(), "SHORT_NOT_ALLOWED");
  EXPECT_EQ(sized.rejections(1).quantity(), 150);
  EXPECT_EQ(sized.rejections(1).message(),
            "SELL 150 ORCL: only 100 can be sold (held 100, 0 already being "
            "sold); this is a cash account, so shorting is not supported");
  EXPECT_EQ(sized.rejections(2).code(), "NO_POSITION");
  EXPECT_EQ(sized.rejections(2).message(),
            "CLOSE ORCL: no position left to sell (held 100, 100 already "
            "being sold)");
}

TEST(PortfolioTest, AWorkingSellStillCountsAtTheNextStep) {
  Portfolio portfolio = MakePortfolio(10000, "all_in");
  Apply(portfolio, "2001-01-02", {{kOrcl, 21}},
        {BuyFill(kOrcl, "2001-01-02", 100, 20, 0)});
  ASSERT_EQ(Size(portfolio, "2001-01-02", {MakeIntent(kOrcl, Intent::CLOSE)})
                .orders_size(),
            1);
  // ORCL has no bar on the 3rd, so its sell is still working.
  Apply(portfolio, "2001-01-03", {{kNvda, 50}});
  EXPECT_EQ(Size(portfolio, "2001-01-03", {MakeIntent(kOrcl, Intent::CLOSE)})
                .rejections(0)
                .code(),
            "NO_POSITION");
  // Once it fills, a new position can be bought and closed again.
  Apply(portfolio, "2001-01-04", {{kOrcl, 22}},
        {SellFill(kOrcl, "2001-01-04", 100, 22, 0),
         BuyFill(kOrcl, "2001-01-04", 10, 22, 0)});
  const SizeIntentsResponse again =
      Size(portfolio, "2001-01-04", {MakeIntent(kOrcl, Intent::CLOSE)});
  ASSERT_EQ(again.orders_size(), 1);
  EXPECT_EQ(again.orders(0).quantity(), 10);
  EXPECT_EQ(again.orders(0).id(), 2);
}

TEST(PortfolioTest, BuyWithoutAnyCloseIsRejected) {
  Portfolio portfolio = MakePortfolio(10000, "all_in");
  Apply(portfolio, "2001-01-02", {{kOrcl, 21}});
  const SizeIntentsResponse sized =
      Size(portfolio, "2001-01-02", {MakeIntent(kNvda, Intent::BUY, 5)});
  ASSERT_EQ(sized.rejections_size(), 1);
  EXPECT_EQ(sized.rejections(0).code(), "NO_PRICE");
  EXPECT_EQ(sized.rejections(0).quantity(), 5);
}

TEST(PortfolioTest, AFillBeyondThePositionIsAnInternalError) {
  Portfolio portfolio = MakePortfolio(10000, "all_in");
  Apply(portfolio, "2001-01-02", {{kOrcl, 21}},
        {BuyFill(kOrcl, "2001-01-02", 100, 20, 0)});
  ApplyStepRequest request;
  request.mutable_step()->set_time(Day("2001-01-03"));
  *request.add_fills() = SellFill(kOrcl, "2001-01-03", 101, 21, 0);
  ApplyStepResponse response;
  const absl::Status status = portfolio.ApplyStep(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "portfolio");
  EXPECT_EQ(error.reason(), "POSITION_WOULD_GO_SHORT");
  EXPECT_EQ(error.symbol(), "ORCL");
  EXPECT_EQ(error.bar_time(), "2001-01-03");
}

TEST(PortfolioTest, IntentForAnUnknownSymbolIsInvalid) {
  Portfolio portfolio = MakePortfolio(10000, "all_in");
  SizeIntentsRequest request;
  *request.add_intents() = MakeIntent(2, Intent::BUY);
  SizeIntentsResponse response;
  const absl::Status status = portfolio.SizeIntents(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").reason(), "INVALID_INTENT");
  EXPECT_NE(status.message().find("symbol index 2"), absl::string_view::npos);
  EXPECT_EQ(response.orders_size() + response.rejections_size(), 0);
}

}  // namespace
}  // namespace seed::portfolio
