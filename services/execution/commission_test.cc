#include "services/execution/commission.h"

#include "gtest/gtest.h"

namespace seed::execution {
namespace {

backtest::v1::CommissionSpec Spec(const std::string& model, double bps) {
  backtest::v1::CommissionSpec spec;
  spec.set_model(model);
  spec.set_bps(bps);
  return spec;
}

TEST(CommissionTest, EmptyNameMeansNone) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<CommissionModel> model =
      MakeCommissionModel(Spec("", 0), &problems);
  ASSERT_NE(model, nullptr);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(model->Commission(100, 50.0), 0.0);
}

TEST(CommissionTest, PercentChargesBasisPointsOfTradedValue) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<CommissionModel> model =
      MakeCommissionModel(Spec("percent", 10), &problems);
  ASSERT_NE(model, nullptr);
  // 100 * 50 = 5000 traded; 10 bps = 0.001 of it = 5.
  EXPECT_DOUBLE_EQ(model->Commission(100, 50.0), 5.0);
  // 25548 * 4.236 = 108221.328; 0.001 of it = 108.221328.
  EXPECT_DOUBLE_EQ(model->Commission(25548, 4.236), 108.221328);
}

TEST(CommissionTest, ReportsUnknownModelAndNegativeBpsTogether) {
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeCommissionModel(Spec("flat", -1), &problems), nullptr);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].field, "execution.commission.bps");
  EXPECT_EQ(problems[1].field, "execution.commission.model");
  EXPECT_EQ(problems[1].description,
            "unknown model \"flat\"; allowed: none, percent");
}

}  // namespace
}  // namespace seed::execution
