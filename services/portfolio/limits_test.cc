#include "services/portfolio/limits.h"

#include <vector>

#include "gtest/gtest.h"

namespace seed::portfolio {
namespace {

Limits Make(const backtest::v1::LimitsSpec& spec) {
  std::vector<FieldProblem> problems;
  std::optional<Limits> limits = Limits::Make(spec, &problems);
  EXPECT_TRUE(problems.empty());
  return *limits;
}

TEST(LimitsTest, NoCapsAllowEverything) {
  const Limits limits = Make({});
  const CapOutcome outcome =
      limits.Allow({.equity = 1000, .close = 10}, 1, 5000);
  EXPECT_EQ(outcome.quantity, 5000);
  EXPECT_EQ(outcome.code, "");
  EXPECT_EQ(limits.policy(), BreachPolicy::kReduce);
}

TEST(LimitsTest, MaxPositionPercentCountsWhatIsHeld) {
  backtest::v1::LimitsSpec spec;
  spec.set_max_position_percent(0.2);
  // floor(0.2 * 80000 / 50) = 320 shares at most; 100 held -> 220 more.
  const CapOutcome outcome = Make(spec).Allow(
      {.equity = 80000, .close = 50, .symbol_quantity = 100}, 1, 500);
  EXPECT_EQ(outcome.quantity, 220);
  EXPECT_EQ(outcome.code, "MAX_POSITION_PERCENT");
  EXPECT_EQ(outcome.explanation,
            "max_position_percent 0.2: |position| may be floor(0.2 * 80000.00 "
            "/ 50) = 320 shares, 100 held or working");
  // A short mirrors it: -100 held, selling 500 more is capped at 220.
  EXPECT_EQ(Make(spec)
                .Allow({.equity = 80000, .close = 50, .symbol_quantity = -100},
                       -1, 500)
                .quantity,
            220);
}

TEST(LimitsTest, ReducingAPositionIsNeverCapped) {
  backtest::v1::LimitsSpec spec;
  spec.set_max_position_percent(0.01);
  spec.set_max_gross_exposure(0.1);
  const CapOutcome outcome = Make(spec).Allow(
      {.equity = 1000, .close = 50, .symbol_quantity = 100, .gross_value = 5000},
      -1, 100);
  EXPECT_EQ(outcome.quantity, 100);
  EXPECT_EQ(outcome.code, "");
}

TEST(LimitsTest, MaxPositionsRefusesANewSymbol) {
  backtest::v1::LimitsSpec spec;
  spec.set_max_positions(2);
  const Limits limits = Make(spec);
  EXPECT_EQ(limits.Allow({.equity = 1000, .close = 5, .open_symbols = 2}, 1, 10)
                .code,
            "MAX_POSITIONS");
  // Adding to one of the two is fine.
  EXPECT_EQ(limits
                .Allow({.equity = 1000,
                        .close = 5,
                        .symbol_quantity = 3,
                        .open_symbols = 2},
                       1, 10)
                .quantity,
            10);
}

TEST(LimitsTest, GrossAndNetExposure) {
  backtest::v1::LimitsSpec spec;
  spec.set_max_gross_exposure(1.5);
  spec.set_max_net_exposure(0.5);
  const Limits limits = Make(spec);
  // Gross: 1.5 * 10000 = 15000, 12000 used -> 3000 / 20 = 150 shares.
  // Net: long 8000 of at most 5000 -> no room to buy; room to sell short:
  // 5000 + 8000 = 13000 / 20 = 650.
  const Exposure exposure{.equity = 10000,
                          .close = 20,
                          .gross_value = 12000,
                          .net_value = 8000};
  const CapOutcome buy = limits.Allow(exposure, 1, 100);
  EXPECT_EQ(buy.quantity, 0);
  EXPECT_EQ(buy.code, "NET_EXPOSURE");
  const CapOutcome sell = limits.Allow(exposure, -1, 400);
  EXPECT_EQ(sell.quantity, 150);
  EXPECT_EQ(sell.code, "GROSS_EXPOSURE");
}

TEST(LimitsTest, BadFieldsAreProblems) {
  backtest::v1::LimitsSpec spec;
  spec.set_max_position_percent(-0.1);
  spec.set_max_positions(-1);
  spec.set_on_breach("ignore");
  std::vector<FieldProblem> problems;
  EXPECT_FALSE(Limits::Make(spec, &problems).has_value());
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].field, "portfolio.limits.max_position_percent");
  EXPECT_EQ(problems[1].field, "portfolio.limits.max_positions");
  EXPECT_EQ(problems[2].field, "portfolio.limits.on_breach");
  EXPECT_EQ(problems[2].description,
            "unknown policy \"ignore\"; allowed: reduce, reject, fail");
  spec.Clear();
  spec.set_on_breach("fail");
  EXPECT_EQ(Limits::Make(spec, &problems)->policy(), BreachPolicy::kFail);
}

}  // namespace
}  // namespace seed::portfolio
