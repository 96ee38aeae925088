#include "services/portfolio/sizing.h"

#include "gtest/gtest.h"

namespace seed::portfolio {
namespace {

backtest::v1::SizingSpec Spec(const std::string& rule, double cash_buffer,
                              double percent) {
  backtest::v1::SizingSpec spec;
  spec.set_rule(rule);
  spec.set_cash_buffer(cash_buffer);
  spec.set_percent(percent);
  return spec;
}

TEST(SizingTest, AllInKeepsTheBufferAndRoundsDown) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<SizingRule> rule =
      MakeSizingRule(Spec("all_in", 0.01, 0), &problems);
  ASSERT_NE(rule, nullptr);
  // ORCL's close before a gap: 0.99 * 100000 / 3.875 = 25548.39 -> 25548.
  const SizingContext context{.available_cash = 100000, .close = 3.875};
  EXPECT_EQ(rule->Quantity(context), 25548);
  EXPECT_EQ(rule->Explain(context),
            "all_in: floor((1 - 0.01) * 100000.00 / 3.875) = 25548");
}

TEST(SizingTest, EmptyRuleMeansAllIn) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<SizingRule> rule = MakeSizingRule(Spec("", 0, 0), &problems);
  ASSERT_NE(rule, nullptr);
  // 1000 / 30 = 33.3 -> 33.
  EXPECT_EQ(rule->Quantity({.available_cash = 1000, .close = 30}), 33);
}

TEST(SizingTest, PercentOfEquityUsesEquityNotCash) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<SizingRule> rule =
      MakeSizingRule(Spec("percent_of_equity", 0, 0.25), &problems);
  ASSERT_NE(rule, nullptr);
  // 0.25 * 10000 / 30 = 83.3 -> 83, although only 100 in cash is available.
  const SizingContext context{
      .available_cash = 100, .equity = 10000, .close = 30};
  EXPECT_EQ(rule->Quantity(context), 83);
  EXPECT_EQ(rule->Explain(context),
            "percent_of_equity: floor(0.25 * 10000.00 / 30) = 83");
}

TEST(SizingTest, UnknownRuleListsTheAllowedOnes) {
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeSizingRule(Spec("kelly", 0, 0), &problems), nullptr);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "portfolio.sizing.rule");
  EXPECT_EQ(problems[0].description,
            "unknown rule \"kelly\"; allowed: all_in, percent_of_equity, "
            "fixed_quantity, fixed_notional, risk_per_trade, "
            "volatility_target");
}

TEST(SizingTest, ParametersOutOfRangeAreProblems) {
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeSizingRule(Spec("all_in", 1, 0), &problems), nullptr);
  EXPECT_EQ(MakeSizingRule(Spec("percent_of_equity", 0, 0), &problems),
            nullptr);
  EXPECT_EQ(MakeSizingRule(Spec("percent_of_equity", 0, 1.5), &problems),
            nullptr);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].field, "portfolio.sizing.cash_buffer");
  EXPECT_EQ(problems[1].field, "portfolio.sizing.percent");
  EXPECT_EQ(problems[2].field, "portfolio.sizing.percent");
}

TEST(SizingTest, FixedQuantityAndFixedNotional) {
  std::vector<FieldProblem> problems;
  backtest::v1::SizingSpec spec;
  spec.set_rule("fixed_quantity");
  spec.set_quantity(150);
  std::unique_ptr<SizingRule> fixed = MakeSizingRule(spec, &problems);
  ASSERT_NE(fixed, nullptr);
  EXPECT_EQ(fixed->Quantity({.equity = 10, .close = 30}), 150);
  spec.set_rule("fixed_notional");
  spec.set_notional(5000);
  std::unique_ptr<SizingRule> notional = MakeSizingRule(spec, &problems);
  ASSERT_NE(notional, nullptr);
  // 5000 / 30 = 166.7 -> 166.
  const SizingContext context{.close = 30};
  EXPECT_EQ(notional->Quantity(context), 166);
  EXPECT_EQ(notional->Explain(context),
            "fixed_notional: floor(5000.00 / 30) = 166");
  EXPECT_TRUE(problems.empty());
}

TEST(SizingTest, RiskPerTradeRisksAFractionOfEquityToTheStop) {
  std::vector<FieldProblem> problems;
  backtest::v1::SizingSpec spec;
  spec.set_rule("risk_per_trade");
  spec.set_risk_fraction(0.01);
  std::unique_ptr<SizingRule> rule = MakeSizingRule(spec, &problems);
  ASSERT_NE(rule, nullptr);
  EXPECT_TRUE(rule->NeedsStop());
  // 0.01 * 100000 = 1000 at risk; |50 - 47.5| = 2.5 a share -> 400 shares.
  const SizingContext context{
      .equity = 100000, .close = 50, .stop_distance = 2.5};
  EXPECT_EQ(rule->Quantity(context), 400);
  EXPECT_EQ(rule->Explain(context),
            "risk_per_trade: floor(0.01 * 100000.00 / |close - stop| 2.5) = "
            "400");
}

TEST(SizingTest, VolatilityTargetScalesByTheSymbolsVolatility) {
  std::vector<FieldProblem> problems;
  backtest::v1::SizingSpec spec;
  spec.set_rule("volatility_target");
  spec.set_target_volatility(0.1);
  spec.set_lookback(20);
  std::unique_ptr<SizingRule> rule = MakeSizingRule(spec, &problems);
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->VolatilityLookback(), 20);
  // 0.1 * 100000 / (0.25 * 40) = 1000 shares: a 25%-volatile stock held at
  // 10000 moves equity by 10% a year.
  EXPECT_EQ(rule->Quantity({.equity = 100000, .close = 40, .volatility = 0.25}),
            1000);
}

TEST(SizingTest, NewRulesCheckTheirFields) {
  std::vector<FieldProblem> problems;
  backtest::v1::SizingSpec spec;
  for (const char* rule : {"fixed_quantity", "fixed_notional",
                           "risk_per_trade", "volatility_target"}) {
    spec.set_rule(rule);
    EXPECT_EQ(MakeSizingRule(spec, &problems), nullptr) << rule;
  }
  std::vector<std::string> fields;
  for (const FieldProblem& problem : problems) fields.push_back(problem.field);
  EXPECT_EQ(fields, (std::vector<std::string>{
                        "portfolio.sizing.quantity", "portfolio.sizing.notional",
                        "portfolio.sizing.risk_fraction",
                        "portfolio.sizing.target_volatility",
                        "portfolio.sizing.lookback"}));
}

// Issue 15: percent: 30 meant 30%; the problem asks.
TEST(SizingTest, AWholePercentageIsAskedAbout) {
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeSizingRule(Spec("percent_of_equity", 0, 30), &problems),
            nullptr);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].description,
            "must be a fraction of equity in (0, 1], got 30; did you mean 30% "
            "or 0.3?");
}

}  // namespace
}  // namespace seed::portfolio
