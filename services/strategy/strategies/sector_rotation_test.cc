#include "services/strategy/strategies/sector_rotation.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/strategy/strategies/cross_section_test_util.h"
#include "services/strategy/strategies/strategy_test_util.h"

namespace seed::strategy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// AAA and BBB are Tech, CCC is Energy; lookback 2, rebalance every 3 steps.
// r = close_t / close_{t-2} - 1 per symbol; a sector scores the mean of its
// symbols that have a bar and a defined r.
//   t  AAA  BBB  CCC   r AAA  r BBB  r CCC  Tech   Energy  event
//   0  100  100  100   -      -      -                     warm-up
//   1  100  100  100   -      -      -                     warm-up
//   2  110  100  104   +0.10   0     +0.04  +0.05  +0.04   Tech: AAA, BBB 1/2
//   3  110  100  110                                       (1 step since)
//   4  110  100  120                                       (2 steps since)
//   5   99  100  132   -0.10   0     +0.20  -0.05  +0.20   Energy: CCC 1
//   6   99  100  132
//   7   99  100  132
//   8   99   -   132    0      -      0      0      0      tie: Tech first in
//                                                          symbol order; BBB
//                                                          has no bar: AAA 1
CrossSectionRun ExampleRun() {
  CrossSectionRun run;
  run.strategy = "sector_rotation";
  run.symbols = {"AAA", "BBB", "CCC"};
  run.sectors = {"Tech", "Tech", "Energy"};
  run.numbers = {{"lookback", 2}, {"rebalance_bars", 3}};
  run.closes = {{100, 100, 100}, {100, 100, 100}, {110, 100, 104},
                {110, 100, 110}, {110, 100, 120}, {99, 100, 132},
                {99, 100, 132},  {99, 100, 132},  {99, kNoBar, 132}};
  run.times = DailyTimes(run.closes.size());
  return run;
}

TEST(SectorRotationTest, HoldsTheBestSectorEveryRebalanceBars) {
  // At each rebalance, held symbols leaving go to 0 first, then the targets.
  EXPECT_THAT(RunCrossSection(ExampleRun()),
              ElementsAre("2: AAA=0.5 BBB=0.5", "5: AAA=0 BBB=0 CCC=1",
                          "8: CCC=0 AAA=1"));
}

TEST(SectorRotationTest, NeedsMetadata) {
  CrossSectionRun run = ExampleRun();
  run.sectors.clear();
  const std::vector<std::string> lines = RunCrossSection(run);
  ASSERT_EQ(lines.size(), 1);
  EXPECT_THAT(lines[0], HasSubstr("MISSING_METADATA"));
  EXPECT_THAT(lines[0], HasSubstr("set data.metadata"));
}

TEST(SectorRotationTest, ListedWithItsDefaults) {
  const std::optional<backtest::v1::StrategyInfo> info =
      ListedInfo("sector_rotation");
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->params_size(), 2);
  EXPECT_EQ(info->params(0).name(), "lookback");
  EXPECT_EQ(info->params(0).default_value().number(), 63);
  EXPECT_EQ(info->params(1).name(), "rebalance_bars");
  EXPECT_EQ(info->params(1).default_value().number(), 21);
  EXPECT_THAT(InvalidParamFields("sector_rotation", {{"rebalance_bars", 0}}),
              ElementsAre("strategy.params.rebalance_bars"));
}

}  // namespace
}  // namespace seed::strategy
