#include "research/panel.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace seed::research {
namespace {

SymbolBars Bars(const std::string& symbol, const std::vector<int64_t>& times,
                const std::vector<double>& closes) {
  SymbolBars bars{symbol, times, {}, {}, closes};
  for (double close : closes) {
    bars.high.push_back(close + 1);
    bars.low.push_back(close - 1);
  }
  return bars;
}

TEST(PanelTest, AlignsSymbolsOnTheUnionOfTheirTimes) {
  const std::vector<SymbolBars> bars = {Bars("AAA", {10, 20, 30}, {1, 2, 3}),
                                        Bars("BBB", {20, 40}, {5, 6})};
  absl::StatusOr<Panel> panel = AlignPanel(bars);
  ASSERT_TRUE(panel.ok()) << panel.status();
  EXPECT_EQ(panel->symbols, (std::vector<std::string>{"AAA", "BBB"}));
  EXPECT_EQ(panel->times, (std::vector<int64_t>{10, 20, 30, 40}));
  EXPECT_EQ(panel->close[0][2], 3);
  EXPECT_TRUE(std::isnan(panel->close[0][3]));
  EXPECT_TRUE(std::isnan(panel->close[1][0]));
  EXPECT_EQ(panel->close[1][1], 5);
  EXPECT_EQ(panel->high[1][3], 7);
  EXPECT_EQ(panel->low[1][3], 5);
  EXPECT_TRUE(std::isnan(panel->low[1][2]));
  EXPECT_TRUE(CheckPanel(*panel).ok());
}

TEST(PanelTest, RefusesInconsistentBars) {
  std::vector<SymbolBars> bars = {Bars("AAA", {10, 20}, {1, 2})};
  bars[0].low.pop_back();
  EXPECT_EQ(AlignPanel(bars).status().message(),
            "symbol AAA: 2 times but 2 highs, 1 lows and 2 closes");
  bars = {Bars("AAA", {10, 10}, {1, 2})};
  EXPECT_EQ(AlignPanel(bars).status().message(),
            "symbol AAA: bar 1 (1970-01-01T00:00:10) is not after the one "
            "before");
  bars = {Bars("AAA", {10, 20}, {1, 0})};
  EXPECT_EQ(AlignPanel(bars).status().message(),
            "symbol AAA: bar 1 (1970-01-01T00:00:20) has a price that is not "
            "finite or a close <= 0");
  bars = {Bars("AAA", {10}, {1}), Bars("AAA", {20}, {1})};
  EXPECT_EQ(AlignPanel(bars).status().message(), "symbol AAA: listed twice");

  Panel panel = *AlignPanel({Bars("AAA", {10, 20}, {1, 2})});
  panel.close[0].pop_back();
  EXPECT_EQ(CheckPanel(panel).message(),
            "panel close of AAA has 1 values for 2 times");
  panel.close.clear();
  EXPECT_EQ(CheckPanel(panel).message(),
            "panel close has 0 series for 1 symbols");
}

}  // namespace
}  // namespace seed::research
