// Accounting invariants checked on many seeded random runs (issue 4): a
// strategy that places random intents of every kind (market, limit, stop,
// stop-limit, trailing, brackets, shorts, targets, cancels, modifies) trades
// synthetic markets under random account, cost and participation settings,
// and after every run:
//   - cash + market value = equity at every step (the views the strategy saw);
//   - positions change only through fills: the views' positions equal the
//     positions rebuilt from the recorded fills;
//   - every fill price lies within its bar's [low, high];
//   - commissions, slippage and borrow fees are never negative, and the cash
//     a step's fills move is exactly their trade value less their commission,
//     less nothing but (non-negative) fees;
//   - the sum of the trades' net P&L equals the change in equity;
//   - in a cash account, cash is never below zero after a step at which a
//     buy opened or added to a long (half the runs size entries at 99% of
//     equity and reverse positions, a cover then an entry at one open, so a
//     gap against the short is met often);
//   - one step per stage call gives the same records as the default runs of
//     steps (the stages' tentative steps roll back exactly).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/forwarding_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/data/dataset_store.h"
#include "services/data/synthetic_market.h"
#include "tests/scripted_strategy.h"
#include "tests/stored_run.h"

namespace seed::coordinator {
namespace {

constexpr int kSymbols = 4;
constexpr int kTradingDays = 160;
constexpr int kRuns = 60;
constexpr int kSeveralRuns = 16;
constexpr double kInitialCash = 100000;

// A deterministic number in [0, 1) from (seed, step, draw): the strategy's
// choices depend only on what step it is at, never on how the coordinator
// chunked the steps before it.
double Uniform(uint64_t seed, int64_t step, uint64_t draw) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull ^
               static_cast<uint64_t>(step) * 0xBF58476D1CE4E5B9ull ^
               draw * 0x94D049BB133111EBull;
  x ^= x >> 31;
  x *= 0xD6E8FEB86659FD93ull;
  x ^= x >> 29;
  return static_cast<double>(x >> 11) / 9007199254740992.0;
}

// Places random intents of every kind at about a fifth of the steps.
class RandomStrategy : public testing::ScriptedStrategy {
 public:
  explicit RandomStrategy(uint64_t seed) : seed_(seed) {}

 protected:
  void OnStep(
      const v1::TimeStep& step, const v1::PortfolioView& view,
      google::protobuf::RepeatedPtrField<v1::Intent>* intents) override {
    if (step.bars_size() == 0 || Uniform(Seed(), step.index(), 0) > 0.2) return;
    const int count =
        1 + static_cast<int>(Uniform(Seed(), step.index(), 1) * 3);
    for (int k = 0; k < count; ++k) {
      AddIntent(step, view, 10 + 10 * k, intents);
    }
  }

 private:
  void AddIntent(
      const v1::TimeStep& step, const v1::PortfolioView& view, uint64_t draw,
      google::protobuf::RepeatedPtrField<v1::Intent>* intents) const {
    const auto u = [&](uint64_t offset) {
      return Uniform(Seed(), step.index(), draw + offset);
    };
    const v1::Bar& bar = step.bars(static_cast<int>(u(0) * step.bars_size()));
    const double close = bar.close();
    v1::Intent intent;
    intent.set_symbol(bar.symbol());
    intent.set_reason("random");
    switch (static_cast<int>(u(1) * 12)) {
      case 0:
        intent.set_action(v1::Intent::BUY);
        intent.set_type(v1::MARKET);
        break;
      case 1:
        intent.set_action(v1::Intent::SHORT);
        intent.set_type(v1::MARKET);
        break;
      case 2:
        intent.set_action(v1::Intent::CLOSE);
        intent.set_type(v1::MARKET);
        break;
      case 3:
        intent.set_action(v1::Intent::BUY);
        intent.set_type(v1::LIMIT);
        intent.set_limit_price(close * (1 - 0.03 * u(2)));
        break;
      case 4:
        intent.set_action(v1::Intent::BUY);
        intent.set_type(v1::STOP);
        intent.set_stop_price(close * (1 + 0.03 * u(2)));
        break;
      case 5:
        intent.set_action(v1::Intent::SHORT);
        intent.set_type(v1::STOP_LIMIT);
        intent.set_stop_price(close * (1 - 0.02 * u(2)));
        intent.set_limit_price(intent.stop_price() * 0.99);
        break;
      case 6:
        intent.set_action(v1::Intent::BUY);
        intent.set_type(v1::MARKET);
        intent.mutable_bracket()->set_stop_loss(close *
                                                (1 - 0.01 - 0.04 * u(2)));
        intent.mutable_bracket()->set_take_profit_r(1 + 2 * u(3));
        break;
      case 7:
        intent.set_action(v1::Intent::SHORT);
        intent.set_type(v1::MARKET);
        intent.mutable_bracket()->set_stop_loss(close *
                                                (1 + 0.01 + 0.04 * u(2)));
        intent.mutable_bracket()->set_take_profit(close *
                                                  (1 - 0.05 * u(3) - 0.005));
        break;
      case 8:
        intent.set_action(v1::Intent::TARGET_WEIGHT);
        intent.set_type(v1::MARKET);
        intent.set_target(0.4 * u(2) - 0.2);
        break;
      case 9: {
        // A protective trailing stop for a held position, if any.
        for (const v1::Position& position : view.positions()) {
          if (position.symbol() != bar.symbol()) continue;
          intent.set_action(position.quantity() > 0 ? v1::Intent::SELL
                                                    : v1::Intent::COVER);
          intent.set_type(v1::TRAILING_STOP);
          intent.mutable_trail()->set_percent(0.02 + 0.05 * u(2));
        }
        if (intent.action() == v1::Intent::ACTION_UNSPECIFIED) return;
        break;
      }
      case 10: {
        // A reversal: the position's exit, then an entry the other way, both
        // at the next open (flat: an entry either way).
        double held = 0;
        for (const v1::Position& position : view.positions()) {
          if (position.symbol() == bar.symbol()) held = position.quantity();
        }
        if (held != 0) {
          v1::Intent* exit = intents->Add();
          exit->set_symbol(bar.symbol());
          exit->set_reason("random reversal");
          exit->set_action(v1::Intent::CLOSE);
          exit->set_type(v1::MARKET);
        }
        const bool up = held != 0 ? held < 0 : u(2) < 0.5;
        intent.set_action(up ? v1::Intent::BUY : v1::Intent::SHORT);
        intent.set_type(v1::MARKET);
        break;
      }
      default: {
        if (view.working_orders_size() == 0) return;
        const v1::Order& order = view.working_orders(
            static_cast<int>(u(2) * view.working_orders_size()));
        intent.set_symbol(order.symbol());
        intent.set_order_id(order.id());
        if (order.type() == v1::LIMIT && u(3) < 0.5) {
          intent.set_action(v1::Intent::MODIFY);
          intent.set_limit_price(order.limit_price() *
                                 (order.side() == v1::BUY ? 0.99 : 1.01));
        } else {
          intent.set_action(v1::Intent::CANCEL);
        }
        break;
      }
    }
    if (intent.type() != v1::MARKET && intent.action() != v1::Intent::CANCEL &&
        intent.action() != v1::Intent::MODIFY) {
      const double tif = u(5);
      if (tif < 0.3) {
        intent.set_time_in_force(v1::DAY);
      } else if (tif < 0.6) {
        intent.set_time_in_force(v1::BARS);
        intent.set_tif_bars(1 + static_cast<int>(u(6) * 5));
      }
    }
    *intents->Add() = std::move(intent);
  }

  // Each strategy of a run of several draws its own intents.
  uint64_t Seed() const {
    return strategy_id().empty()
               ? seed_
               : seed_ * 1000003 + std::hash<std::string>{}(strategy_id());
  }

  uint64_t seed_;
};

// Whether run `seed` (see RandomSpec) has a margin account.
bool IsMarginAccount(uint64_t seed) { return Uniform(seed, -1, 1) < 0.5; }

// The spec of run `seed`: settings drawn from the seed so the runs cover cash
// and margin accounts, every slippage model and commission model, and
// volume participation with partial fills, and entries sized at 15% or 99% of
// equity (with reversals, 99% spends at the open what a cover left).
// With `several`, two random strategies share the account 60/40.
std::string RandomSpec(uint64_t seed, const std::string& symbols,
                       const std::string& timing, bool several = false) {
  const auto u = [seed](uint64_t draw) { return Uniform(seed, -1, draw); };
  const char* slippage[] = {"{model: none}", "{model: fixed_bps, bps: 5}",
                            "{model: range_fraction, fraction: 0.1}",
                            "{model: atr_fraction, fraction: 0.05}"};
  const char* commission[] = {
      "{model: none}", "{model: percent, bps: 10}",
      "{model: per_share, per_share: 0.01, minimum: 1, maximum_percent: 0.01}",
      "{model: tiered, minimum: 0.5, tiers: [{up_to_monthly_shares: 5000, "
      "per_share: 0.02}, {per_share: 0.005}]}"};
  const bool margin = IsMarginAccount(seed);
  return absl::StrCat(
      "name: invariants-", seed, "\n", "data: {path: data, symbols: [", symbols,
      "]}\n",
      several ? "strategies: [{name: random, id: s1, allocation: 0.6}, "
                "{name: random, id: s2}]\n"
              : "strategy: {name: random}\n",
      "portfolio:\n", "  initial_cash: ", kInitialCash, "\n",
      "  sizing: {rule: percent_of_equity, percent: ",
      u(6) < 0.5 ? "0.15" : "0.99", "}\n",
      "  account: {type: ", margin ? "margin" : "cash", "}\n",
      "  shorting: {enabled: true, borrow_rate: 0.08}\n", "execution:\n",
      "  slippage: ", slippage[static_cast<int>(u(2) * 4)], "\n",
      "  commission: ", commission[static_cast<int>(u(3) * 4)], "\n",
      "  same_bar_policy: ", u(4) < 0.5 ? "pessimistic" : "optimistic", "\n",
      "  fill_timing: ", timing, "\n",
      u(5) < 0.4 ? "  participation: {max_fraction_of_volume: 0.00003}\n" : "",
      "metrics: {bootstrap_resamples: 0}\n");
}

// Under fill timing close the view a strategy sees at a step is the book
// before that step's close; the book after the close's fills is the view
// the portfolio returns for it, recorded here by step index.
class CloseViews final : public ForwardingPortfolioStage {
 public:
  using ForwardingPortfolioStage::ForwardingPortfolioStage;

  absl::Status ApplySteps(const v1::ApplyStepsRequest& request,
                          v1::ApplyStepsResponse* response) override {
    const absl::Status status = inner().ApplySteps(request, response);
    if (status.ok() && request.at_close()) {
      views_[request.steps(0).index()] = response->views(0);
    }
    return status;
  }

  const std::map<int64_t, v1::PortfolioView>& views() const { return views_; }

 private:
  std::map<int64_t, v1::PortfolioView> views_;
};

// The invariants hold under every execution.fill_timing (the parameter).
class InvariantsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    directory_ =
        std::filesystem::path(::testing::TempDir()) / "invariants" / GetParam();
    std::filesystem::remove_all(directory_);
    data::SyntheticMarketOptions options;
    options.output_dir = (directory_ / "data").string();
    options.symbols = kSymbols;
    options.seed = 7;
    options.trading_days = kTradingDays;
    ASSERT_TRUE(data::WriteSyntheticMarket(options).ok());
    for (int i = 0; i < kSymbols; ++i) {
      symbols_.push_back(data::SyntheticSymbolName(i));
    }
    data::DatasetStore store;
    for (const std::string& symbol : symbols_) {
      absl::StatusOr<std::shared_ptr<const data::ParsedFile>> file =
          store.LoadFile((directory_ / "data" / (symbol + ".csv")).string(),
                         symbol);
      ASSERT_TRUE(file.ok()) << file.status();
      bars_.push_back(*std::move(file));
    }
  }

  using Views = std::map<int64_t, v1::PortfolioView>;

  struct Outcome {
    testing::StoredRun run;
    Views views;                           // a run of one strategy
    std::map<std::string, Views> sleeves;  // several: by strategy id
  };

  Outcome RunSeed(uint64_t seed, int max_steps_per_call, bool several = false) {
    Outcome outcome;
    absl::StatusOr<Stages> stages = MakeEmbeddedStages(
        (directory_ / absl::StrCat("results-", seed, "-", max_steps_per_call,
                                   several ? "-several" : "", ".db"))
            .string());
    EXPECT_TRUE(stages.ok()) << stages.status();
    if (!stages.ok()) return outcome;
    auto strategy = std::make_unique<RandomStrategy>(seed);
    RandomStrategy* random = strategy.get();
    stages->strategy = std::move(strategy);
    auto portfolio = std::make_unique<CloseViews>(std::move(stages->portfolio));
    CloseViews* closes = portfolio.get();
    stages->portfolio = std::move(portfolio);
    RunManager runs(*std::move(stages),
                    RunOptions{.max_steps_per_call = max_steps_per_call});
    outcome.run = testing::RunToEnd(
        runs,
        RandomSpec(seed, absl::StrJoin(symbols_, ", "), GetParam(), several),
        directory_.string());
    outcome.views = random->views();
    const std::string ids[] = {"s1", "s2"};
    for (const std::string& id : ids) outcome.sleeves[id] = random->views(id);
    // The books after the closes' fills replace those before them.
    for (const auto& [index, view] : closes->views()) {
      if (!several) {
        outcome.views[index] = view;
        continue;
      }
      for (int k = 0; k < view.strategies_size() && k < 2; ++k) {
        outcome.sleeves[ids[k]][index] = view.strategies(k);
      }
    }
    return outcome;
  }

  using FillsByTime = std::map<int64_t, std::vector<const v1::Fill*>>;

  void CheckInvariants(uint64_t seed, const Outcome& outcome,
                       bool several = false) {
    SCOPED_TRACE(absl::StrCat("seed ", seed, "\n",
                              RandomSpec(seed, "...", GetParam(), several)));
    ASSERT_EQ(outcome.run.progress.state(), v1::SUCCEEDED)
        << outcome.run.progress.DebugString();
    const v1::GetRunResponse& run = outcome.run.stored;

    // Fills: inside their bar, costs never negative.
    std::map<int, FillsByTime> fills_by_strategy;
    for (const v1::Fill& fill : run.fills()) {
      const data::BarColumns& bars = bars_[fill.symbol()]->bars;
      const size_t bar =
          std::lower_bound(bars.time.begin(), bars.time.end(), fill.time()) -
          bars.time.begin();
      ASSERT_TRUE(bar < bars.size() && bars.time[bar] == fill.time())
          << "fill without a bar: " << fill.DebugString();
      EXPECT_GE(fill.price(), bars.low[bar] - 1e-9) << fill.DebugString();
      EXPECT_LE(fill.price(), bars.high[bar] + 1e-9) << fill.DebugString();
      EXPECT_GE(fill.commission(), 0) << fill.DebugString();
      EXPECT_GE(fill.slippage(), -1e-9) << fill.DebugString();
      EXPECT_GT(fill.quantity(), 0) << fill.DebugString();
      fills_by_strategy[fill.strategy()][fill.time()].push_back(&fill);
    }
    ASSERT_GT(run.equity_size(), 0);
    const v1::EquityPoint& last = run.equity(run.equity_size() - 1);
    if (!several) {
      CheckBook(outcome.views, fills_by_strategy[0], run.trades(), "",
                kInitialCash, last.equity(), !IsMarginAccount(seed));
      return;
    }
    // Each sleeve is a book of its own, with its own fills, views and
    // trades; the account is their sum at every point.
    const std::pair<std::string, double> sleeves[] = {{"s1", 0.6}, {"s2", 0.4}};
    for (int k = 0; k < 2; ++k) {
      SCOPED_TRACE(absl::StrCat("strategy ", sleeves[k].first));
      const Views& views = outcome.sleeves.at(sleeves[k].first);
      EXPECT_EQ(views.size(), outcome.run.progress.steps_done());
      ASSERT_EQ(last.strategy_equity_size(), 2);
      CheckBook(views, fills_by_strategy[k], run.trades(), sleeves[k].first,
                sleeves[k].second * kInitialCash, last.strategy_equity(k),
                !IsMarginAccount(seed));
    }
    for (const v1::EquityPoint& point : run.equity()) {
      ASSERT_EQ(point.strategy_equity_size(), 2);
      EXPECT_NEAR(point.equity(),
                  point.strategy_equity(0) + point.strategy_equity(1),
                  1e-9 * std::abs(point.equity()) + 1e-6);
    }
  }

  // One book (the run of one strategy, or a sleeve of a run of several):
  // step by step, positions rebuilt from its fills equal the view's; cash
  // moves by the fills' value less commission, less non-negative fees;
  // equity is cash plus market value. Its trades' P&L adds up to its equity
  // change.
  void CheckBook(const Views& views, FillsByTime& fills_by_time,
                 const google::protobuf::RepeatedPtrField<v1::Trade>& trades,
                 const std::string& strategy_id, double initial_cash,
                 double final_equity, bool cash_account) {
    std::vector<double> position(symbols_.size(), 0);
    double previous_cash = initial_cash;
    for (const auto& [index, view] : views) {
      double flows = 0, commission = 0;
      bool entry_buy = false;  // a buy that opened or added to a long
      for (const v1::Fill* fill : fills_by_time[view.time()]) {
        const double sign = fill->side() == v1::BUY ? 1 : -1;
        // A bracket's or a protective stop's exit is never refused for cash,
        // even when another order already took its position flat and it
        // opens one (a known gap: such orphaned exits stay working).
        const bool protective = fill->role() == v1::STOP_LOSS ||
                                fill->role() == v1::TAKE_PROFIT ||
                                fill->role() == v1::TRAILING;
        entry_buy =
            entry_buy || (sign > 0 && !protective &&
                          position[fill->symbol()] + fill->quantity() > 1e-9);
        position[fill->symbol()] += sign * fill->quantity();
        flows -= sign * fill->quantity() * fill->price();
        commission += fill->commission();
      }
      const double fees = (previous_cash + flows - commission) - view.cash();
      EXPECT_GE(fees, -1e-6) << "step " << index << ": cash rose by " << -fees
                             << " beyond its fills";
      // A buy never spends cash a cash account does not have: exits fill
      // before entries at an open and fees come before both, so after a
      // step with an entry's buy the cash is the least it held since. (A
      // cover is never refused: a short that lost more than the account's
      // free cash takes cash below zero by itself, the account then being
      // short more than it can pay; no entry may follow it.)
      if (cash_account && entry_buy) {
        std::string fills;
        for (const v1::Fill* fill : fills_by_time[view.time()]) {
          absl::StrAppend(&fills, "\n  ", fill->ShortDebugString());
        }
        EXPECT_GE(view.cash(), -1e-6)
            << "step " << index << ": a cash account's fills left cash at "
            << view.cash() << " (" << previous_cash
            << " before them):" << fills;
      }
      previous_cash = view.cash();
      double market_value = 0;
      std::vector<double> seen(symbols_.size(), 0);
      for (const v1::Position& held : view.positions()) {
        market_value += held.market_value();
        seen[held.symbol()] = held.quantity();
        EXPECT_NEAR(held.market_value(), held.quantity() * held.last_price(),
                    1e-6 * std::abs(held.market_value()) + 1e-9);
      }
      for (size_t s = 0; s < symbols_.size(); ++s) {
        EXPECT_NEAR(seen[s], position[s], 1e-9)
            << "step " << index << " " << symbols_[s]
            << ": the position changed without a fill";
      }
      EXPECT_NEAR(view.equity(), view.cash() + market_value,
                  1e-9 * std::abs(view.equity()) + 1e-6)
          << "step " << index;
    }

    // Trades: costs never negative; their P&L adds up to the equity change.
    double total_pnl = 0;
    for (const v1::Trade& trade : trades) {
      if (trade.strategy() != strategy_id) continue;
      EXPECT_GE(trade.commission(), 0);
      EXPECT_GE(trade.borrow_fees(), 0);
      EXPECT_LE(trade.mae(), 1e-9);
      EXPECT_GE(trade.mfe(), -1e-9);
      total_pnl += trade.net_pnl();
    }
    EXPECT_NEAR(total_pnl, final_equity - initial_cash, 1e-7 * kInitialCash);
  }

  std::filesystem::path directory_;
  std::vector<std::string> symbols_;
  // Each symbol's file as the data stage reads it, by symbol index.
  std::vector<std::shared_ptr<const data::ParsedFile>> bars_;
};

TEST_P(InvariantsTest, HoldOnRandomRuns) {
  int fills = 0, trades = 0, shorts = 0, partials = 0, short_to_long = 0,
      cash_rejections = 0;
  for (uint64_t seed = 1; seed <= kRuns; ++seed) {
    const Outcome outcome = RunSeed(seed, RunOptions{}.max_steps_per_call);
    CheckInvariants(seed, outcome);
    fills += outcome.run.stored.fills_size();
    trades += outcome.run.stored.trades_size();
    for (const v1::Trade& trade : outcome.run.stored.trades()) {
      shorts += trade.side() == v1::SELL;
    }
    for (const v1::Fill& fill : outcome.run.stored.fills()) {
      partials += fill.partial();
    }
    // A short closed and a long bought (or refused for cash) at one open.
    std::map<std::pair<int64_t, std::string>, int> short_closed;
    for (const v1::Trade& trade : outcome.run.stored.trades()) {
      if (trade.side() == v1::SELL && trade.exit_time() != 0) {
        ++short_closed[{trade.exit_time(), trade.symbol()}];
      }
    }
    for (const v1::Trade& trade : outcome.run.stored.trades()) {
      short_to_long += trade.side() == v1::BUY &&
                       short_closed.count({trade.entry_time(), trade.symbol()});
    }
    for (const v1::Rejection& rejection : outcome.run.stored.rejections()) {
      cash_rejections +=
          rejection.code() == "INSUFFICIENT_CASH" && !IsMarginAccount(seed) &&
          short_closed.count({rejection.time(), symbols_[rejection.symbol()]});
    }
  }
  // The runs really exercised what the checks are about.
  EXPECT_GT(fills, 20 * kRuns);
  EXPECT_GT(trades, 5 * kRuns);
  EXPECT_GT(shorts, kRuns);
  EXPECT_GT(partials, 0);
  EXPECT_GT(short_to_long, kRuns);
  // A cover after a gap against its short is what leaves too little for the
  // buy after it; at the close a cover pays about the mark it was held at.
  if (GetParam() != "close") EXPECT_GT(cash_rejections, 0);
  std::cout << GetParam() << ", " << kRuns << " runs: " << fills << " fills, "
            << trades << " trades (" << shorts << " short), " << partials
            << " partial fills, " << short_to_long
            << " reversals from short to long at one open, " << cash_rejections
            << " buys after a cover refused for cash\n";
}

// Two random strategies in one account: every invariant holds in each
// sleeve, and the account's equity is theirs summed at every point.
TEST_P(InvariantsTest, HoldInEverySleeveOfRandomRunsOfSeveralStrategies) {
  int fills[2] = {0, 0};
  for (uint64_t seed = 1; seed <= kSeveralRuns; ++seed) {
    const Outcome outcome =
        RunSeed(seed, RunOptions{}.max_steps_per_call, /*several=*/true);
    CheckInvariants(seed, outcome, /*several=*/true);
    for (const v1::Fill& fill : outcome.run.stored.fills()) {
      ASSERT_TRUE(fill.strategy() == 0 || fill.strategy() == 1);
      ++fills[fill.strategy()];
    }
  }
  // Both sleeves really traded.
  EXPECT_GT(fills[0], 10 * kSeveralRuns);
  EXPECT_GT(fills[1], 10 * kSeveralRuns);
  std::cout << kSeveralRuns << " runs of two strategies: " << fills[0] << " + "
            << fills[1] << " fills\n";
}

TEST_P(InvariantsTest, OneStepPerCallGivesTheSameRecords) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const Outcome chunked = RunSeed(seed, RunOptions{}.max_steps_per_call);
    const Outcome single = RunSeed(seed, 1);
    ASSERT_EQ(chunked.run.progress.state(), v1::SUCCEEDED);
    ASSERT_EQ(single.run.progress.state(), v1::SUCCEEDED);
    const auto text = [](const auto& records) {
      std::string out;
      for (const auto& record : records)
        out += record.ShortDebugString() + "\n";
      return out;
    };
    EXPECT_EQ(text(chunked.run.stored.fills()), text(single.run.stored.fills()))
        << "seed " << seed;
    EXPECT_EQ(text(chunked.run.stored.rejections()),
              text(single.run.stored.rejections()))
        << "seed " << seed;
    EXPECT_EQ(text(chunked.run.stored.trades()),
              text(single.run.stored.trades()))
        << "seed " << seed;
    EXPECT_EQ(text(chunked.run.stored.equity()),
              text(single.run.stored.equity()))
        << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(FillTimings, InvariantsTest,
                         ::testing::Values("next_open", "close", "next_close"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace seed::coordinator
