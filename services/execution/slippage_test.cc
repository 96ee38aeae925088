#include "services/execution/slippage.h"

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
  EXPECT_EQ(model->Adjust(backtest::v1::BUY, 4.236), 4.236);
  EXPECT_EQ(model->Adjust(backtest::v1::SELL, 4.236), 4.236);
}

TEST(SlippageTest, FixedBpsWorksAgainstBothSides) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<SlippageModel> model =
      MakeSlippageModel(Spec("fixed_bps", 5), &problems);
  ASSERT_NE(model, nullptr);
  // 5 bps = 0.0005: buys pay 100 * 1.0005, sells get 100 * 0.9995.
  EXPECT_DOUBLE_EQ(model->Adjust(backtest::v1::BUY, 100.0), 100.05);
  EXPECT_DOUBLE_EQ(model->Adjust(backtest::v1::SELL, 100.0), 99.95);
}

TEST(SlippageTest, RejectsUnknownModelListingTheAllowedOnes) {
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeSlippageModel(Spec("atr", 3), &problems), nullptr);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "execution.slippage.model");
  EXPECT_EQ(problems[0].description,
            "unknown model \"atr\"; allowed: none, fixed_bps");
}

TEST(SlippageTest, RejectsNegativeBps) {
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeSlippageModel(Spec("fixed_bps", -2), &problems), nullptr);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "execution.slippage.bps");
}

}  // namespace
}  // namespace seed::execution
