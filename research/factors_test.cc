#include "research/factors.h"

#include <cmath>
#include <string>
#include <vector>

#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "services/strategy/indicators/rsi.h"
#include "services/strategy/indicators/wma.h"

namespace seed::research {
namespace {

struct Series {
  std::vector<double> high;
  std::vector<double> low;
  std::vector<double> close;
};

// Closes that wander (so no window is flat), highs above and lows below.
Series Wandering(int count) {
  Series series;
  for (int i = 0; i < count; ++i) {
    const double close = 100 + 10 * std::sin(i / 7.0) + 0.1 * i;
    series.close.push_back(close);
    series.high.push_back(close + 1 + i % 3);
    series.low.push_back(close - 1);
  }
  return series;
}

Series Linear(int count) {
  Series series;
  for (int i = 0; i < count; ++i) {
    series.close.push_back(i + 1);
    series.high.push_back(i + 3);
    series.low.push_back(i);
  }
  return series;
}

// The factor's value after each bar of `series`.
std::vector<std::optional<double>> Values(const Factor& factor,
                                          const Series& series) {
  std::unique_ptr<FactorState> state = factor.NewState();
  std::vector<std::optional<double>> values;
  for (size_t i = 0; i < series.close.size(); ++i) {
    state->Add(series.high[i], series.low[i], series.close[i]);
    values.push_back(state->value());
  }
  return values;
}

Factor Make(const std::string& name, const strategy::ParamValues& params = {}) {
  absl::StatusOr<Factor> factor = MakeFactor(name, params);
  EXPECT_TRUE(factor.ok()) << factor.status();
  return *factor;
}

strategy::ParamValues Params(
    const std::vector<std::pair<std::string, double>>& entries) {
  strategy::ParamValues params;
  for (const auto& [name, number] : entries) params[name].set_number(number);
  return params;
}

TEST(FactorsTest, EachBuiltinStartsAfterTheBarsItNeeds) {
  const Series series = Wandering(400);
  for (const FactorInfo& info : BuiltinFactors()) {
    const Factor factor = Make(info.name);
    const std::vector<std::optional<double>> values = Values(factor, series);
    const int64_t needed = factor.bars_needed();
    ASSERT_LE(needed, 400) << info.name;
    EXPECT_FALSE(values[needed - 2].has_value()) << info.name;
    EXPECT_TRUE(values[needed - 1].has_value()) << info.name;
    EXPECT_TRUE(values.back().has_value()) << info.name;
  }
  EXPECT_EQ(Make("momentum_12_1").bars_needed(), 253);
  EXPECT_EQ(Make("realized_vol_126").bars_needed(), 127);
  EXPECT_EQ(Make("rsi", Params({{"length", 10}})).bars_needed(), 11);
  EXPECT_EQ(Make("rsi", Params({{"length", 10}})).label(), "rsi(length=10)");
  EXPECT_EQ(Make("momentum").label(), "momentum(lookback=252,skip=21)");
  EXPECT_EQ(Make("high_52w_nearness").label(), "high_52w_nearness");
}

TEST(FactorsTest, NamedFactorsFollowTheirDefinitions) {
  // Closes 1, 2, 3, ...: close at index i is i + 1, the high i + 3.
  const Series series = Linear(300);
  // Index 252: 232 / 1 - 1; index 260: 240 / 9 - 1.
  const std::vector<std::optional<double>> momentum =
      Values(Make("momentum_12_1"), series);
  EXPECT_DOUBLE_EQ(*momentum[252], 231);
  EXPECT_DOUBLE_EQ(*momentum[260], 240.0 / 9 - 1);
  // Index 21: -(22 / 1 - 1).
  EXPECT_DOUBLE_EQ(*Values(Make("reversal_1m"), series)[21], -21);
  // Index 199: the mean of 1..200 is 100.5.
  EXPECT_DOUBLE_EQ(*Values(Make("price_vs_sma200"), series)[199],
                   200 / 100.5 - 1);
  // Index 251: close 252, the highest high 254 (this bar's).
  EXPECT_DOUBLE_EQ(*Values(Make("high_52w_nearness"), series)[251],
                   252.0 / 254);
  // With lookback 5 and skip 2, index 5: close 4 / close 1 - 1; skip 0 is
  // the rate of change.
  EXPECT_DOUBLE_EQ(
      *Values(Make("momentum", Params({{"lookback", 5}, {"skip", 2}})),
              series)[5],
      3);
  EXPECT_DOUBLE_EQ(
      *Values(Make("momentum", Params({{"lookback", 5}, {"skip", 0}})),
              series)[5],
      5);
  EXPECT_DOUBLE_EQ(*Values(Make("roc", Params({{"length", 3}})), series)[9],
                   10.0 / 7 - 1);
  EXPECT_DOUBLE_EQ(*Values(Make("sma_gap", Params({{"length", 3}})), series)[2],
                   3 / 2.0 - 1);
}

TEST(FactorsTest, RealizedVolatilityIsTheAnnualizedSampleDeviation) {
  // Log returns alternate +a and -a: 126 of them have mean 0 and squared
  // deviations summing to 126 a^2, so the sample variance is 126 a^2 / 125.
  const double a = 0.01;
  Series series;
  double close = 100;
  for (int i = 0; i < 200; ++i) {
    series.close.push_back(close);
    series.high.push_back(close);
    series.low.push_back(close);
    close *= std::exp(i % 2 == 0 ? a : -a);
  }
  const std::vector<std::optional<double>> values =
      Values(Make("realized_vol_126"), series);
  EXPECT_NEAR(*values[126], a * std::sqrt(126.0 / 125) * std::sqrt(252.0),
              1e-12);
  EXPECT_NEAR(*values[199], *values[126], 1e-12);
}

TEST(FactorsTest, IndicatorFactorsEqualTheirIndicators) {
  const Series series = Wandering(100);
  strategy::Rsi rsi(10);
  const std::vector<std::optional<double>> values =
      Values(Make("rsi", Params({{"length", 10}})), series);
  for (size_t i = 0; i < series.close.size(); ++i) {
    rsi.Add(series.close[i]);
    EXPECT_EQ(values[i], rsi.value()) << i;
  }
}

std::vector<std::string> Problems(const absl::Status& status) {
  std::vector<std::string> problems;
  for (const FieldProblem& problem : FieldProblems(status)) {
    problems.push_back(problem.field + ": " + problem.description);
  }
  return problems;
}

TEST(FactorsTest, BadNamesAndParamsNameTheirFields) {
  EXPECT_EQ(Problems(MakeFactor("momentum_6_1", {}, "factors[0]").status()),
            (std::vector<std::string>{
                "factors[0]: unknown factor \"momentum_6_1\"; built-in "
                "factors: momentum_12_1, reversal_1m, price_vs_sma200, "
                "high_52w_nearness, realized_vol_126, momentum, roc, sma_gap, "
                "ema_gap, zscore, rsi, atr_pct"}));
  EXPECT_EQ(Problems(MakeFactor("rsi", Params({{"length", 0}, {"period", 3}}),
                                "factors[1]")
                         .status()),
            (std::vector<std::string>{
                "factors[1].params.length: must be in [1, 10000], got 0",
                "factors[1].params.period: unknown parameter; known "
                "parameters: length"}));
  EXPECT_EQ(
      Problems(MakeFactor("momentum", Params({{"skip", 300}}), "factors[2]")
                   .status()),
      (std::vector<std::string>{
          "factors[2].params: skip must be less than lookback (252), "
          "got 300"}));
}

// Any streaming computation is a factor: here the strategy library's WMA.
class WmaState : public FactorState {
 public:
  void Add(double, double, double close) override { wma_.Add(close); }
  std::optional<double> value() const override { return wma_.value(); }

 private:
  strategy::Wma wma_{2};
};

TEST(FactorsTest, ComputesOverAPanelWithEachSymbolsOwnBars) {
  const double nan = std::nan("");
  Panel panel;
  panel.symbols = {"AAA", "BBB"};
  panel.times = {1, 2, 3, 4};
  panel.close = {{10, 11, 12, 13}, {20, nan, 22, 24}};
  panel.high = panel.close;
  panel.low = panel.close;
  const PanelValues gaps =
      ComputeFactor(panel, Make("sma_gap", Params({{"length", 2}})));
  EXPECT_TRUE(std::isnan(gaps[0][0]));
  EXPECT_DOUBLE_EQ(gaps[0][1], 11 / 10.5 - 1);
  // BBB has no bar at time 2: nothing there, and its second bar is time 3.
  EXPECT_TRUE(std::isnan(gaps[1][1]));
  EXPECT_DOUBLE_EQ(gaps[1][2], 22 / 21.0 - 1);
  EXPECT_DOUBLE_EQ(gaps[1][3], 24 / 23.0 - 1);

  const Factor wma("wma(2)", 2, [] { return std::make_unique<WmaState>(); });
  const PanelValues weighted = ComputeFactor(panel, wma);
  // (1 * 20 + 2 * 22) / 3 at BBB's second bar.
  EXPECT_DOUBLE_EQ(weighted[1][2], (20 + 2 * 22) / 3.0);
}

}  // namespace
}  // namespace seed::research
