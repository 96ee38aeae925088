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
                        std::vector<Fill> fills = {}) {
  ApplyStepsRequest request;
  for (TimeStep& step : steps) *request.add_steps() = std::move(step);
  for (Fill& fill : fills) *request.add_fills() = std::move(fill);
  return request;
}

// Applies a run of steps, expecting success.
ApplyStepsResponse ApplyRun(Portfolio& portfolio, std::vector<TimeStep> steps,
                            std::vector<Fill> fills = {}) {
  ApplyStepsResponse response;
  const absl::Status status = portfolio.ApplySteps(
      RunOf(std::move(steps), std::move(fills)), &response);
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
  for (int i = begin; i < end; ++i) {
    steps.push_back(scenario.steps[i]);
    fills.insert(fills.end(), scenario.fills[i].begin(),
                 scenario.fills[i].end());
  }
  return ApplyRun(portfolio, std::move(steps), std::move(fills));
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
    const Scenario& scenario, const std::vector<int>& sizes) {
  const std::unique_ptr<Portfolio> owned_portfolio =
      MakePortfolio(100000, "all_in");
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
  // 10000 - 1050 = 8950, close 12. CLOSE sells the 100; BUY gets
  // floor(8950 / 12) = floor(745.8) = 745.
  ASSERT_EQ(sized.orders_size(), 2);
  EXPECT_EQ(sized.orders(0).side(), backtest::v1::SELL);
  EXPECT_EQ(sized.orders(0).quantity(), 100);
  EXPECT_EQ(sized.orders(0).reference_price(), 12);
  EXPECT_EQ(sized.orders(1).quantity(), 745);
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

}  // namespace
}  // namespace seed::portfolio
