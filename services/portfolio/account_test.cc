#include "services/portfolio/account.h"

#include <string>
#include <utility>
#include <vector>

#include "common/stage_error.h"
#include "common/time.h"
#include "gtest/gtest.h"

namespace seed::portfolio {
namespace {

using backtest::v1::ApplyStepsRequest;
using backtest::v1::ApplyStepsResponse;
using backtest::v1::Fill;
using backtest::v1::Intent;
using backtest::v1::PortfolioStartRequest;
using backtest::v1::SizeIntentsRequest;
using backtest::v1::SizeIntentsResponse;
using backtest::v1::TimeStep;

constexpr int kOrcl = 0;
constexpr int kNvda = 1;

int64_t Day(absl::string_view date) { return *ParseTime(date); }

// 100,000 split into sleeves {id, allocation}, each buying `shares` shares
// per entry (fixed_quantity).
PortfolioStartRequest Start(
    std::vector<std::pair<std::string, double>> sleeves, double shares = 100) {
  PortfolioStartRequest request;
  request.set_run_id("r");
  request.add_symbols("ORCL");
  request.add_symbols("NVDA");
  request.mutable_portfolio()->set_initial_cash(100000);
  request.mutable_portfolio()->mutable_sizing()->set_rule("fixed_quantity");
  request.mutable_portfolio()->mutable_sizing()->set_quantity(shares);
  for (const auto& [id, allocation] : sleeves) {
    backtest::v1::StrategySleeve* sleeve = request.add_sleeves();
    sleeve->set_id(id);
    sleeve->set_allocation(allocation);
  }
  return request;
}

std::unique_ptr<Account> Make(const PortfolioStartRequest& request) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<Account> account = Account::Create(request, &problems);
  EXPECT_TRUE(problems.empty()) << problems[0].field << ": "
                                << problems[0].description;
  return account;
}

TimeStep Step(int64_t index, absl::string_view date, double orcl,
              double nvda) {
  TimeStep step;
  step.set_index(index);
  step.set_time(Day(date));
  for (const auto& [symbol, close] : {std::pair{kOrcl, orcl}, {kNvda, nvda}}) {
    backtest::v1::Bar* bar = step.add_bars();
    bar->set_symbol(symbol);
    bar->set_open(close);
    bar->set_high(close);
    bar->set_low(close);
    bar->set_close(close);
  }
  return step;
}

Intent Buy(int strategy, int symbol) {
  Intent intent;
  intent.set_strategy(strategy);
  intent.set_symbol(symbol);
  intent.set_action(Intent::BUY);
  return intent;
}

Fill FillOf(const backtest::v1::Order& order, absl::string_view date,
            double price) {
  Fill fill;
  fill.set_order_id(order.id());
  fill.set_strategy(order.strategy());
  fill.set_symbol(order.symbol());
  fill.set_side(order.side());
  fill.set_time(Day(date));
  fill.set_quantity(order.quantity());
  fill.set_price(price);
  fill.set_reason("signal");
  return fill;
}

ApplyStepsResponse Apply(Account& account, TimeStep step,
                         std::vector<Fill> fills = {}) {
  ApplyStepsRequest request;
  request.set_run_id("r");
  *request.add_steps() = std::move(step);
  for (Fill& fill : fills) *request.add_fills() = std::move(fill);
  ApplyStepsResponse response;
  const absl::Status status = account.ApplySteps(request, &response);
  EXPECT_TRUE(status.ok()) << status;
  return response;
}

SizeIntentsResponse Size(Account& account, int64_t index,
                         absl::string_view date, std::vector<Intent> intents) {
  SizeIntentsRequest request;
  request.set_run_id("r");
  request.set_step_index(index);
  request.set_time(Day(date));
  for (Intent& intent : intents) *request.add_intents() = std::move(intent);
  SizeIntentsResponse response;
  const absl::Status status = account.SizeIntents(request, &response);
  EXPECT_TRUE(status.ok()) << status;
  return response;
}

TEST(AccountTest, SleevesKeepTheirOwnCashPositionsAndTrades) {
  std::unique_ptr<Account> account =
      Make(Start({{"fast", 0.6}, {"slow", 0.4}}));
  ApplyStepsResponse applied = Apply(*account, Step(0, "2020-01-02", 100, 50));
  ASSERT_EQ(applied.views_size(), 1);
  EXPECT_DOUBLE_EQ(applied.views(0).equity(), 100000);
  ASSERT_EQ(applied.views(0).strategies_size(), 2);
  EXPECT_DOUBLE_EQ(applied.views(0).strategies(0).cash(), 60000);
  EXPECT_DOUBLE_EQ(applied.views(0).strategies(1).cash(), 40000);

  // Both buy 100 ORCL; ids interleave: sleeve 0 gets 1, 3, ...; sleeve 1 2,...
  SizeIntentsResponse sized =
      Size(*account, 0, "2020-01-02", {Buy(1, kOrcl), Buy(0, kOrcl)});
  ASSERT_EQ(sized.orders_size(), 2);
  EXPECT_EQ(sized.orders(0).id(), 1);
  EXPECT_EQ(sized.orders(0).strategy(), 0);
  EXPECT_EQ(sized.orders(1).id(), 2);
  EXPECT_EQ(sized.orders(1).strategy(), 1);

  // Filled at 101, closed at 102: fast 60000 - 10100 = 49900 cash and
  // 49900 + 10200 = 60100 equity; slow 29900 and 40100; the account
  // 200 shares at an average 101 and 100200 equity.
  applied = Apply(*account, Step(1, "2020-01-03", 102, 50),
                  {FillOf(sized.orders(0), "2020-01-03", 101),
                   FillOf(sized.orders(1), "2020-01-03", 101)});
  const backtest::v1::PortfolioView& view = applied.views(0);
  EXPECT_DOUBLE_EQ(view.strategies(0).cash(), 49900);
  EXPECT_DOUBLE_EQ(view.strategies(0).equity(), 60100);
  EXPECT_DOUBLE_EQ(view.strategies(1).cash(), 29900);
  EXPECT_DOUBLE_EQ(view.strategies(1).equity(), 40100);
  EXPECT_DOUBLE_EQ(view.cash(), 79800);
  EXPECT_DOUBLE_EQ(view.equity(), 100200);
  ASSERT_EQ(view.positions_size(), 1);
  EXPECT_DOUBLE_EQ(view.positions(0).quantity(), 200);
  EXPECT_DOUBLE_EQ(view.positions(0).average_price(), 101);
  EXPECT_DOUBLE_EQ(view.gross_exposure(), 20400 / 100200.0);

  // Only "slow" sells: its trade closes (+100 * (103 - 101) = 200) and
  // names it; "fast" still holds its 100.
  Intent sell;
  sell.set_strategy(1);
  sell.set_symbol(kOrcl);
  sell.set_action(Intent::SELL);
  sized = Size(*account, 1, "2020-01-03", {sell});
  ASSERT_EQ(sized.orders_size(), 1);
  EXPECT_EQ(sized.orders(0).id(), 4);
  applied = Apply(*account, Step(2, "2020-01-06", 103, 50),
                  {FillOf(sized.orders(0), "2020-01-06", 103)});
  ASSERT_EQ(applied.closed_trades_size(), 1);
  EXPECT_EQ(applied.closed_trades(0).strategy(), "slow");
  EXPECT_DOUBLE_EQ(applied.closed_trades(0).net_pnl(), 200);
  EXPECT_DOUBLE_EQ(applied.views(0).strategies(1).cash(), 40200);
  ASSERT_EQ(applied.views(0).strategies(0).positions_size(), 1);
  EXPECT_TRUE(applied.views(0).strategies(1).positions().empty());

  backtest::v1::PortfolioEndResponse end;
  account->End(&end);
  ASSERT_EQ(end.open_trades_size(), 1);
  EXPECT_EQ(end.open_trades(0).strategy(), "fast");
  // fast 49900 + 100 * 103; slow 40200.
  EXPECT_DOUBLE_EQ(end.view().equity(), 60200 + 40200);
}

TEST(AccountTest, UnallocatedCashStaysInTheAccount) {
  std::unique_ptr<Account> account =
      Make(Start({{"a", 0.5}, {"b", 0.3}}));
  const ApplyStepsResponse applied =
      Apply(*account, Step(0, "2020-01-02", 100, 50));
  // 50000 + 30000 in the sleeves, 20000 unallocated.
  EXPECT_DOUBLE_EQ(applied.views(0).cash(), 100000);
  EXPECT_DOUBLE_EQ(applied.views(0).equity(), 100000);
  // Buying power is what the sleeves may spend: not the idle 20000.
  EXPECT_DOUBLE_EQ(applied.views(0).buying_power(), 80000);
}

TEST(AccountTest, CapsCountEverySleeve) {
  PortfolioStartRequest request = Start({{"a", 0.5}, {"b", 0.5}});
  request.mutable_portfolio()->mutable_limits()->set_max_positions(1);
  std::unique_ptr<Account> account = Make(request);
  Apply(*account, Step(0, "2020-01-02", 100, 50));
  // Sleeve a takes ORCL first; b's NVDA would be the account's second
  // symbol, though b itself holds nothing.
  const SizeIntentsResponse sized =
      Size(*account, 0, "2020-01-02", {Buy(0, kOrcl), Buy(1, kNvda)});
  ASSERT_EQ(sized.orders_size(), 1);
  EXPECT_EQ(sized.orders(0).symbol(), kOrcl);
  ASSERT_EQ(sized.rejections_size(), 1);
  EXPECT_EQ(sized.rejections(0).code(), "MAX_POSITIONS");
  EXPECT_EQ(sized.rejections(0).strategy(), 1);
}

TEST(AccountTest, CapsUseTheAccountsEquity) {
  // max_position_percent 0.15 of the account's 100000 at 100: 150 shares
  // across both sleeves. a asks 100 and gets them; b asks 100 and gets 50.
  PortfolioStartRequest request = Start({{"a", 0.5}, {"b", 0.5}});
  request.mutable_portfolio()->mutable_limits()->set_max_position_percent(
      0.15);
  std::unique_ptr<Account> account = Make(request);
  Apply(*account, Step(0, "2020-01-02", 100, 50));
  const SizeIntentsResponse sized =
      Size(*account, 0, "2020-01-02", {Buy(0, kOrcl), Buy(1, kOrcl)});
  ASSERT_EQ(sized.orders_size(), 2);
  EXPECT_DOUBLE_EQ(sized.orders(0).quantity(), 100);
  EXPECT_DOUBLE_EQ(sized.orders(1).quantity(), 50);
  EXPECT_NE(sized.orders(1).sizing_note().find("max_position_percent"),
            std::string::npos)
      << sized.orders(1).sizing_note();
}

TEST(AccountTest, AnIntentOfNoSleeveIsRefused) {
  std::unique_ptr<Account> account = Make(Start({{"a", 0.5}, {"b", 0.5}}));
  Apply(*account, Step(0, "2020-01-02", 100, 50));
  SizeIntentsRequest request;
  request.set_run_id("r");
  request.set_time(Day("2020-01-02"));
  *request.add_intents() = Buy(2, kOrcl);
  SizeIntentsResponse response;
  const absl::Status status = account->SizeIntents(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("names strategy 2; the run has 2"),
            std::string::npos)
      << status;
  EXPECT_EQ(ToStageError(status, "").bar_time(), "2020-01-02");
}

TEST(AccountTest, SleevesAreChecked) {
  std::vector<FieldProblem> problems;
  EXPECT_EQ(Account::Create(Start({{"a", 0.7}, {"a", 0.4}}), &problems),
            nullptr);
  ASSERT_EQ(problems.size(), 2);
  EXPECT_EQ(problems[0].field, "strategies[1].id");
  EXPECT_EQ(problems[1].field, "strategies");
  problems.clear();
  EXPECT_EQ(Account::Create(Start({{"", 0}}), &problems), nullptr);
  ASSERT_EQ(problems.size(), 2);
  EXPECT_EQ(problems[0].field, "strategies[0].id");
  EXPECT_EQ(problems[1].field, "strategies[0].allocation");
}

TEST(AccountTest, ARunOfOneIsThePortfolioItself) {
  std::unique_ptr<Account> account = Make(Start({}));
  const ApplyStepsResponse applied =
      Apply(*account, Step(0, "2020-01-02", 100, 50));
  EXPECT_DOUBLE_EQ(applied.views(0).cash(), 100000);
  EXPECT_TRUE(applied.views(0).strategies().empty());
  const SizeIntentsResponse sized =
      Size(*account, 0, "2020-01-02", {Buy(0, kOrcl)});
  ASSERT_EQ(sized.orders_size(), 1);
  EXPECT_EQ(sized.orders(0).id(), 1);
}

}  // namespace
}  // namespace seed::portfolio
