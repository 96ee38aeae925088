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
            "unknown rule \"kelly\"; allowed: all_in, percent_of_equity");
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

}  // namespace
}  // namespace seed::portfolio
