#include "services/execution/slippage.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace seed::execution {
namespace {

backtest::v1::SlippageSpec Spec(const std::string& model, double bps) {
  backtest::v1::SlippageSpec spec;
  spec.set_model(model);
  spec.set_bps(bps);
  return spec;
}

TEST(SlippageTest, NoneKeepsThePrice) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<SlippageModel> model =
      MakeSlippageModel(Spec("none", 0), &problems);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->Adjust(backtest::v1::BUY, 4.236, {}), 4.236);
  EXPECT_EQ(model->Adjust(backtest::v1::SELL, 4.236, {}), 4.236);
}

TEST(SlippageTest, FixedBpsWorksAgainstBothSides) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<SlippageModel> model =
      MakeSlippageModel(Spec("fixed_bps", 5), &problems);
  ASSERT_NE(model, nullptr);
  // 5 bps = 0.0005: buys pay 100 * 1.0005, sells get 100 * 0.9995.
  EXPECT_DOUBLE_EQ(model->Adjust(backtest::v1::BUY, 100.0, {}), 100.05);
  EXPECT_DOUBLE_EQ(model->Adjust(backtest::v1::SELL, 100.0, {}), 99.95);
}

TEST(SlippageTest, RejectsUnknownModelListingTheAllowedOnes) {
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeSlippageModel(Spec("atr", 3), &problems), nullptr);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "execution.slippage.model");
  EXPECT_EQ(problems[0].description,
            "unknown model \"atr\"; allowed: none, fixed_bps, "
            "range_fraction, atr_fraction");
}

TEST(SlippageTest, RejectsNegativeBps) {
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeSlippageModel(Spec("fixed_bps", -2), &problems), nullptr);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "execution.slippage.bps");
}

TEST(SlippageTest, RangeFractionTakesAShareOfTheBarsRange) {
  backtest::v1::SlippageSpec spec;
  spec.set_model("range_fraction");
  spec.set_fraction(0.1);
  std::vector<FieldProblem> problems;
  std::unique_ptr<SlippageModel> model = MakeSlippageModel(spec, &problems);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->atr_length(), 0);
  // Range 12 - 10 = 2; 0.1 of it = 0.2 against the order.
  const SlippageInputs bar{.high = 12, .low = 10};
  EXPECT_DOUBLE_EQ(model->Adjust(backtest::v1::BUY, 11.0, bar), 11.2);
  EXPECT_DOUBLE_EQ(model->Adjust(backtest::v1::SELL, 11.0, bar), 10.8);
}

TEST(SlippageTest, AtrFractionTakesAShareOfTheAtrAndAsksForIt) {
  backtest::v1::SlippageSpec spec;
  spec.set_model("atr_fraction");
  spec.set_fraction(0.5);
  std::vector<FieldProblem> problems;
  std::unique_ptr<SlippageModel> model = MakeSlippageModel(spec, &problems);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->atr_length(), 14);  // the default
  // 0.5 * ATR 2 = 1 against the order.
  const SlippageInputs bar{.high = 105, .low = 95, .atr = 2};
  EXPECT_DOUBLE_EQ(model->Adjust(backtest::v1::BUY, 100.0, bar), 101.0);
  EXPECT_DOUBLE_EQ(model->Adjust(backtest::v1::SELL, 100.0, bar), 99.0);
}

TEST(SlippageTest, FractionsOutOfRangeAreReported) {
  backtest::v1::SlippageSpec spec;
  spec.set_model("range_fraction");
  spec.set_fraction(1.5);
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeSlippageModel(spec, &problems), nullptr);
  spec.set_model("atr_fraction");
  spec.set_fraction(-1);
  spec.set_atr_length(-3);
  EXPECT_EQ(MakeSlippageModel(spec, &problems), nullptr);
  std::vector<std::string> fields;
  for (const FieldProblem& problem : problems) fields.push_back(problem.field);
  EXPECT_EQ(fields,
            (std::vector<std::string>{"execution.slippage.fraction",
                                      "execution.slippage.fraction",
                                      "execution.slippage.atr_length"}));
}

}  // namespace
}  // namespace seed::execution
