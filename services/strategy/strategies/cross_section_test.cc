#include "services/strategy/strategies/cross_section.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backtest/v1/strategy.pb.h"
#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

using ::backtest::v1::Intent;
using ::testing::ElementsAre;
using ::testing::Pair;

TEST(CrossSectionTest, RankByScorePutsTheBestFirstAndKeepsSymbolOrderOnTies) {
  EXPECT_THAT(RankByScore({{0, 0.1}, {1, 0.3}, {2, 0.1}, {3, -1}}),
              ElementsAre(1, 0, 2, 3));
  EXPECT_THAT(RankByScore({{2, 0.5}, {0, 0.5}}), ElementsAre(0, 2));
}

TEST(CrossSectionTest, EqualWeightsSplitTheTotal) {
  EXPECT_THAT(EqualWeights({3, 1}, 1.0),
              ElementsAre(Pair(1, 0.5), Pair(3, 0.5)));
  EXPECT_TRUE(EqualWeights({}, 1.0).empty());
}

TEST(CrossSectionTest, EmitTargetWeightsSellsWhatIsNotATargetFirst) {
  backtest::v1::PortfolioView view;
  for (const auto& [symbol, quantity] :
       std::vector<std::pair<int, double>>{{4, 10}, {2, 5}, {1, 0}, {0, 7}}) {
    backtest::v1::Position* position = view.add_positions();
    position->set_symbol(symbol);
    position->set_quantity(quantity);
  }
  backtest::v1::StrategyStepsResponse response;
  IntentSink sink(response.mutable_intents());
  EmitTargetWeights({{3, 0.25}, {0, 0.75}}, view, "why", sink);
  std::vector<std::string> emitted;
  for (const Intent& intent : response.intents()) {
    EXPECT_EQ(intent.action(), Intent::TARGET_WEIGHT);
    EXPECT_EQ(intent.type(), backtest::v1::MARKET);
    EXPECT_EQ(intent.reason(), "why");
    emitted.push_back(absl::StrCat(intent.symbol(), "=", intent.target()));
  }
  // Held 2 and 4 are not targets: 0 first (symbol 1 is flat: nothing); then
  // the targets, held (0) or not (3), in symbol order.
  EXPECT_THAT(emitted, ElementsAre("2=0", "4=0", "0=0.75", "3=0.25"));
}

TEST(CrossSectionTest, CheckFiniteClosesNamesTheSymbolAndTime) {
  backtest::v1::TimeStep step;
  step.set_time(86400);
  step.add_bars()->set_close(1);
  backtest::v1::Bar* bad = step.add_bars();
  bad->set_symbol(1);
  bad->set_close(std::numeric_limits<double>::infinity());
  const absl::Status status = CheckFiniteCloses(step, {"AAA", "BBB"});
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.reason(), "NON_FINITE_CLOSE");
  EXPECT_EQ(error.symbol(), "BBB");
  EXPECT_EQ(error.bar_time(), "1970-01-02");
  step.mutable_bars(1)->set_close(2);
  EXPECT_TRUE(CheckFiniteCloses(step, {"AAA", "BBB"}).ok());
}

}  // namespace
}  // namespace seed::strategy
