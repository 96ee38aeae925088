#include "services/portfolio/portfolio.h"

#include <string>
#include <utility>
#include <vector>

#include "common/stage_error.h"
#include "common/time.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace seed::portfolio {
namespace {

using backtest::v1::ApplyStepsRequest;
using backtest::v1::ApplyStepsResponse;
using backtest::v1::Fill;
using backtest::v1::Intent;
using backtest::v1::OrderEvent;
using backtest::v1::SizeIntentsRequest;
using backtest::v1::SizeIntentsResponse;
using backtest::v1::TimeStep;
using backtest::v1::Trade;

constexpr int kOrcl = 0;
constexpr int kNvda = 1;

int64_t Day(absl::string_view date) { return *ParseTime(date); }

backtest::v1::PortfolioSpec Spec(double cash, const std::string& rule,
                                 double cash_buffer = 0, double percent = 0) {
  backtest::v1::PortfolioSpec spec;
  spec.set_initial_cash(cash);
  spec.mutable_sizing()->set_rule(rule);
  spec.mutable_sizing()->set_cash_buffer(cash_buffer);
  spec.mutable_sizing()->set_percent(percent);
  return spec;
}

std::unique_ptr<Portfolio> Make(const backtest::v1::PortfolioSpec& spec) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<Portfolio> portfolio =
      Portfolio::Create(spec, {"ORCL", "NVDA"}, &problems);
  EXPECT_TRUE(problems.empty()) << problems[0].field << ": "
                                << problems[0].description;
  return portfolio;
}

std::unique_ptr<Portfolio> MakePortfolio(double cash, const std::string& rule,
                                         double cash_buffer = 0,
                                         double percent = 0) {
  return Make(Spec(cash, rule, cash_buffer, percent));
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

// The step `index` at `date` with a bar closing at `close` per {symbol, close}.
TimeStep Step(int64_t index, absl::string_view date,
              std::vector<std::pair<int, double>> closes) {
  TimeStep step;
  step.set_index(index);
  step.set_time(Day(date));
  for (const auto& [symbol, close] : closes) {
    backtest::v1::Bar* bar = step.add_bars();
    bar->set_symbol(symbol);
    bar->set_open(close);
    bar->set_high(close);
    bar->set_low(close);
    bar->set_close(close);
  }
  return step;
}

ApplyStepsRequest RunOf(std::vector<TimeStep> steps,
                        std::vector<Fill> fills = {},
                        std::vector<OrderEvent> events = {}) {
  ApplyStepsRequest request;
  for (TimeStep& step : steps) *request.add_steps() = std::move(step);
  for (Fill& fill : fills) *request.add_fills() = std::move(fill);
  for (OrderEvent& event : events) *request.add_events() = std::move(event);
  return request;
}

// Applies a run of steps, expecting success.
ApplyStepsResponse ApplyRun(Portfolio& portfolio, std::vector<TimeStep> steps,
                            std::vector<Fill> fills = {},
                            std::vector<OrderEvent> events = {}) {
  ApplyStepsResponse response;
  const absl::Status status = portfolio.ApplySteps(
      RunOf(std::move(steps), std::move(fills), std::move(events)), &response);
  EXPECT_TRUE(status.ok()) << status;
  return response;
}

// Applies `fills` at step `index` (`date`), then marks each {symbol, close}.
ApplyStepsResponse Apply(Portfolio& portfolio, int64_t index,
                         absl::string_view date,
                         std::vector<std::pair<int, double>> closes,
                         std::vector<Fill> fills = {}) {
  return ApplyRun(portfolio, {Step(index, date, std::move(closes))},
                  std::move(fills));
}

Intent MakeIntent(int symbol, Intent::Action action, double quantity = 0) {
  Intent intent;
  intent.set_symbol(symbol);
  intent.set_action(action);
  intent.set_quantity(quantity);
  return intent;
}

SizeIntentsRequest SizeRequest(int64_t step_index, absl::string_view date,
                               std::vector<Intent> intents) {
  SizeIntentsRequest request;
  request.set_step_index(step_index);
  request.set_time(Day(date));
  for (Intent& intent : intents) *request.add_intents() = std::move(intent);
  return request;
}

// Sizes intents made at step `step_index` (`date`), expecting success.
SizeIntentsResponse Size(Portfolio& portfolio, int64_t step_index,
                         absl::string_view date, std::vector<Intent> intents) {
  const SizeIntentsRequest request =
      SizeRequest(step_index, date, std::move(intents));
  SizeIntentsResponse response;
  const absl::Status status = portfolio.SizeIntents(request, &response);
  EXPECT_TRUE(status.ok()) << status;
  return response;
}

TEST(PortfolioTest, AllInSizesFromTheLastCloseBeforeAGap) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(100000, "all_in", 0.01);
  Portfolio& portfolio = *owned_portfolio;
  Apply(portfolio, 0, "2000-12-29", {{kOrcl, 3.875}});
  const SizeIntentsResponse sized =
      Size(portfolio, 0, "2000-12-29", {MakeIntent(kOrcl, Intent::BUY)});
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
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "percent_of_equity", 0, 0.5);
  Portfolio& portfolio = *owned_portfolio;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 25}, {kNvda, 50}},
        {BuyFill(kOrcl, "2001-01-02", 100, 20, 0)});
  // Equity = cash 10000 - 100 * 20 = 8000, plus 100 * 25 = 10500.
  // floor(0.5 * 10500 / 50) = 105 NVDA (cash alone would give 80).
  const SizeIntentsResponse sized =
      Size(portfolio, 0, "2001-01-02", {MakeIntent(kNvda, Intent::BUY)});
  ASSERT_EQ(sized.orders_size(), 1);
  EXPECT_EQ(sized.orders(0).quantity(), 105);
}

TEST(PortfolioTest, BuysInOneCallShareTheCash) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 40}, {kNvda, 25}});
  const SizeIntentsResponse sized =
      Size(portfolio, 0, "2001-01-02",
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
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  const ApplyStepsResponse bought =
      Apply(portfolio, 0, "2001-01-02", {{kOrcl, 21}},
            {BuyFill(kOrcl, "2001-01-02", 100, 20, 2)});
  // 10000 - 100 * 20 - 2 = 7998 cash; equity 7998 + 100 * 21 = 10098.
  EXPECT_EQ(bought.views(0).time(), Day("2001-01-02"));
  EXPECT_EQ(bought.views(0).cash(), 7998);
  EXPECT_EQ(bought.views(0).equity(), 10098);
  ASSERT_EQ(bought.views(0).positions_size(), 1);
  const backtest::v1::Position& position = bought.views(0).positions(0);
  EXPECT_EQ(position.symbol(), kOrcl);
  EXPECT_EQ(position.quantity(), 100);
  EXPECT_EQ(position.average_price(), 20);
  EXPECT_EQ(position.last_price(), 21);
  EXPECT_EQ(position.market_value(), 2100);
  EXPECT_EQ(position.entry_time(), Day("2001-01-02"));
  EXPECT_EQ(bought.closed_trades_size(), 0);

  const ApplyStepsResponse sold =
      Apply(portfolio, 1, "2001-01-03", {{kOrcl, 23}},
            {SellFill(kOrcl, "2001-01-03", 100, 22.5, 2.25)});
  // 7998 + 100 * 22.5 - 2.25 = 10245.75, all in cash.
  EXPECT_EQ(sold.views(0).cash(), 10245.75);
  EXPECT_EQ(sold.views(0).equity(), 10245.75);
  EXPECT_EQ(sold.views(0).positions_size(), 0);
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
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(100000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 10}},
        {BuyFill(kOrcl, "2001-01-02", 100, 10, 1)});
  const ApplyStepsResponse added =
      Apply(portfolio, 1, "2001-01-03", {{kOrcl, 14}},
            {BuyFill(kOrcl, "2001-01-03", 300, 14, 4.2)});
  // Average entry (100 * 10 + 300 * 14) / 400 = 5200 / 400 = 13.
  ASSERT_EQ(added.views(0).positions_size(), 1);
  EXPECT_EQ(added.views(0).positions(0).average_price(), 13);
  EXPECT_EQ(added.views(0).positions(0).entry_time(), Day("2001-01-02"));

  const ApplyStepsResponse reduced =
      Apply(portfolio, 2, "2001-01-04", {{kOrcl, 15}},
            {SellFill(kOrcl, "2001-01-04", 150, 15, 2.25)});
  EXPECT_EQ(reduced.closed_trades_size(), 0);
  ASSERT_EQ(reduced.views(0).positions_size(), 1);
  EXPECT_EQ(reduced.views(0).positions(0).quantity(), 250);
  EXPECT_EQ(reduced.views(0).positions(0).average_price(), 13);

  const ApplyStepsResponse closed =
      Apply(portfolio, 3, "2001-01-05", {{kOrcl, 16}},
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
  EXPECT_NEAR(closed.views(0).cash(), 101038.55, 1e-9);
}

TEST(PortfolioTest, EndReportsTheOpenTradeMarkedToTheLastClose) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 21}},
        {BuyFill(kOrcl, "2001-01-02", 100, 20, 2)});
  // ORCL has no bar at the last step: it stays marked at its close of 21.
  Apply(portfolio, 1, "2001-01-03", {{kNvda, 50}});
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
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  const ApplyStepsResponse response =
      Apply(portfolio, 0, "2001-01-02", {{kOrcl, 11}, {kNvda, 21}},
            {BuyFill(kNvda, "2001-01-02", 10, 20, 0),
             BuyFill(kOrcl, "2001-01-02", 10, 10, 0)});
  ASSERT_EQ(response.views(0).positions_size(), 2);
  EXPECT_EQ(response.views(0).positions(0).symbol(), kOrcl);
  EXPECT_EQ(response.views(0).positions(1).symbol(), kNvda);
  // 10000 - 200 - 100 = 9700 cash, + 110 + 210 = 10020.
  EXPECT_EQ(response.views(0).equity(), 10020);
}

TEST(PortfolioTest, SellsNeverExceedWhatIsHeld) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 21}, {kNvda, 50}},
        {BuyFill(kOrcl, "2001-01-02", 100, 20, 0)});
  const SizeIntentsResponse sized = Size(
      portfolio, 0, "2001-01-02",
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
            "sold); shorting is not enabled (portfolio.shorting.enabled)");
  EXPECT_EQ(sized.rejections(2).code(), "NO_POSITION");
  EXPECT_EQ(sized.rejections(2).message(),
            "CLOSE ORCL: no position left to sell (held 100, 100 already "
            "being sold)");
}

TEST(PortfolioTest, AWorkingSellStillCountsAtTheNextStep) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 21}},
        {BuyFill(kOrcl, "2001-01-02", 100, 20, 0)});
  ASSERT_EQ(Size(portfolio, 0, "2001-01-02", {MakeIntent(kOrcl, Intent::CLOSE)})
                .orders_size(),
            1);
  // ORCL has no bar on the 3rd, so its sell is still working.
  Apply(portfolio, 1, "2001-01-03", {{kNvda, 50}});
  EXPECT_EQ(Size(portfolio, 1, "2001-01-03", {MakeIntent(kOrcl, Intent::CLOSE)})
                .rejections(0)
                .code(),
            "NO_POSITION");
  // Once it fills, a new position can be bought and closed again.
  Apply(portfolio, 2, "2001-01-04", {{kOrcl, 22}},
        {SellFill(kOrcl, "2001-01-04", 100, 22, 0),
         BuyFill(kOrcl, "2001-01-04", 10, 22, 0)});
  const SizeIntentsResponse again =
      Size(portfolio, 2, "2001-01-04", {MakeIntent(kOrcl, Intent::CLOSE)});
  ASSERT_EQ(again.orders_size(), 1);
  EXPECT_EQ(again.orders(0).quantity(), 10);
  EXPECT_EQ(again.orders(0).id(), 2);
}

TEST(PortfolioTest, BuyWithoutAnyCloseIsRejected) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 21}});
  const SizeIntentsResponse sized =
      Size(portfolio, 0, "2001-01-02", {MakeIntent(kNvda, Intent::BUY, 5)});
  ASSERT_EQ(sized.rejections_size(), 1);
  EXPECT_EQ(sized.rejections(0).code(), "NO_PRICE");
  EXPECT_EQ(sized.rejections(0).quantity(), 5);
}

TEST(PortfolioTest, AFillBeyondThePositionIsAnInternalError) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 21}},
        {BuyFill(kOrcl, "2001-01-02", 100, 20, 0)});
  ApplyStepsResponse response;
  const absl::Status status =
      portfolio.ApplySteps(RunOf({Step(1, "2001-01-03", {})},
                                 {SellFill(kOrcl, "2001-01-03", 101, 21, 0)}),
                           &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "portfolio");
  EXPECT_EQ(error.reason(), "POSITION_WOULD_GO_SHORT");
  EXPECT_EQ(error.symbol(), "ORCL");
  EXPECT_EQ(error.bar_time(), "2001-01-03");
}

TEST(PortfolioTest, IntentForAnUnknownSymbolIsInvalid) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 21}});
  SizeIntentsRequest request = SizeRequest(0, "2001-01-02", {});
  *request.add_intents() = MakeIntent(2, Intent::BUY);
  SizeIntentsResponse response;
  const absl::Status status = portfolio.SizeIntents(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").reason(), "INVALID_INTENT");
  EXPECT_NE(status.message().find("symbol index 2"), absl::string_view::npos);
  EXPECT_EQ(response.orders_size() + response.rejections_size(), 0);
}

// Six days of ORCL and NVDA with fills at several steps (scale-in, partial
// sale, two fills at one step, both positions closed) and awkward prices, so
// that any change in the order of the arithmetic would show in the last bit.
struct Scenario {
  std::vector<TimeStep> steps;
  std::vector<std::vector<Fill>> fills;  // fills[i]: those at steps[i]
  // events[i]: those at steps[i]; may be shorter than steps.
  std::vector<std::vector<OrderEvent>> events;
};

Scenario SixDays() {
  Scenario s;
  s.steps = {Step(0, "2001-01-02", {{kOrcl, 3.875}, {kNvda, 21.3125}}),
             Step(1, "2001-01-03", {{kOrcl, 4.236}}),
             Step(2, "2001-01-04", {{kOrcl, 4.1}, {kNvda, 22.07}}),
             Step(3, "2001-01-05", {{kOrcl, 4.3}, {kNvda, 21.9}}),
             Step(4, "2001-01-08", {{kNvda, 23.01}}),
             Step(5, "2001-01-09", {{kOrcl, 4.42}, {kNvda, 23.3}})};
  s.fills = {{BuyFill(kOrcl, "2001-01-02", 2551, 3.9, 1.2345)},
             {},
             {BuyFill(kNvda, "2001-01-04", 37, 22.1, 0.79)},
             {SellFill(kOrcl, "2001-01-05", 1000, 4.31, 0.43),
              BuyFill(kOrcl, "2001-01-05", 7, 4.3, 0.01)},
             {SellFill(kNvda, "2001-01-08", 37, 22.98, 0.85)},
             {SellFill(kOrcl, "2001-01-09", 1558, 4.41, 0.69)}};
  return s;
}

// Applies steps [begin, end) of `scenario` in one call.
ApplyStepsResponse ApplyPart(Portfolio& portfolio, const Scenario& scenario,
                             int begin, int end) {
  std::vector<TimeStep> steps;
  std::vector<Fill> fills;
  std::vector<OrderEvent> events;
  for (int i = begin; i < end; ++i) {
    steps.push_back(scenario.steps[i]);
    fills.insert(fills.end(), scenario.fills[i].begin(),
                 scenario.fills[i].end());
    if (i < scenario.events.size()) {
      events.insert(events.end(), scenario.events[i].begin(),
                    scenario.events[i].end());
    }
  }
  return ApplyRun(portfolio, std::move(steps), std::move(fills),
                  std::move(events));
}

// Exact equality, doubles to the last bit.
::testing::AssertionResult Same(const google::protobuf::Message& a,
                                const google::protobuf::Message& b) {
  if (google::protobuf::util::MessageDifferencer::Equals(a, b)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << a.DebugString() << "\n  differs from\n"
         << b.DebugString();
}

// Applies `scenario` in calls of `sizes` steps each; returns every view and
// closed trade in order, then the end of the run.
std::pair<ApplyStepsResponse, backtest::v1::PortfolioEndResponse> RunInCalls(
    const Scenario& scenario, const std::vector<int>& sizes,
    const backtest::v1::PortfolioSpec& spec = Spec(100000, "all_in")) {
  const std::unique_ptr<Portfolio> owned_portfolio = Make(spec);
  Portfolio& portfolio = *owned_portfolio;
  ApplyStepsResponse all;
  int begin = 0;
  for (const int size : sizes) {
    const ApplyStepsResponse part =
        ApplyPart(portfolio, scenario, begin, begin + size);
    EXPECT_EQ(part.views_size(), size);
    all.mutable_views()->MergeFrom(part.views());
    all.mutable_closed_trades()->MergeFrom(part.closed_trades());
    begin += size;
  }
  backtest::v1::PortfolioEndResponse end;
  portfolio.End(&end);
  return {all, end};
}

TEST(PortfolioTest, ARunOfStepsMatchesOneStepAtATime) {
  const Scenario scenario = SixDays();
  const auto [one_by_one, one_by_one_end] =
      RunInCalls(scenario, {1, 1, 1, 1, 1, 1});
  ASSERT_EQ(one_by_one.views_size(), 6);
  ASSERT_EQ(one_by_one.closed_trades_size(), 2);
  EXPECT_EQ(one_by_one.closed_trades(0).symbol(), "NVDA");
  EXPECT_EQ(one_by_one.closed_trades(1).symbol(), "ORCL");
  // 100000 - 2551 * 3.9 - 1.2345 = 90049.8655 after the first fill.
  EXPECT_NEAR(one_by_one.views(0).cash(), 90049.8655, 1e-9);
  EXPECT_EQ(one_by_one.views(4).time(), Day("2001-01-08"));

  for (const std::vector<int>& sizes :
       std::vector<std::vector<int>>{{6}, {2, 3, 1}, {1, 5}}) {
    const auto [together, together_end] = RunInCalls(scenario, sizes);
    EXPECT_TRUE(Same(together, one_by_one)) << sizes.size() << " calls";
    EXPECT_TRUE(Same(together_end, one_by_one_end)) << sizes.size() << " calls";
  }
}

TEST(PortfolioTest, ApplyStepsReplacesTheResponse) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  ApplyStepsResponse response;
  ASSERT_TRUE(portfolio
                  .ApplySteps(RunOf({Step(0, "2001-01-02", {{kOrcl, 21}}),
                                     Step(1, "2001-01-03", {{kOrcl, 22}})},
                                    {BuyFill(kOrcl, "2001-01-02", 10, 20, 0),
                                     SellFill(kOrcl, "2001-01-03", 10, 22, 0)}),
                              &response)
                  .ok());
  EXPECT_EQ(response.views_size(), 2);
  EXPECT_EQ(response.closed_trades_size(), 1);
  ASSERT_TRUE(
      portfolio
          .ApplySteps(RunOf({Step(2, "2001-01-04", {{kOrcl, 23}})}), &response)
          .ok());
  ASSERT_EQ(response.views_size(), 1);
  EXPECT_EQ(response.views(0).time(), Day("2001-01-04"));
  EXPECT_EQ(response.views(0).positions_size(), 0);
  EXPECT_EQ(response.closed_trades_size(), 0);
}

TEST(PortfolioTest, ACallStartingEarlierDiscardsTheTentativeFillStep) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  const std::vector<TimeStep> steps = {Step(0, "2001-01-02", {{kOrcl, 10}}),
                                       Step(1, "2001-01-03", {{kOrcl, 11}}),
                                       Step(2, "2001-01-04", {{kOrcl, 12}}),
                                       Step(3, "2001-01-05", {{kOrcl, 13}})};
  const ApplyStepsResponse first =
      ApplyRun(portfolio, steps, {BuyFill(kOrcl, "2001-01-05", 100, 13, 1)});
  ASSERT_EQ(first.views_size(), 4);
  // 10000 - 100 * 13 - 1 = 8699 at the fill step.
  EXPECT_EQ(first.views(3).cash(), 8699);
  EXPECT_EQ(first.views(3).positions_size(), 1);

  // The strategy acted at step 1, so steps 2 and 3 (with the buy) were not
  // consumed; they come again without the fill.
  const ApplyStepsResponse again = ApplyRun(portfolio, {steps[2], steps[3]});
  ASSERT_EQ(again.views_size(), 2);
  EXPECT_EQ(again.views(0).time(), Day("2001-01-04"));
  EXPECT_EQ(again.views(1).cash(), 10000);
  EXPECT_EQ(again.views(1).equity(), 10000);
  EXPECT_EQ(again.views(1).positions_size(), 0);
  backtest::v1::PortfolioEndResponse end;
  portfolio.End(&end);
  EXPECT_EQ(end.view().time(), Day("2001-01-05"));
  EXPECT_EQ(end.view().cash(), 10000);
  EXPECT_EQ(end.open_trades_size(), 0);

  // The same as a portfolio that never saw the discarded steps.
  const std::unique_ptr<Portfolio> owned_reference =
      MakePortfolio(10000, "all_in");
  Portfolio& reference = *owned_reference;
  ApplyRun(reference, {steps[0]});
  ApplyRun(reference, {steps[1]});
  EXPECT_TRUE(Same(ApplyRun(reference, {steps[2], steps[3]}), again));
  backtest::v1::PortfolioEndResponse reference_end;
  reference.End(&reference_end);
  EXPECT_TRUE(Same(reference_end, end));
}

TEST(PortfolioTest, SizeIntentsCommitsThroughItsStepAndSizesAtItsClose) {
  const std::vector<TimeStep> steps = {Step(0, "2001-01-02", {{kOrcl, 10}}),
                                       Step(1, "2001-01-03", {{kOrcl, 11}}),
                                       Step(2, "2001-01-04", {{kOrcl, 12}}),
                                       Step(3, "2001-01-05", {{kOrcl, 13}})};
  const auto intents = [] {
    return std::vector<Intent>{MakeIntent(kOrcl, Intent::CLOSE),
                               MakeIntent(kOrcl, Intent::BUY)};
  };
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  // A buy inside the kept steps and a sale in the discarded one.
  ApplyRun(portfolio, steps,
           {BuyFill(kOrcl, "2001-01-03", 100, 10.5, 0),
            SellFill(kOrcl, "2001-01-05", 100, 12.5, 0)});
  const SizeIntentsResponse sized = Size(portfolio, 2, "2001-01-04", intents());
  // As of step 2: 100 ORCL still held (the sale at step 3 is undone), cash
  // 10000 - 1050 = 8950, close 12. CLOSE sells the 100, whose proceeds at
  // the close (1200) pay for the BUY after it: floor((8950 + 1200) / 12) =
  // floor(845.8) = 845.
  ASSERT_EQ(sized.orders_size(), 2);
  EXPECT_EQ(sized.orders(0).side(), backtest::v1::SELL);
  EXPECT_EQ(sized.orders(0).quantity(), 100);
  EXPECT_EQ(sized.orders(0).reference_price(), 12);
  EXPECT_EQ(sized.orders(1).quantity(), 845);
  EXPECT_EQ(sized.orders(1).reference_price(), 12);
  backtest::v1::PortfolioEndResponse end;
  portfolio.End(&end);
  EXPECT_EQ(end.view().time(), Day("2001-01-04"));
  EXPECT_EQ(end.view().cash(), 8950);
  ASSERT_EQ(end.open_trades_size(), 1);
  EXPECT_EQ(end.open_trades(0).exit_price(), 12);

  const std::unique_ptr<Portfolio> owned_reference =
      MakePortfolio(10000, "all_in");
  Portfolio& reference = *owned_reference;
  ApplyRun(reference, {steps[0]});
  ApplyRun(reference, {steps[1]}, {BuyFill(kOrcl, "2001-01-03", 100, 10.5, 0)});
  ApplyRun(reference, {steps[2]});
  EXPECT_TRUE(Same(Size(reference, 2, "2001-01-04", intents()), sized));
  backtest::v1::PortfolioEndResponse reference_end;
  reference.End(&reference_end);
  EXPECT_TRUE(Same(reference_end, end));
}

TEST(PortfolioTest, EndCommitsTheTentativeSteps) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  ApplyRun(portfolio,
           {Step(0, "2001-01-02", {{kOrcl, 10}}),
            Step(1, "2001-01-03", {{kOrcl, 11}})},
           {BuyFill(kOrcl, "2001-01-03", 100, 10.5, 0)});
  backtest::v1::PortfolioEndResponse end;
  portfolio.End(&end);
  EXPECT_EQ(end.view().time(), Day("2001-01-03"));
  EXPECT_EQ(end.view().cash(), 8950);
  EXPECT_EQ(end.view().equity(), 10050);
  ASSERT_EQ(end.open_trades_size(), 1);
  EXPECT_EQ(end.open_trades(0).entry_price(), 10.5);
}

// Expects FAILED_PRECONDITION / STEP_OUT_OF_ORDER with `message`.
void ExpectOutOfOrder(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ToStageError(status, "").reason(), "STEP_OUT_OF_ORDER");
  EXPECT_EQ(ToStageError(status, "").stage(), "portfolio");
  EXPECT_EQ(status.message(), message);
}

TEST(PortfolioTest, StepsOutOfOrderAreRefused) {
  const std::vector<TimeStep> steps = {Step(0, "2001-01-02", {{kOrcl, 10}}),
                                       Step(1, "2001-01-03", {{kOrcl, 11}}),
                                       Step(2, "2001-01-04", {{kOrcl, 12}}),
                                       Step(3, "2001-01-05", {{kOrcl, 13}})};
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  ApplyStepsResponse applied;
  SizeIntentsResponse sized;
  ExpectOutOfOrder(portfolio.ApplySteps(RunOf({steps[1]}), &applied),
                   "ApplySteps starting at step 1 (2001-01-03) is out of "
                   "order: no step is committed and none is tentative");
  ExpectOutOfOrder(
      portfolio.SizeIntents(SizeRequest(0, "2001-01-02", {}), &sized),
      "SizeIntents at step 0 (2001-01-02) is out of order: no step is "
      "committed and none is tentative");

  ApplyRun(portfolio, {steps[0], steps[1], steps[2]});
  Size(portfolio, 1, "2001-01-03", {});  // commits 0-1, discards 2
  const std::string committed =
      "is out of order: steps through 1 are committed and none is tentative";
  ExpectOutOfOrder(portfolio.ApplySteps(RunOf({steps[1], steps[2]}), &applied),
                   "ApplySteps starting at step 1 (2001-01-03) " + committed);
  ExpectOutOfOrder(portfolio.ApplySteps(RunOf({steps[3]}), &applied),
                   "ApplySteps starting at step 3 (2001-01-05) " + committed);
  ExpectOutOfOrder(
      portfolio.SizeIntents(SizeRequest(0, "2001-01-02", {}), &sized),
      "SizeIntents at step 0 (2001-01-02) " + committed);
  ExpectOutOfOrder(
      portfolio.SizeIntents(SizeRequest(2, "2001-01-04", {}), &sized),
      "SizeIntents at step 2 (2001-01-04) " + committed);

  // The refused calls changed nothing: the run goes on from step 2.
  const ApplyStepsResponse resumed = ApplyRun(portfolio, {steps[2], steps[3]});
  ASSERT_EQ(resumed.views_size(), 2);
  EXPECT_EQ(resumed.views(0).time(), Day("2001-01-04"));
  ExpectOutOfOrder(
      portfolio.SizeIntents(SizeRequest(4, "2001-01-08", {}), &sized),
      "SizeIntents at step 4 (2001-01-08) is out of order: steps through 1 "
      "are committed and steps 2 to 3 are tentative");
}

// Expects INVALID_ARGUMENT with `reason` and a message containing `part`.
void ExpectInvalid(const absl::Status& status, const std::string& reason,
                   const std::string& part) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(ToStageError(status, "").reason(), reason);
  EXPECT_NE(status.message().find(part), absl::string_view::npos) << status;
}

TEST(PortfolioTest, MalformedRunsAreInvalidAndChangeNothing) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned_portfolio;
  const TimeStep day0 = Step(0, "2001-01-02", {{kOrcl, 10}});
  const TimeStep day1 = Step(1, "2001-01-03", {{kOrcl, 11}});
  const TimeStep day2 = Step(2, "2001-01-04", {{kOrcl, 12}});
  const Fill buy = BuyFill(kOrcl, "2001-01-03", 100, 10.5, 0);
  const ApplyStepsResponse first = ApplyRun(portfolio, {day0, day1}, {buy});

  // Each bad call starts at step 1, which would commit step 0 if applied.
  ApplyStepsResponse response;
  ExpectInvalid(portfolio.ApplySteps(RunOf({}), &response), "NO_STEPS",
                "no steps");
  ExpectInvalid(
      portfolio.ApplySteps(RunOf({day1, Step(3, "2001-01-05", {{kOrcl, 13}})}),
                           &response),
      "INVALID_STEP",
      "step 3 (2001-01-05) is at position 1 of a call starting at "
      "step 1; expected index 2");
  ExpectInvalid(
      portfolio.ApplySteps(RunOf({day1, Step(2, "2001-01-03", {})}), &response),
      "INVALID_STEP", "step 2 (2001-01-03) is not later than step 1");
  ExpectInvalid(portfolio.ApplySteps(
                    RunOf({day1, Step(2, "2001-01-04", {{5, 1}})}), &response),
                "INVALID_STEP",
                "has a bar for symbol index 5 but the run has 2 symbols");
  ExpectInvalid(
      portfolio.ApplySteps(
          RunOf({day1, day2}, {buy, BuyFill(kOrcl, "2001-01-05", 1, 13, 0)}),
          &response),
      "INVALID_FILL",
      "fill 1 (order 1 at 2001-01-05) is not at the time of any step of the "
      "call (steps 1 to 2)");
  ExpectInvalid(
      portfolio.ApplySteps(
          RunOf({day1, day2}, {BuyFill(kOrcl, "2001-01-04", 1, 12, 0), buy}),
          &response),
      "INVALID_FILL",
      "fill 1 (order 1 at 2001-01-03) comes after fill 0 dated "
      "2001-01-04; fills come in time order");
  ExpectInvalid(
      portfolio.ApplySteps(RunOf({day1}, {BuyFill(7, "2001-01-03", 1, 12, 0)}),
                           &response),
      "INVALID_FILL", "fill 0 (order 1 at 2001-01-03) is for symbol index 7");
  ExpectInvalid(
      portfolio.ApplySteps(
          RunOf({day1}, {BuyFill(kOrcl, "2001-01-03", -1, 12, 0)}), &response),
      "INVALID_FILL", "has quantity -1");

  // Step 0 is still tentative: the run may start over from it.
  EXPECT_TRUE(Same(ApplyRun(portfolio, {day0, day1}, {buy}), first));
}

// ---- Issue 4: intents, the working book, shorts, margin, sizing, trades ----

// A bar with its full range.
TimeStep StepBars(int64_t index, absl::string_view date, int symbol,
                  double open, double high, double low, double close) {
  TimeStep step = Step(index, date, {{symbol, close}});
  backtest::v1::Bar* bar = step.mutable_bars(0);
  bar->set_open(open);
  bar->set_high(high);
  bar->set_low(low);
  return step;
}

Fill OrderFill(int64_t order_id, Fill fill,
               backtest::v1::OrderRole role = backtest::v1::ORDER_ROLE_UNSPECIFIED,
               double slippage = 0) {
  fill.set_order_id(order_id);
  fill.set_role(role);
  fill.set_slippage(slippage);
  return fill;
}

backtest::v1::PortfolioSpec ShortingSpec(double cash, double borrow_rate) {
  backtest::v1::PortfolioSpec spec = Spec(cash, "all_in");
  spec.mutable_shorting()->set_enabled(true);
  spec.mutable_shorting()->set_borrow_rate(borrow_rate);
  return spec;
}

OrderEvent Event(int64_t order_id, OrderEvent::Kind kind,
                 absl::string_view date,
                 const backtest::v1::Order& order = {}) {
  OrderEvent event;
  event.set_order_id(order_id);
  event.set_symbol(order.symbol());
  event.set_kind(kind);
  event.set_time(Day(date));
  *event.mutable_order() = order;
  return event;
}

TEST(PortfolioTest, EveryIntentKindBecomesAnOrderAnAmendmentOrARejection) {
  const std::unique_ptr<Portfolio> owned = Make(ShortingSpec(10000, 0));
  Portfolio& portfolio = *owned;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 20}, {kNvda, 50}});

  Intent limit_buy = MakeIntent(kOrcl, Intent::BUY, 10);
  limit_buy.set_type(backtest::v1::LIMIT);
  limit_buy.set_limit_price(19.5);
  limit_buy.set_time_in_force(backtest::v1::BARS);
  limit_buy.set_tif_bars(3);
  limit_buy.set_reason("dip");
  limit_buy.set_tag("t1");
  Intent bracket_buy = MakeIntent(kOrcl, Intent::BUY, 10);
  bracket_buy.mutable_bracket()->set_stop_loss(18);
  bracket_buy.mutable_bracket()->set_take_profit(24);
  Intent cancel = MakeIntent(kOrcl, Intent::CANCEL);
  cancel.set_order_id(1);
  Intent modify = MakeIntent(kOrcl, Intent::MODIFY, 8);
  modify.set_order_id(2);
  Intent unknown = MakeIntent(kOrcl, Intent::CANCEL);
  unknown.set_order_id(99);
  Intent target_quantity = MakeIntent(kOrcl, Intent::TARGET_QUANTITY);
  target_quantity.set_target(30);
  Intent target_weight = MakeIntent(kNvda, Intent::TARGET_WEIGHT);
  target_weight.set_target(-0.1);
  const SizeIntentsResponse sized =
      Size(portfolio, 0, "2001-01-02",
           {limit_buy, bracket_buy, MakeIntent(kNvda, Intent::SHORT, 5), cancel,
            modify, unknown, target_quantity, target_weight});

  ASSERT_EQ(sized.orders_size(), 5);
  const backtest::v1::Order& limit = sized.orders(0);
  EXPECT_EQ(limit.id(), 1);
  EXPECT_EQ(limit.type(), backtest::v1::LIMIT);
  EXPECT_EQ(limit.limit_price(), 19.5);
  EXPECT_EQ(limit.time_in_force(), backtest::v1::BARS);
  EXPECT_EQ(limit.tif_bars(), 3);
  EXPECT_EQ(limit.reason(), "dip");
  EXPECT_EQ(limit.tag(), "t1");
  EXPECT_EQ(limit.reference_price(), 20);
  EXPECT_EQ(limit.original_quantity(), 10);
  // The bracket's exits take the next two ids.
  const backtest::v1::Order& bracket = sized.orders(1);
  EXPECT_EQ(bracket.id(), 2);
  EXPECT_EQ(bracket.type(), backtest::v1::MARKET);
  EXPECT_EQ(bracket.reason(), "signal");
  EXPECT_EQ(bracket.bracket().stop_order_id(), 3);
  EXPECT_EQ(bracket.bracket().target_order_id(), 4);
  EXPECT_EQ(bracket.initial_stop(), 18);
  EXPECT_EQ(sized.orders(2).id(), 5);
  EXPECT_EQ(sized.orders(2).side(), backtest::v1::SELL);
  EXPECT_EQ(sized.orders(2).quantity(), 5);
  // TARGET_QUANTITY 30 with order 2 working for 8 (order 1 cancelled):
  // 30 - 8 = 22 to buy.
  EXPECT_EQ(sized.orders(3).side(), backtest::v1::BUY);
  EXPECT_EQ(sized.orders(3).quantity(), 22);
  // TARGET_WEIGHT -0.1: trunc(-0.1 * 10000 / 50) = -20, 5 already being
  // shorted: sell 15 more.
  EXPECT_EQ(sized.orders(4).side(), backtest::v1::SELL);
  EXPECT_EQ(sized.orders(4).quantity(), 15);

  ASSERT_EQ(sized.amendments_size(), 2);
  EXPECT_EQ(sized.amendments(0).order_id(), 1);
  EXPECT_TRUE(sized.amendments(0).cancel());
  EXPECT_EQ(sized.amendments(1).order_id(), 2);
  EXPECT_EQ(sized.amendments(1).replacement().quantity(), 8);
  EXPECT_EQ(sized.amendments(1).replacement().bracket().stop_order_id(), 3);
  ASSERT_EQ(sized.rejections_size(), 1);
  EXPECT_EQ(sized.rejections(0).code(), "UNKNOWN_ORDER");
  EXPECT_EQ(sized.rejections(0).order_id(), 99);
  EXPECT_EQ(sized.rejections(0).message(),
            "CANCEL order 99 of ORCL: no such working order (filled, "
            "cancelled, expired or never placed for this symbol)");

  // The next view lists the working orders with what is left of them.
  const ApplyStepsResponse next =
      Apply(portfolio, 1, "2001-01-03", {{kOrcl, 20}});
  std::vector<std::pair<int64_t, double>> working;
  for (const backtest::v1::Order& order : next.views(0).working_orders()) {
    working.push_back({order.id(), order.quantity()});
  }
  EXPECT_EQ(working, (std::vector<std::pair<int64_t, double>>{
                         {2, 8}, {5, 5}, {6, 22}, {7, 15}}));
}

TEST(PortfolioTest, MalformedIntentFailsAsTheStrategysFault) {
  const std::unique_ptr<Portfolio> owned = MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 12.1}});
  Intent buy = MakeIntent(kOrcl, Intent::BUY, 10);
  buy.mutable_bracket()->set_stop_loss(12.5);
  SizeIntentsResponse response;
  const absl::Status status = portfolio.SizeIntents(
      SizeRequest(0, "2001-01-02", {MakeIntent(kOrcl, Intent::BUY, 1), buy}),
      &response);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "strategy");
  EXPECT_EQ(error.reason(), "INVALID_INTENT");
  EXPECT_EQ(error.bar_time(), "2001-01-02");
  EXPECT_EQ(status.message(),
            "intent 1 for ORCL: bracket.stop_loss 12.5 is above the close 12.1 "
            "of a BUY entry; a long's stop must be below");
  EXPECT_EQ(response.orders_size(), 0);
}

TEST(PortfolioTest, ShortingNeedsTheSpecAndAShortableSymbol) {
  backtest::v1::PortfolioSpec spec = Spec(10000, "all_in");
  const std::unique_ptr<Portfolio> cash_only = Make(spec);
  Apply(*cash_only, 0, "2001-01-02", {{kOrcl, 20}, {kNvda, 50}});
  EXPECT_EQ(Size(*cash_only, 0, "2001-01-02",
                 {MakeIntent(kOrcl, Intent::SHORT, 5)})
                .rejections(0)
                .code(),
            "SHORT_NOT_ALLOWED");

  spec = ShortingSpec(10000, 0);
  spec.mutable_shorting()->add_not_shortable("NVDA");
  const std::unique_ptr<Portfolio> shorting = Make(spec);
  Apply(*shorting, 0, "2001-01-02", {{kOrcl, 20}, {kNvda, 50}});
  const SizeIntentsResponse sized =
      Size(*shorting, 0, "2001-01-02",
           {MakeIntent(kNvda, Intent::SHORT, 5),
            MakeIntent(kOrcl, Intent::SHORT, 600),
            MakeIntent(kOrcl, Intent::SHORT, 400)});
  ASSERT_EQ(sized.rejections_size(), 2);
  EXPECT_EQ(sized.rejections(0).code(), "NOT_SHORTABLE");
  // A cash account's buying power is its cash, 10000: 600 * 20 = 12000 is
  // too much, 400 * 20 = 8000 is not.
  EXPECT_EQ(sized.rejections(1).code(), "INSUFFICIENT_BUYING_POWER");
  EXPECT_EQ(sized.rejections(1).message(),
            "SHORT 600 ORCL: opening 600 shares short at 20 needs 12000.00 of "
            "buying power, 10000.00 is left");
  ASSERT_EQ(sized.orders_size(), 1);
  EXPECT_EQ(sized.orders(0).quantity(), 400);
}

TEST(PortfolioTest, AShortTradeOverAWeekendByHand) {
  // borrow_rate 0.0365 a year = 0.0001 a calendar day.
  const std::unique_ptr<Portfolio> owned = Make(ShortingSpec(10000, 0.0365));
  Portfolio& portfolio = *owned;
  Apply(portfolio, 0, "2001-01-04", {{kOrcl, 50}});
  const SizeIntentsResponse opened = Size(
      portfolio, 0, "2001-01-04", {MakeIntent(kOrcl, Intent::SHORT, 100)});
  ASSERT_EQ(opened.orders_size(), 1);
  EXPECT_EQ(opened.orders(0).side(), backtest::v1::SELL);

  // Friday: sold short 100 at 50, commission 1, slippage 0.5.
  const ApplyStepsResponse friday = ApplyRun(
      portfolio, {StepBars(1, "2001-01-05", kOrcl, 50, 51, 48, 49)},
      {OrderFill(1, SellFill(kOrcl, "2001-01-05", 100, 50, 1),
                 backtest::v1::ORDER_ROLE_UNSPECIFIED, 0.5)});
  const backtest::v1::PortfolioView& view = friday.views(0);
  // Cash 10000 + 100 * 50 - 1 = 14999; the short is worth -100 * 49 = -4900.
  EXPECT_EQ(view.cash(), 14999);
  ASSERT_EQ(view.positions_size(), 1);
  EXPECT_EQ(view.positions(0).quantity(), -100);
  EXPECT_EQ(view.positions(0).market_value(), -4900);
  EXPECT_EQ(view.equity(), 10099);
  // Cash account: 14999 - |-4900| = 10099.
  EXPECT_EQ(view.buying_power(), 10099);
  EXPECT_NEAR(view.gross_exposure(), 4900.0 / 10099, 1e-15);
  EXPECT_NEAR(view.net_exposure(), -4900.0 / 10099, 1e-15);

  const SizeIntentsResponse covered = Size(
      portfolio, 1, "2001-01-05", {MakeIntent(kOrcl, Intent::COVER)});
  ASSERT_EQ(covered.orders_size(), 1);
  EXPECT_EQ(covered.orders(0).side(), backtest::v1::BUY);
  EXPECT_EQ(covered.orders(0).quantity(), 100);

  // Monday: 3 calendar days of borrow on 100 * 49 (Friday's close):
  // 4900 * 0.0001 * 3 = 1.47. Covered at 47, commission 1, slippage 0.25.
  const ApplyStepsResponse monday = ApplyRun(
      portfolio, {StepBars(2, "2001-01-08", kOrcl, 47, 48, 46, 46.5)},
      {OrderFill(2, BuyFill(kOrcl, "2001-01-08", 100, 47, 1),
                 backtest::v1::ORDER_ROLE_UNSPECIFIED, 0.25)});
  // 14999 - 1.47 - 4700 - 1 = 10296.53.
  EXPECT_NEAR(monday.views(0).cash(), 10296.53, 1e-9);
  EXPECT_NEAR(monday.views(0).equity(), 10296.53, 1e-9);
  ASSERT_EQ(monday.closed_trades_size(), 1);
  const Trade& trade = monday.closed_trades(0);
  EXPECT_EQ(trade.side(), backtest::v1::SELL);
  EXPECT_EQ(trade.entry_price(), 50);
  EXPECT_EQ(trade.exit_price(), 47);
  EXPECT_EQ(trade.quantity(), 100);
  EXPECT_EQ(trade.entry_time(), Day("2001-01-05"));
  EXPECT_EQ(trade.exit_time(), Day("2001-01-08"));
  // (50 - 47) * 100 = 300 gross; net 300 - 2 - 1.47 = 296.53.
  EXPECT_EQ(trade.gross_pnl(), 300);
  EXPECT_EQ(trade.commission(), 2);
  EXPECT_NEAR(trade.borrow_fees(), 1.47, 1e-12);
  EXPECT_NEAR(trade.net_pnl(), 296.53, 1e-9);
  EXPECT_EQ(trade.slippage(), 0.75);
  // Friday's bar: worst 50 - 51 = -1, best 50 - 48 = 2; the cover at 47 is
  // 3 in the short's favour.
  EXPECT_EQ(trade.mae(), -1);
  EXPECT_EQ(trade.mfe(), 3);
  EXPECT_EQ(trade.exit_reason(), "signal");
  EXPECT_FALSE(trade.has_r_multiple());
}

TEST(PortfolioTest, ATargetThroughZeroClosesTheTradeAndOpensAnother) {
  const std::unique_ptr<Portfolio> owned = Make(ShortingSpec(10000, 0));
  Portfolio& portfolio = *owned;
  Apply(portfolio, 0, "2001-01-02", {{kNvda, 21.5}},
        {SellFill(kNvda, "2001-01-02", 40, 21.5, 0)});
  Intent target = MakeIntent(kNvda, Intent::TARGET_QUANTITY);
  target.set_target(10);
  const SizeIntentsResponse sized = Size(portfolio, 0, "2001-01-02", {target});
  ASSERT_EQ(sized.orders_size(), 1);
  // From -40 to +10: buy 50.
  EXPECT_EQ(sized.orders(0).quantity(), 50);
  const ApplyStepsResponse applied =
      Apply(portfolio, 1, "2001-01-03", {{kNvda, 22}},
            {BuyFill(kNvda, "2001-01-03", 50, 21.9, 1)});
  ASSERT_EQ(applied.closed_trades_size(), 1);
  // The short of 40: (21.5 - 21.9) * 40 = -16; commission 1 * 40 / 50.
  EXPECT_NEAR(applied.closed_trades(0).gross_pnl(), -16, 1e-9);
  EXPECT_NEAR(applied.closed_trades(0).commission(), 0.8, 1e-12);
  ASSERT_EQ(applied.views(0).positions_size(), 1);
  EXPECT_EQ(applied.views(0).positions(0).quantity(), 10);
  EXPECT_EQ(applied.views(0).positions(0).average_price(), 21.9);
  backtest::v1::PortfolioEndResponse end;
  portfolio.End(&end);
  ASSERT_EQ(end.open_trades_size(), 1);
  EXPECT_NEAR(end.open_trades(0).commission(), 0.2, 1e-12);
  EXPECT_EQ(end.open_trades(0).entry_time(), Day("2001-01-03"));
}

// A reversal: CLOSE the short, then BUY, in one step. The BUY is an entry
// once the working exits take the short flat; without the CLOSE it is refused.
TEST(PortfolioTest, AnEntryAfterAnExitThatFlattensIsAReversal) {
  const std::unique_ptr<Portfolio> owned = Make(ShortingSpec(10000, 0));
  Portfolio& portfolio = *owned;
  Apply(portfolio, 0, "2001-01-02", {{kNvda, 20}},
        {SellFill(kNvda, "2001-01-02", 40, 20, 0)});
  const SizeIntentsResponse alone =
      Size(portfolio, 0, "2001-01-02", {MakeIntent(kNvda, Intent::BUY, 10)});
  ASSERT_EQ(alone.rejections_size(), 1);
  EXPECT_EQ(alone.rejections(0).code(), "POSITION_IS_SHORT");
  const SizeIntentsResponse reversal =
      Size(portfolio, 0, "2001-01-02",
           {MakeIntent(kNvda, Intent::CLOSE), MakeIntent(kNvda, Intent::BUY, 10)});
  EXPECT_EQ(reversal.rejections_size(), 0);
  ASSERT_EQ(reversal.orders_size(), 2);
  // Cover the 40 first, then buy 10: both buys at the next open, in order.
  EXPECT_EQ(reversal.orders(0).quantity(), 40);
  EXPECT_EQ(reversal.orders(1).quantity(), 10);
  const ApplyStepsResponse applied = Apply(
      portfolio, 1, "2001-01-03", {{kNvda, 21}},
      {[&] {
         Fill fill = BuyFill(kNvda, "2001-01-03", 40, 20.5, 0);
         fill.set_order_id(reversal.orders(0).id());
         return fill;
       }(),
       [&] {
         Fill fill = BuyFill(kNvda, "2001-01-03", 10, 20.5, 0);
         fill.set_order_id(reversal.orders(1).id());
         return fill;
       }()});
  ASSERT_EQ(applied.closed_trades_size(), 1);
  EXPECT_NEAR(applied.closed_trades(0).gross_pnl(), -20, 1e-9);  // 40 x -0.5
  ASSERT_EQ(applied.views(0).positions_size(), 1);
  EXPECT_EQ(applied.views(0).positions(0).quantity(), 10);
}

TEST(PortfolioTest, NeverShortingGivesTheSameResultsWithShortingOn) {
  const Scenario scenario = SixDays();
  backtest::v1::PortfolioSpec with_shorting = ShortingSpec(100000, 0.05);
  with_shorting.mutable_shorting()->add_not_shortable("ORCL");
  const auto [off, off_end] = RunInCalls(scenario, {2, 3, 1});
  const auto [on, on_end] = RunInCalls(scenario, {2, 3, 1}, with_shorting);
  EXPECT_TRUE(Same(on, off));
  EXPECT_TRUE(Same(on_end, off_end));
}

TEST(PortfolioTest, MarginBreachLiquidatesEveryPosition) {
  backtest::v1::PortfolioSpec spec = Spec(10000, "all_in");
  spec.mutable_account()->set_type("margin");
  spec.mutable_account()->set_initial_margin(0.5);
  spec.mutable_account()->set_maintenance_margin(0.25);
  const std::unique_ptr<Portfolio> owned = Make(spec);
  Portfolio& portfolio = *owned;
  // 150 at 100 on margin: cash 10000 - 15000 = -5000, equity 10000.
  const ApplyStepsResponse bought =
      Apply(portfolio, 0, "2001-01-02", {{kOrcl, 100}, {kNvda, 10}},
            {BuyFill(kOrcl, "2001-01-02", 150, 100, 0)});
  EXPECT_EQ(bought.views(0).equity(), 10000);
  // (10000 - 0.5 * 15000) / 0.5 = 5000.
  EXPECT_EQ(bought.views(0).buying_power(), 5000);
  Intent limit_sell = MakeIntent(kOrcl, Intent::SELL, 50);
  limit_sell.set_type(backtest::v1::LIMIT);
  limit_sell.set_limit_price(120);
  ASSERT_EQ(Size(portfolio, 0, "2001-01-02", {limit_sell}).orders_size(), 1);

  // At 40: equity -5000 + 6000 = 1000 < 0.25 * 6000 = 1500. The call stops
  // at that step although it was offered two.
  ApplyStepsResponse breach;
  ASSERT_TRUE(portfolio
                  .ApplySteps(RunOf({Step(1, "2001-01-03", {{kOrcl, 40}}),
                                     Step(2, "2001-01-04", {{kOrcl, 39}})}),
                              &breach)
                  .ok());
  ASSERT_EQ(breach.views_size(), 1);
  EXPECT_EQ(breach.views(0).equity(), 1000);
  EXPECT_EQ(breach.margin_call(),
            "margin call at 2001-01-03: equity 1000.00 is below the "
            "maintenance requirement 0.25 x gross position value 6000.00 = "
            "1500.00; every position is closed at its next open");

  const SizeIntentsResponse sized = Size(
      portfolio, 1, "2001-01-03", {MakeIntent(kNvda, Intent::BUY, 10)});
  ASSERT_EQ(sized.amendments_size(), 1);
  EXPECT_EQ(sized.amendments(0).order_id(), 1);
  EXPECT_TRUE(sized.amendments(0).cancel());
  ASSERT_EQ(sized.orders_size(), 1);
  const backtest::v1::Order& liquidation = sized.orders(0);
  EXPECT_EQ(liquidation.side(), backtest::v1::SELL);
  EXPECT_EQ(liquidation.quantity(), 150);
  EXPECT_EQ(liquidation.role(), backtest::v1::LIQUIDATION);
  EXPECT_EQ(liquidation.reason(), breach.margin_call());
  ASSERT_EQ(sized.rejections_size(), 1);
  EXPECT_EQ(sized.rejections(0).code(), "MARGIN_CALL");

  const ApplyStepsResponse sold = Apply(
      portfolio, 2, "2001-01-04", {{kOrcl, 39}},
      {OrderFill(liquidation.id(), SellFill(kOrcl, "2001-01-04", 150, 39, 0),
                 backtest::v1::LIQUIDATION)});
  EXPECT_EQ(sold.margin_call(), "");
  ASSERT_EQ(sold.closed_trades_size(), 1);
  EXPECT_EQ(sold.closed_trades(0).exit_reason(), "liquidation");
  // (39 - 100) * 150 = -9150; cash -5000 + 5850 = 850.
  EXPECT_EQ(sold.closed_trades(0).gross_pnl(), -9150);
  EXPECT_EQ(sold.views(0).cash(), 850);
  EXPECT_EQ(sold.views(0).working_orders_size(), 0);
}

TEST(PortfolioTest, RiskPerTradeAndVolatilityTargetNeedTheirInputs) {
  backtest::v1::PortfolioSpec risk = Spec(10000, "risk_per_trade");
  risk.mutable_sizing()->set_risk_fraction(0.01);
  const std::unique_ptr<Portfolio> by_risk = Make(risk);
  Apply(*by_risk, 0, "2001-01-02", {{kOrcl, 50}});
  Intent with_stop = MakeIntent(kOrcl, Intent::BUY);
  with_stop.mutable_bracket()->set_stop_loss(48);
  const SizeIntentsResponse risk_sized =
      Size(*by_risk, 0, "2001-01-02",
           {MakeIntent(kOrcl, Intent::BUY), with_stop});
  ASSERT_EQ(risk_sized.rejections_size(), 1);
  EXPECT_EQ(risk_sized.rejections(0).code(), "NO_INITIAL_STOP");
  // 0.01 * 10000 / |50 - 48| = 50 shares.
  ASSERT_EQ(risk_sized.orders_size(), 1);
  EXPECT_EQ(risk_sized.orders(0).quantity(), 50);

  backtest::v1::PortfolioSpec volatility = Spec(10000, "volatility_target");
  volatility.mutable_sizing()->set_target_volatility(0.5);
  volatility.mutable_sizing()->set_lookback(2);
  const std::unique_ptr<Portfolio> by_volatility = Make(volatility);
  Apply(*by_volatility, 0, "2001-01-02", {{kOrcl, 100}});
  Apply(*by_volatility, 1, "2001-01-03", {{kOrcl, 110}});
  const SizeIntentsResponse early = Size(*by_volatility, 1, "2001-01-03",
                                         {MakeIntent(kOrcl, Intent::BUY)});
  ASSERT_EQ(early.rejections_size(), 1);
  EXPECT_EQ(early.rejections(0).code(), "NOT_ENOUGH_HISTORY");
  EXPECT_EQ(early.rejections(0).message(),
            "BUY ORCL: volatility_target needs 2 returns (3 closes) of ORCL; "
            "2 seen so far");
  Apply(*by_volatility, 2, "2001-01-04", {{kOrcl, 99}});
  // Returns +0.1 and -0.1: sample deviation sqrt(0.02) = 0.141421, daily
  // bars: * sqrt(252) = 2.244994. 0.5 * 10000 / (2.244994 * 99) = 22.5 -> 22.
  const SizeIntentsResponse sized = Size(*by_volatility, 2, "2001-01-04",
                                         {MakeIntent(kOrcl, Intent::BUY)});
  ASSERT_EQ(sized.orders_size(), 1);
  EXPECT_EQ(sized.orders(0).quantity(), 22);
}

backtest::v1::PortfolioSpec CappedSpec(const std::string& on_breach) {
  backtest::v1::PortfolioSpec spec = Spec(10000, "all_in");
  spec.mutable_limits()->set_max_position_percent(0.2);
  spec.mutable_limits()->set_max_positions(1);
  spec.mutable_limits()->set_on_breach(on_breach);
  return spec;
}

TEST(PortfolioTest, CapsReduceRejectOrFail) {
  const std::vector<Intent> intents = {MakeIntent(kOrcl, Intent::BUY, 100),
                                       MakeIntent(kNvda, Intent::BUY, 1)};
  const std::unique_ptr<Portfolio> reduce = Make(CappedSpec(""));
  Apply(*reduce, 0, "2001-01-02", {{kOrcl, 50}, {kNvda, 10}});
  const SizeIntentsResponse reduced =
      Size(*reduce, 0, "2001-01-02", intents);
  // floor(0.2 * 10000 / 50) = 40 shares of ORCL at most.
  ASSERT_EQ(reduced.orders_size(), 1);
  EXPECT_EQ(reduced.orders(0).quantity(), 40);
  EXPECT_EQ(reduced.orders(0).original_quantity(), 40);
  EXPECT_EQ(reduced.orders(0).sizing_note(),
            "reduced from 100 to 40 by max_position_percent 0.2: |position| "
            "may be floor(0.2 * 10000.00 / 50) = 40 shares, 0 held or working");
  // ORCL being entered fills the one position allowed.
  ASSERT_EQ(reduced.rejections_size(), 1);
  EXPECT_EQ(reduced.rejections(0).code(), "MAX_POSITIONS");
  EXPECT_EQ(reduced.rejections(0).message(),
            "BUY 1 NVDA: nothing is left under max_positions 1: 1 symbols "
            "already held or being entered");

  const std::unique_ptr<Portfolio> reject = Make(CappedSpec("reject"));
  Apply(*reject, 0, "2001-01-02", {{kOrcl, 50}, {kNvda, 10}});
  const SizeIntentsResponse rejected =
      Size(*reject, 0, "2001-01-02", intents);
  ASSERT_EQ(rejected.rejections_size(), 1);
  EXPECT_EQ(rejected.rejections(0).code(), "MAX_POSITION_PERCENT");
  EXPECT_EQ(rejected.rejections(0).quantity(), 100);
  // With ORCL refused, NVDA is the one position.
  ASSERT_EQ(rejected.orders_size(), 1);
  EXPECT_EQ(rejected.orders(0).symbol(), kNvda);

  const std::unique_ptr<Portfolio> fail = Make(CappedSpec("fail"));
  Apply(*fail, 0, "2001-01-02", {{kOrcl, 50}, {kNvda, 10}});
  SizeIntentsResponse response;
  const absl::Status status = fail->SizeIntents(
      SizeRequest(0, "2001-01-02", intents), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "portfolio");
  EXPECT_EQ(error.reason(), "MAX_POSITION_PERCENT");
  EXPECT_EQ(error.symbol(), "ORCL");
  EXPECT_EQ(status.message(),
            "BUY 100 ORCL at 2001-01-02 breaks max_position_percent 0.2: "
            "|position| may be floor(0.2 * 10000.00 / 50) = 40 shares, 0 held "
            "or working");
}

TEST(PortfolioTest, BracketTradeMaeMfeAndRByHand) {
  const std::unique_ptr<Portfolio> owned = MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 10}});
  Intent entry = MakeIntent(kOrcl, Intent::BUY, 100);
  entry.mutable_bracket()->set_stop_loss(9);
  entry.mutable_bracket()->set_take_profit(12);
  ASSERT_EQ(Size(portfolio, 0, "2001-01-02", {entry}).orders(0).id(), 1);

  // The entry fills at 10; its stop (2) and target (3) start working.
  backtest::v1::Order stop;
  stop.set_symbol(kOrcl);
  stop.set_side(backtest::v1::SELL);
  stop.set_quantity(100);
  stop.set_type(backtest::v1::STOP);
  stop.set_stop_price(9);
  stop.set_role(backtest::v1::STOP_LOSS);
  stop.set_oco_order_id(3);
  backtest::v1::Order target = stop;
  target.set_type(backtest::v1::LIMIT);
  target.set_limit_price(12);
  target.set_role(backtest::v1::TAKE_PROFIT);
  target.set_oco_order_id(2);
  const ApplyStepsResponse entered = ApplyRun(
      portfolio, {StepBars(1, "2001-01-03", kOrcl, 10, 10.5, 9.6, 10.2)},
      {OrderFill(1, BuyFill(kOrcl, "2001-01-03", 100, 10, 0))},
      {Event(2, OrderEvent::ACTIVATED, "2001-01-03", stop),
       Event(3, OrderEvent::ACTIVATED, "2001-01-03", target)});
  ASSERT_EQ(entered.views(0).working_orders_size(), 2);
  // The OCO pair holds the 100 shares once: nothing is left to close.
  const SizeIntentsResponse close = Size(portfolio, 1, "2001-01-03",
                                         {MakeIntent(kOrcl, Intent::CLOSE)});
  ASSERT_EQ(close.rejections_size(), 1);
  EXPECT_EQ(close.rejections(0).message(),
            "CLOSE ORCL: no position left to sell (held 100, 100 already being "
            "sold)");

  const ApplyStepsResponse exited = ApplyRun(
      portfolio,
      {StepBars(2, "2001-01-04", kOrcl, 10.2, 11.2, 9.8, 11),
       StepBars(3, "2001-01-05", kOrcl, 11.5, 12.5, 11, 12.2)},
      {OrderFill(3, SellFill(kOrcl, "2001-01-05", 100, 12, 0),
                 backtest::v1::TAKE_PROFIT)},
      {Event(2, OrderEvent::OCO_CANCELLED, "2001-01-05")});
  ASSERT_EQ(exited.closed_trades_size(), 1);
  const Trade& trade = exited.closed_trades(0);
  EXPECT_EQ(trade.exit_reason(), "target");
  EXPECT_EQ(trade.initial_stop(), 9);
  // (12 - 10) * 100 = 200 = 2R with R = 100 * |10 - 9|.
  EXPECT_EQ(trade.gross_pnl(), 200);
  ASSERT_TRUE(trade.has_r_multiple());
  EXPECT_EQ(trade.r_multiple(), 2);
  // Lows 9.6 and 9.8 below the entry at 10: the worst is 9.6 - 10; highs
  // 10.5 and 11.2, and the exit at 12: the best is 12 - 10.
  EXPECT_NEAR(trade.mae(), -0.4, 1e-12);
  EXPECT_EQ(trade.mfe(), 2);
  EXPECT_EQ(exited.views(1).working_orders_size(), 0);
}

TEST(PortfolioTest, ATargetTowardsFlatLeavesSharesHeldByWorkingExits) {
  const std::unique_ptr<Portfolio> owned = MakePortfolio(10000, "all_in");
  Portfolio& portfolio = *owned;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 10}},
        {BuyFill(kOrcl, "2001-01-02", 100, 10, 0)});
  Intent stop = MakeIntent(kOrcl, Intent::SELL, 60);
  stop.set_type(backtest::v1::STOP);
  stop.set_stop_price(9);
  stop.set_role(backtest::v1::STOP_LOSS);
  Intent flat = MakeIntent(kOrcl, Intent::TARGET_QUANTITY);
  flat.set_target(0);
  const SizeIntentsResponse sized =
      Size(portfolio, 0, "2001-01-02", {stop, flat, flat});
  // The protective stop holds 60 of the 100: the target sells the other 40,
  // and a second target finds nothing left.
  ASSERT_EQ(sized.orders_size(), 2);
  EXPECT_EQ(sized.orders(1).quantity(), 40);
  ASSERT_EQ(sized.rejections_size(), 1);
  EXPECT_EQ(sized.rejections(0).code(), "NO_POSITION");
}

TEST(PortfolioTest, CloseAtEndClosesLongsAndShortsAtTheLastClose) {
  backtest::v1::PortfolioSpec spec = ShortingSpec(10000, 0);
  spec.set_close_at_end(true);
  const std::unique_ptr<Portfolio> owned = Make(spec);
  Portfolio& portfolio = *owned;
  Apply(portfolio, 0, "2001-01-02", {{kOrcl, 20}, {kNvda, 50}},
        {BuyFill(kOrcl, "2001-01-02", 10, 20, 0),
         SellFill(kNvda, "2001-01-02", 5, 50, 0)});
  Apply(portfolio, 1, "2001-01-03", {{kOrcl, 22}, {kNvda, 45}});
  backtest::v1::PortfolioEndResponse end;
  portfolio.End(&end);
  EXPECT_EQ(end.open_trades_size(), 0);
  ASSERT_EQ(end.closed_at_end_size(), 2);
  EXPECT_EQ(end.closed_at_end(0).symbol(), "ORCL");
  EXPECT_EQ(end.closed_at_end(0).gross_pnl(), 20);  // (22 - 20) * 10
  EXPECT_EQ(end.closed_at_end(1).gross_pnl(), 25);  // (50 - 45) * 5
  EXPECT_EQ(end.closed_at_end(1).side(), backtest::v1::SELL);
  for (const Trade& trade : end.closed_at_end()) {
    EXPECT_EQ(trade.exit_reason(), "end_of_data");
    EXPECT_EQ(trade.exit_time(), Day("2001-01-03"));
    EXPECT_EQ(trade.commission(), 0);
  }
  // 10000 - 200 + 250 = 10050, then + 220 - 225 = 10045, all in cash.
  EXPECT_EQ(end.view().cash(), 10045);
  EXPECT_EQ(end.view().equity(), 10045);
  EXPECT_EQ(end.view().positions_size(), 0);
}

// Shorts with borrow fees, a stop that starts working and is cancelled, a
// fill through zero and a scale-out, so that every piece of new state must
// come back right after a cut.
Scenario LongsAndShorts() {
  backtest::v1::Order stop;
  stop.set_symbol(kOrcl);
  stop.set_side(backtest::v1::SELL);
  stop.set_quantity(1000);
  stop.set_type(backtest::v1::STOP);
  stop.set_stop_price(3.5);
  stop.set_role(backtest::v1::STOP_LOSS);
  Scenario s;
  s.steps = {StepBars(0, "2001-01-02", kOrcl, 3.9, 4, 3.8, 3.875),
             StepBars(1, "2001-01-03", kNvda, 21.4, 21.8, 21.1, 21.3),
             Step(2, "2001-01-04", {{kOrcl, 4.1}, {kNvda, 22.07}}),
             Step(3, "2001-01-05", {{kOrcl, 4.3}, {kNvda, 21.9}}),
             StepBars(4, "2001-01-08", kNvda, 22.9, 23.4, 22.5, 23.01),
             Step(5, "2001-01-09", {{kOrcl, 4.42}, {kNvda, 23.3}})};
  s.fills = {{BuyFill(kOrcl, "2001-01-02", 2551, 3.9, 1.2345)},
             {SellFill(kNvda, "2001-01-03", 37, 21.5, 0.79)},
             {},
             {SellFill(kOrcl, "2001-01-05", 1000, 4.31, 0.43),
              BuyFill(kNvda, "2001-01-05", 50, 21.9, 1)},
             {},
             {SellFill(kOrcl, "2001-01-09", 1551, 4.41, 0.69),
              SellFill(kNvda, "2001-01-09", 13, 23.3, 0.2)}};
  s.events = {{},
              {},
              {Event(7, OrderEvent::ACTIVATED, "2001-01-04", stop)},
              {Event(7, OrderEvent::CANCELLED, "2001-01-05")}};
  return s;
}

TEST(PortfolioTest, AnyCutEqualsOneStepPerCall) {
  const Scenario scenario = LongsAndShorts();
  const backtest::v1::PortfolioSpec spec = ShortingSpec(100000, 0.05);
  const auto [one_by_one, one_by_one_end] =
      RunInCalls(scenario, {1, 1, 1, 1, 1, 1}, spec);
  ASSERT_EQ(one_by_one.closed_trades_size(), 3);
  EXPECT_GT(one_by_one.closed_trades(0).borrow_fees(), 0);
  EXPECT_EQ(one_by_one.views(2).working_orders_size(), 1);
  EXPECT_EQ(one_by_one.views(3).working_orders_size(), 0);

  // All six steps in one call, cut after step `cut` by the next call, which
  // sends the rest again.
  for (int cut = 0; cut < 5; ++cut) {
    const std::unique_ptr<Portfolio> owned = Make(spec);
    ApplyPart(*owned, scenario, 0, 6);
    const ApplyStepsResponse rest = ApplyPart(*owned, scenario, cut + 1, 6);
    backtest::v1::PortfolioEndResponse end;
    owned->End(&end);
    for (int i = 0; i < rest.views_size(); ++i) {
      EXPECT_TRUE(Same(rest.views(i), one_by_one.views(cut + 1 + i)))
          << "cut after " << cut << ", view " << cut + 1 + i;
    }
    EXPECT_TRUE(Same(end, one_by_one_end)) << "cut after " << cut;
  }
}

TEST(PortfolioTest, CreateListsEveryProblemWithItsField) {
  backtest::v1::PortfolioSpec spec;
  spec.mutable_sizing()->set_rule("risk_per_trade");
  spec.mutable_limits()->set_on_breach("shrug");
  spec.mutable_account()->set_type("margin");
  spec.mutable_account()->set_maintenance_margin(0.6);  // above 0.5
  spec.mutable_shorting()->set_borrow_rate(-1);
  (*spec.mutable_shorting()->mutable_borrow_rates())["XYZ"] = 0.1;
  spec.mutable_shorting()->add_not_shortable("ABC");
  std::vector<FieldProblem> problems;
  EXPECT_EQ(Portfolio::Create(spec, {"ORCL", "NVDA"}, &problems), nullptr);
  std::vector<std::string> fields;
  for (const FieldProblem& problem : problems) fields.push_back(problem.field);
  EXPECT_EQ(fields, (std::vector<std::string>{
                        "portfolio.initial_cash",
                        "portfolio.sizing.risk_fraction",
                        "portfolio.limits.on_breach",
                        "portfolio.account.maintenance_margin",
                        "portfolio.shorting.borrow_rate",
                        "portfolio.shorting.borrow_rates.XYZ",
                        "portfolio.shorting.not_shortable[0]"}));
  EXPECT_EQ(problems[3].description,
            "must be a fraction in (0, initial_margin 0.5], got 0.6");
}

// Issue 15: 1e308 made infinite equity; amounts are bounded.
TEST(PortfolioTest, InitialCashIsBounded) {
  backtest::v1::PortfolioSpec spec;
  spec.set_initial_cash(1e308);
  std::vector<FieldProblem> problems;
  EXPECT_EQ(Portfolio::Create(spec, {"ORCL"}, &problems), nullptr);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "portfolio.initial_cash");
  EXPECT_EQ(problems[0].description,
            "must be an amount in (0, 1e12], got 1e+308");
}

}  // namespace
}  // namespace seed::portfolio
