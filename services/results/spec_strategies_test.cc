#include "services/results/spec_strategies.h"

#include "gtest/gtest.h"

namespace seed::results {
namespace {

TEST(SpecStrategiesTest, ListsTheStrategiesOfARunOfSeveral) {
  // As the coordinator prints a canonical spec: proto field names, every
  // field present.
  const absl::StatusOr<std::vector<backtest::v1::StrategySpec>> strategies =
      SpecStrategies(R"({"name": "two", "strategy": null, "strategies": [
          {"name": "sma_cross", "params": {"fast": {"number": 10}},
           "address": "", "id": "fast", "allocation": 0.6},
          {"name": "momentum", "params": {}, "address": "", "id": "slow",
           "allocation": 0.4}],
        "portfolio": {"initial_cash": 1000}})");
  ASSERT_TRUE(strategies.ok()) << strategies.status();
  ASSERT_EQ(strategies->size(), 2);
  EXPECT_EQ((*strategies)[0].id(), "fast");
  EXPECT_EQ((*strategies)[0].name(), "sma_cross");
  EXPECT_DOUBLE_EQ((*strategies)[0].allocation(), 0.6);
  EXPECT_EQ((*strategies)[1].id(), "slow");
  EXPECT_DOUBLE_EQ((*strategies)[1].allocation(), 0.4);
}

TEST(SpecStrategiesTest, ARunOfOneAndNoSpecListNone) {
  for (const char* spec :
       {"", R"({"strategy": {"name": "sma_cross"}, "strategies": []})",
        R"({"strategy": {"name": "sma_cross"}})"}) {
    const absl::StatusOr<std::vector<backtest::v1::StrategySpec>> strategies =
        SpecStrategies(spec);
    ASSERT_TRUE(strategies.ok()) << spec << ": " << strategies.status();
    EXPECT_TRUE(strategies->empty()) << spec;
  }
}

// spec.proto: an id defaults to the strategy's name.
TEST(SpecStrategiesTest, AnIdDefaultsToTheName) {
  const absl::StatusOr<std::vector<backtest::v1::StrategySpec>> strategies =
      SpecStrategies(R"({"strategies": [{"name": "sma_cross"},
                                        {"name": "momentum", "id": "m"}]})");
  ASSERT_TRUE(strategies.ok()) << strategies.status();
  ASSERT_EQ(strategies->size(), 2);
  EXPECT_EQ((*strategies)[0].id(), "sma_cross");
  EXPECT_EQ((*strategies)[1].id(), "m");
}

// A spec from a newer coordinator still reads.
TEST(SpecStrategiesTest, IgnoresFieldsItDoesNotKnow) {
  const absl::StatusOr<std::vector<backtest::v1::StrategySpec>> strategies =
      SpecStrategies(
          R"({"strategies": [{"id": "a", "weight_cap": 2}], "later": {}})");
  ASSERT_TRUE(strategies.ok()) << strategies.status();
  ASSERT_EQ(strategies->size(), 1);
  EXPECT_EQ((*strategies)[0].id(), "a");
}

TEST(SpecStrategiesTest, TextThatIsNotASpecFails) {
  for (const char* spec : {"name: yaml", R"({"strategies": 3})", "{"}) {
    const absl::StatusOr<std::vector<backtest::v1::StrategySpec>> strategies =
        SpecStrategies(spec);
    ASSERT_FALSE(strategies.ok()) << spec;
    EXPECT_EQ(strategies.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(strategies.status().message().find(
                  "is not a backtest.v1.BacktestSpec in JSON"),
              std::string::npos)
        << strategies.status();
  }
}

}  // namespace
}  // namespace seed::results
