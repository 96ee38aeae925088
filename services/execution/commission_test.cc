#include "services/execution/commission.h"

#include <string>
#include <utility>
#include <vector>

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
  EXPECT_EQ(model->Commission(100, 50.0, 0), 0.0);
}

TEST(CommissionTest, PercentChargesBasisPointsOfTradedValue) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<CommissionModel> model =
      MakeCommissionModel(Spec("percent", 10), &problems);
  ASSERT_NE(model, nullptr);
  // 100 * 50 = 5000 traded; 10 bps = 0.001 of it = 5.
  EXPECT_DOUBLE_EQ(model->Commission(100, 50.0, 0), 5.0);
  // 25548 * 4.236 = 108221.328; 0.001 of it = 108.221328.
  EXPECT_DOUBLE_EQ(model->Commission(25548, 4.236, 0), 108.221328);
}

TEST(CommissionTest, UnknownModelListsTheChoices) {
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeCommissionModel(Spec("flat", 1), &problems), nullptr);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "execution.commission.model");
  EXPECT_EQ(problems[0].description,
            "unknown model \"flat\"; allowed: none, percent, per_share, "
            "tiered");
}

TEST(CommissionTest, PercentRejectsNegativeBps) {
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeCommissionModel(Spec("percent", -1), &problems), nullptr);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "execution.commission.bps");
}

backtest::v1::CommissionSpec PerShare(double per_share, double minimum,
                                      double maximum_percent) {
  backtest::v1::CommissionSpec spec;
  spec.set_model("per_share");
  spec.set_per_share(per_share);
  spec.set_minimum(minimum);
  spec.set_maximum_percent(maximum_percent);
  return spec;
}

// Interactive Brokers' tiered US stock rates, shortened to three tiers.
backtest::v1::CommissionSpec Tiered() {
  backtest::v1::CommissionSpec spec;
  spec.set_model("tiered");
  spec.set_minimum(0.35);
  for (const auto& [bound, rate] : {std::pair<double, double>{300000, 0.0035},
                                    {3000000, 0.002},
                                    {0, 0.0015}}) {
    backtest::v1::CommissionTier* tier = spec.add_tiers();
    tier->set_up_to_monthly_shares(bound);
    tier->set_per_share(rate);
  }
  return spec;
}

TEST(CommissionTest, PerShareWithMinimumAndCap) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<CommissionModel> model =
      MakeCommissionModel(PerShare(0.005, 1.0, 0.01), &problems);
  ASSERT_NE(model, nullptr);
  // 1000 * 0.005 = 5 (above the minimum 1, below the cap 0.01 * 50000).
  EXPECT_DOUBLE_EQ(model->Commission(1000, 50.0, 0), 5.0);
  // 100 * 0.005 = 0.5 -> the minimum 1 (cap 0.01 * 5000 = 50).
  EXPECT_DOUBLE_EQ(model->Commission(100, 50.0, 0), 1.0);
  // 10 * 0.005 = 0.05 -> minimum 1 -> cap 0.01 * 10 * 5 = 0.5 wins.
  EXPECT_DOUBLE_EQ(model->Commission(10, 5.0, 0), 0.5);
}

TEST(CommissionTest, TieredRateFollowsTheMonthsSharesBeforeTheFill) {
  std::vector<FieldProblem> problems;
  std::unique_ptr<CommissionModel> model =
      MakeCommissionModel(Tiered(), &problems);
  ASSERT_NE(model, nullptr) << problems.size();
  // 1000 * 0.0035 = 3.5: the first tier while fewer than 300000 were traded,
  // even when this fill crosses the bound.
  EXPECT_DOUBLE_EQ(model->Commission(1000, 20.0, 0), 3.5);
  EXPECT_DOUBLE_EQ(model->Commission(1000, 20.0, 299999), 3.5);
  // At 300000 the second tier: 1000 * 0.002 = 2.
  EXPECT_DOUBLE_EQ(model->Commission(1000, 20.0, 300000), 2.0);
  // The last tier has no bound: 1000 * 0.0015 = 1.5.
  EXPECT_DOUBLE_EQ(model->Commission(1000, 20.0, 5000000), 1.5);
  // 100 * 0.0015 = 0.15 -> the minimum 0.35.
  EXPECT_DOUBLE_EQ(model->Commission(100, 20.0, 5000000), 0.35);
}

TEST(CommissionTest, TieredReportsEveryBadTierWithItsPath) {
  backtest::v1::CommissionSpec spec = Tiered();
  spec.mutable_tiers(1)->set_per_share(-0.002);
  spec.mutable_tiers(1)->set_up_to_monthly_shares(1000);
  spec.set_maximum_percent(2);
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeCommissionModel(spec, &problems), nullptr);
  std::vector<std::string> fields;
  for (const FieldProblem& problem : problems) fields.push_back(problem.field);
  EXPECT_EQ(fields, (std::vector<std::string>{
                        "execution.commission.tiers[1].per_share",
                        "execution.commission.tiers[1].up_to_monthly_shares",
                        "execution.commission.maximum_percent"}));
  EXPECT_EQ(problems[1].description,
            "must be above the previous tier's bound (300000), got 1000");
}

TEST(CommissionTest, TieredNeedsTiers) {
  backtest::v1::CommissionSpec spec;
  spec.set_model("tiered");
  std::vector<FieldProblem> problems;
  EXPECT_EQ(MakeCommissionModel(spec, &problems), nullptr);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "execution.commission.tiers");
}

}  // namespace
}  // namespace seed::execution
