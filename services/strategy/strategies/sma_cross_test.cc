#include "services/strategy/strategies/sma_cross.h"

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "backtest/v1/strategy.pb.h"
#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/strategy/param_schema.h"
#include "services/strategy/registry.h"
#include "services/strategy/strategies/strategy_test_util.h"

namespace seed::strategy {
namespace {

using ::backtest::v1::Intent;
using ::testing::HasSubstr;

constexpr int64_t kDay = 86400;

// Drives one SmaCross like the engine does, with a portfolio the test
// controls: Hold() sets the position the next steps' views show.
class Harness {
 public:
  explicit Harness(std::vector<std::string> symbols, int fast = 2, int slow = 3,
                   const std::string& direction = "long") {
    backtest::v1::StrategySpec spec;
    (*spec.mutable_params())["fast"].set_number(fast);
    (*spec.mutable_params())["slow"].set_number(slow);
    (*spec.mutable_params())["direction"].set_text(direction);
    absl::StatusOr<ResolvedParams> params =
        ResolveParams(SmaCross::Definition().info.params(), spec.params());
    EXPECT_TRUE(params.ok()) << params.status();
    EXPECT_TRUE(strategy_
                    .OnStart(StartContext{"run-1", std::move(symbols),
                                          *std::move(params)})
                    .ok());
  }

  // The bars of one step, {symbol index, close} each; returns the intents.
  std::vector<Intent> Step(const std::vector<std::pair<int, double>>& bars) {
    backtest::v1::TimeStep step;
    step.set_index(index_);
    step.set_time(index_ * kDay);
    ++index_;
    for (const auto& [symbol, close] : bars) {
      auto* bar = step.add_bars();
      bar->set_symbol(symbol);
      bar->set_close(close);
    }
    backtest::v1::PortfolioView view;
    for (const auto& [symbol, quantity] : held_) {
      auto* position = view.add_positions();
      position->set_symbol(symbol);
      position->set_quantity(quantity);
    }
    backtest::v1::StrategyStepsResponse response;
    IntentSink sink(response.mutable_intents());
    status_ = strategy_.OnBar(step, view, sink);
    return {response.intents().begin(), response.intents().end()};
  }

  // One symbol's closes, one step each; returns "BUY@4"-style events.
  std::vector<std::string> Run(const std::vector<double>& closes,
                               bool fill_orders) {
    std::vector<std::string> events;
    for (size_t t = 0; t < closes.size(); ++t) {
      for (const Intent& intent : Step({{0, closes[t]}})) {
        events.push_back(
            absl::StrCat(Intent::Action_Name(intent.action()), "@", t));
        if (!fill_orders) continue;
        // It fills at the next bar's open, before that bar's OnBar.
        Fill(0, intent.action() == Intent::BUY ? backtest::v1::BUY
                                               : backtest::v1::SELL);
        Hold(0, intent.action() == Intent::BUY ? 100 : 0);
      }
    }
    return events;
  }

  void Fill(int symbol, backtest::v1::Side side) {
    backtest::v1::Fill fill;
    fill.set_symbol(symbol);
    fill.set_side(side);
    EXPECT_TRUE(strategy_.OnFill(fill).ok());
  }
  void Reject(int symbol) {
    backtest::v1::Rejection rejection;
    rejection.set_symbol(symbol);
    rejection.set_side(backtest::v1::BUY);
    rejection.set_code("INSUFFICIENT_CASH");
    EXPECT_TRUE(strategy_.OnRejection(rejection).ok());
  }
  void Hold(int symbol, double quantity) {
    if (quantity == 0) {
      held_.erase(symbol);
    } else {
      held_[symbol] = quantity;
    }
  }
  const absl::Status& status() const { return status_; }

 private:
  SmaCross strategy_;
  std::map<int, double> held_;
  int64_t index_ = 0;
  absl::Status status_;
};

// fast = SMA(2), slow = SMA(3) of the closes; d = fast - slow.
//   bar close  fast   slow   d      event
//    0   10     -      -     -
//    1    9    9.5     -     -
//    2    8    8.5    9     -1/2   first bar with both: never a cross
//    3    9    8.5   26/3   -1/6
//    4   11   10     28/3   +2/3   crosses above: BUY (flat)
//    5   12   11.5   32/3   +5/6   (BUY fills, long)
//    6   10   11     11      0     equal: skipped
//    7    9    9.5   31/3   -5/6   crosses below (last non-zero +): CLOSE
//    8    8    8.5    9     -1/2   (CLOSE fills, flat)
//    9    8    8     25/3   -1/3
//   10    9    8.5   25/3   +1/6   crosses above: BUY
//   11    6    7.5   23/3   -1/6   (BUY filled, long) crosses below: CLOSE
//   12    6    6      7     -1     (CLOSE fills, flat)
//   13    9    7.5    7     +1/2   crosses above: BUY
const std::vector<double> kDownUpDown = {10, 9, 8, 9, 11, 12, 10,
                                         9,  8, 8, 9, 6,  6,  9};

TEST(SmaCrossTest, BuysOnCrossAboveAndClosesOnCrossBelow) {
  Harness harness({"AAA"});
  EXPECT_THAT(harness.Run(kDownUpDown, /*fill_orders=*/true),
              ::testing::ElementsAre("BUY@4", "CLOSE@7", "BUY@10", "CLOSE@11",
                                     "BUY@13"));
  EXPECT_TRUE(harness.status().ok());
}

TEST(SmaCrossTest, IntentsAreMarketOrdersSizedByThePortfolio) {
  Harness harness({"AAA"}, /*fast=*/2, /*slow=*/3);
  for (double close : {10.0, 9.0, 8.0, 9.0}) {
    EXPECT_TRUE(harness.Step({{0, close}}).empty());
  }
  const std::vector<Intent> buy = harness.Step({{0, 11}});
  ASSERT_EQ(buy.size(), 1u);
  EXPECT_EQ(buy[0].symbol(), 0);
  EXPECT_EQ(buy[0].action(), Intent::BUY);
  EXPECT_EQ(buy[0].quantity(), 0.0);
  EXPECT_EQ(buy[0].type(), backtest::v1::MARKET);
  EXPECT_EQ(buy[0].reason(), "sma 2 crossed above sma 3");

  harness.Fill(0, backtest::v1::BUY);
  harness.Hold(0, 100);
  for (double close : {12.0, 10.0}) {
    EXPECT_TRUE(harness.Step({{0, close}}).empty());
  }
  const std::vector<Intent> close = harness.Step({{0, 9}});
  ASSERT_EQ(close.size(), 1u);
  EXPECT_EQ(close[0].action(), Intent::CLOSE);
  EXPECT_EQ(close[0].type(), backtest::v1::MARKET);
  EXPECT_EQ(close[0].reason(), "sma 2 crossed below sma 3");
}

// Rising closes: at bar 2 fast 2.5 > slow 2 already, but with no earlier bar
// where both were defined that is not a cross; after that d stays +1/2.
TEST(SmaCrossTest, FirstBarWithBothDefinedIsNeverACross) {
  Harness harness({"AAA"});
  EXPECT_THAT(harness.Run({1, 2, 3, 4, 5, 6}, true), ::testing::IsEmpty());
}

// 10, 9, 8, 10, 11: d = -1/2, 0 (fast 9 = slow 9), +2/3 at bar 4. The equal
// bar is skipped, so bar 4 crosses above the -1/2 of bar 2.
TEST(SmaCrossTest, EqualBarsAreSkippedWhenLookingBack) {
  Harness harness({"AAA"});
  EXPECT_THAT(harness.Run({10, 9, 8, 10, 11}, true),
              ::testing::ElementsAre("BUY@4"));
}

// 10, 9, 8, 10, 6, 5: d = -1/2, 0, 0 (8 = 8), -3/2: touching is not crossing.
TEST(SmaCrossTest, TouchingWithoutCrossingIsNoSignal) {
  Harness harness({"AAA"});
  EXPECT_THAT(harness.Run({10, 9, 8, 10, 6, 5}, true), ::testing::IsEmpty());
}

// The BUY of bar 4 never fills or gets rejected (and the view stays flat):
// the crosses above at bars 10 and 13 must not enter a second time.
TEST(SmaCrossTest, NoReentryWhileTheEntryOrderIsInFlight) {
  Harness harness({"AAA"});
  EXPECT_THAT(harness.Run(kDownUpDown, /*fill_orders=*/false),
              ::testing::ElementsAre("BUY@4"));
}

// The BUY of bar 4 is rejected (delivered before bar 5): the strategy is
// flat again and enters on the next cross above, at bar 10.
TEST(SmaCrossTest, ReentersAfterARejectedEntry) {
  Harness harness({"AAA"});
  std::vector<size_t> buys;
  for (size_t t = 0; t < kDownUpDown.size(); ++t) {
    if (t == 5) harness.Reject(0);
    for (const Intent& intent : harness.Step({{0, kDownUpDown[t]}})) {
      if (intent.action() == Intent::BUY) buys.push_back(t);
    }
  }
  EXPECT_THAT(buys, ::testing::ElementsAre(4, 10));
}

// Symbols are independent, and a symbol without a bar at a step is not
// updated: BBB has no bar at step 3, so its closes 10, 9, 8, 10, 11 (the
// skip-equal series, BUY on its 5th bar) arrive at steps 0, 1, 2, 4, 5. If
// step 3 counted, its SMAs would differ. AAA runs the down-up-down series.
TEST(SmaCrossTest, SymbolsAreIndependentAndGapsAreNotBars) {
  Harness harness({"AAA", "BBB"});
  const std::vector<double> bbb = {10, 9, 8, 10, 11};
  std::vector<std::string> events;
  size_t next_bbb = 0;
  for (size_t t = 0; t < 6; ++t) {
    std::vector<std::pair<int, double>> bars = {{0, kDownUpDown[t]}};
    if (t != 3) bars.push_back({1, bbb[next_bbb++]});
    for (const Intent& intent : harness.Step(bars)) {
      events.push_back(absl::StrCat(
          intent.symbol(), ":", Intent::Action_Name(intent.action()), "@", t));
    }
  }
  EXPECT_THAT(events, ::testing::ElementsAre("0:BUY@4", "1:BUY@5"));
}

TEST(SmaCrossTest, EntersOnlyWhenFlat) {
  Harness harness({"AAA", "BBB"});
  harness.Hold(1, 50);  // long BBB already: its cross above is no entry
  std::vector<std::string> events;
  for (size_t t = 0; t < 5; ++t) {
    for (const Intent& intent :
         harness.Step({{0, kDownUpDown[t]}, {1, kDownUpDown[t]}})) {
      events.push_back(absl::StrCat(intent.symbol(), ":",
                                    Intent::Action_Name(intent.action())));
    }
  }
  EXPECT_THAT(events, ::testing::ElementsAre("0:BUY"));
}

TEST(SmaCrossTest, NonFiniteCloseFailsWithTheSymbol) {
  Harness harness({"AAA", "BBB"});
  harness.Step({{0, 10}, {1, std::nan("")}});
  const backtest::v1::StageError error =
      ToStageError(harness.status(), "unknown");
  EXPECT_EQ(error.stage(), "strategy");
  EXPECT_EQ(error.reason(), "NON_FINITE_CLOSE");
  EXPECT_EQ(error.symbol(), "BBB");
  EXPECT_EQ(error.bar_time(), "1970-01-01");
}

TEST(SmaCrossTest, FastMustBeLessThanSlow) {
  StrategyRegistry registry;
  ASSERT_TRUE(registry.Register(SmaCross::Definition()).ok());
  backtest::v1::StrategySpec spec;
  spec.set_name("sma_cross");
  (*spec.mutable_params())["fast"].set_number(30);
  (*spec.mutable_params())["slow"].set_number(10);
  const absl::Status status = registry.Resolve(spec).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::vector<FieldProblem> problems = FieldProblems(status);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "strategy.params.fast");
  EXPECT_THAT(problems[0].description, HasSubstr("fast 30, slow 10"));
}

TEST(SmaCrossTest, DefaultsAreTenAndThirty) {
  StrategyRegistry registry;
  ASSERT_TRUE(registry.Register(SmaCross::Definition()).ok());
  backtest::v1::StrategySpec spec;
  spec.set_name("sma_cross");
  absl::StatusOr<ResolvedStrategy> resolved = registry.Resolve(spec);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->params.Int("fast"), 10);
  EXPECT_EQ(resolved->params.Int("slow"), 30);
}

// The same crosses (kDownUpDown: above at bars 4, 10, 13; below at 7, 11),
// filled at the next bar. Short: short on a cross below, cover on a cross
// above; the cross above at bar 4 finds it flat and is no signal. Both:
// every cross after the first reverses the position, exit first.
TEST(SmaCrossTest, DirectionShortMirrorsAndBothReverses) {
  const StrategyDefinition definition = SmaCross::Definition();
  EXPECT_THAT(RunCloses(definition, {{"fast", 2}, {"slow", 3}}, kDownUpDown),
              ::testing::ElementsAre("BUY@4", "CLOSE@7", "BUY@10", "CLOSE@11",
                                     "BUY@13"));
  EXPECT_THAT(
      RunCloses(definition, {{"fast", 2}, {"slow", 3}, {"direction", "short"}},
                kDownUpDown),
      ::testing::ElementsAre("SHORT@7", "COVER@10", "SHORT@11", "COVER@13"));
  EXPECT_THAT(
      RunCloses(definition, {{"fast", 2}, {"slow", 3}, {"direction", "both"}},
                kDownUpDown),
      ::testing::ElementsAre("BUY@4", "CLOSE@7", "SHORT@7", "COVER@10",
                             "BUY@10", "CLOSE@11", "SHORT@11", "COVER@13",
                             "BUY@13"));
}

// A reversal is two orders: nothing more is emitted until both settle. The
// CLOSE of bar 7 fills but the SHORT is rejected (delivered before bar 8):
// flat again, the strategy waits for the next signal, the cross above at
// bar 10, and buys.
TEST(SmaCrossTest, AReversalWaitsForBothOrders) {
  Harness harness({"AAA"}, 2, 3, "both");
  std::vector<std::string> events;
  for (size_t t = 0; t < kDownUpDown.size() && t < 11; ++t) {
    if (t == 5) {
      harness.Fill(0, backtest::v1::BUY);
      harness.Hold(0, 100);
    }
    if (t == 8) {
      harness.Fill(0, backtest::v1::SELL);
      harness.Hold(0, 0);
    }
    if (t == 9) harness.Reject(0);
    for (const Intent& intent : harness.Step({{0, kDownUpDown[t]}})) {
      events.push_back(
          absl::StrCat(Intent::Action_Name(intent.action()), "@", t));
    }
  }
  EXPECT_THAT(events,
              ::testing::ElementsAre("BUY@4", "CLOSE@7", "SHORT@7", "BUY@10"));
}

}  // namespace
}  // namespace seed::strategy
