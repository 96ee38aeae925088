#include "research/objective.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace seed::research {
namespace {

using ::backtest::v1::Metrics;

bool Has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(ObjectiveTest, ValidObjectivesAreMetricsScalarNumbers) {
  const std::vector<std::string> names = ObjectiveMetrics();
  for (const char* name :
       {"sharpe", "cagr", "total_return", "expectancy", "profit_factor",
        "sortino", "calmar", "max_drawdown", "win_rate", "trades",
        "final_equity", "max_drawdown_duration_steps", "alpha"}) {
    EXPECT_TRUE(Has(names, name)) << name;
  }
  // A text, messages and lists are not objectives.
  for (const char* name : {"benchmark", "sharpe_ci", "max_drawdown_detail",
                           "monthly_returns", "strategies"}) {
    EXPECT_FALSE(Has(names, name)) << name;
  }
  // In field order: initial_equity is field 1.
  EXPECT_EQ(names.front(), "initial_equity");
}

TEST(ObjectiveTest, ReadsSetUnsetAndIntegerMetrics) {
  Metrics metrics;
  metrics.set_total_return(0);
  metrics.set_trades(12);
  // sharpe is optional and unset: undefined, not 0.
  EXPECT_EQ(*ReadMetric(metrics, "sharpe"), std::nullopt);
  metrics.set_sharpe(0);
  EXPECT_EQ(*ReadMetric(metrics, "sharpe"), 0.0);
  // total_return has no presence: 0 is its value.
  EXPECT_EQ(*ReadMetric(metrics, "total_return"), 0.0);
  EXPECT_EQ(*ReadMetric(metrics, "trades"), 12.0);
  metrics.set_profit_factor(std::numeric_limits<double>::infinity());
  EXPECT_EQ(*ReadMetric(metrics, "profit_factor"), std::nullopt);

  const absl::StatusOr<std::optional<double>> unknown =
      ReadMetric(metrics, "sharp");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(unknown.status().message(),
                               "unknown metric \"sharp\"; one of: "
                               "initial_equity, final_equity, total_return, "
                               "cagr,"))
      << unknown.status();
  EXPECT_FALSE(ReadMetric(metrics, "benchmark").ok());
}

TEST(ObjectiveTest, ProblemsNameTheirFields) {
  Objective objective;
  objective.metric = "monthly_returns";
  objective.min_trades = -1;
  const std::vector<FieldProblem> problems =
      ObjectiveProblems(objective, "sweep.objective", "sweep.min_trades");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].field, "sweep.objective");
  EXPECT_TRUE(absl::StartsWith(problems[0].description,
                               "unknown metric \"monthly_returns\""));
  EXPECT_EQ(problems[1].field, "sweep.min_trades");
  EXPECT_EQ(problems[1].description, "must be >= 0, got -1");
  EXPECT_TRUE(ObjectiveProblems(Objective{}, "a", "b").empty());
}

Candidate Child(const std::string& key, std::optional<double> sharpe,
                int64_t trades, double max_drawdown = 0.1) {
  Metrics metrics;
  if (sharpe.has_value()) metrics.set_sharpe(*sharpe);
  metrics.set_trades(trades);
  metrics.set_max_drawdown(max_drawdown);
  return {key, metrics};
}

TEST(ObjectiveTest, RanksBestFirstAndSaysWhyOthersAreNot) {
  const std::vector<Candidate> candidates = {
      Child("{\"fast\":5}", 0.8, 30),
      Child("{\"fast\":10}", 1.4, 4),  // too few trades
      Child("{\"fast\":15}", 1.1, 25),
      {"{\"fast\":20}", std::nullopt},           // failed
      Child("{\"fast\":25}", std::nullopt, 40),  // no variance: undefined
      Child("{\"fast\":30}", 1.1, 12),           // ties with fast 15
  };
  Objective objective;
  objective.min_trades = 10;
  absl::StatusOr<std::vector<Ranked>> ranking = Rank(objective, candidates);
  ASSERT_TRUE(ranking.ok()) << ranking.status();
  ASSERT_EQ(ranking->size(), 6u);
  // 1.1 twice: {"fast":15} < {"fast":30} as text.
  const std::vector<size_t> order = {2, 5, 0, 1, 3, 4};
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ((*ranking)[i].index, order[i]) << i;
  }
  EXPECT_EQ((*ranking)[0].rank, 1);
  EXPECT_EQ((*ranking)[1].rank, 2);
  EXPECT_EQ((*ranking)[2].rank, 3);
  EXPECT_EQ((*ranking)[2].value, 0.8);
  EXPECT_EQ((*ranking)[2].standing, Standing::kRanked);
  EXPECT_TRUE((*ranking)[2].reason.empty());

  const Ranked& few = (*ranking)[3];
  EXPECT_EQ(few.rank, 0);
  EXPECT_EQ(few.standing, Standing::kTooFewTrades);
  EXPECT_EQ(few.value, 1.4);  // reported, though not eligible
  EXPECT_EQ(few.reason, "4 closed trades, fewer than the 10 required");
  EXPECT_EQ((*ranking)[4].standing, Standing::kNoMetrics);
  EXPECT_EQ((*ranking)[4].reason, "no metrics: the run did not succeed");
  EXPECT_EQ((*ranking)[5].standing, Standing::kUndefined);
  EXPECT_EQ((*ranking)[5].reason,
            "sharpe is undefined for this run (docs/metrics.md says when)");
}

TEST(ObjectiveTest, MinimizesWhenAsked) {
  const std::vector<Candidate> candidates = {
      Child("b", 1, 5, 0.30), Child("a", 1, 5, 0.10), Child("c", 1, 5, 0.10)};
  Objective objective;
  objective.metric = "max_drawdown";
  objective.direction = Direction::kMinimize;
  absl::StatusOr<std::vector<Ranked>> ranking = Rank(objective, candidates);
  ASSERT_TRUE(ranking.ok()) << ranking.status();
  EXPECT_EQ((*ranking)[0].index, 1u);  // 0.10, key "a"
  EXPECT_EQ((*ranking)[1].index, 2u);  // 0.10, key "c"
  EXPECT_EQ((*ranking)[2].index, 0u);  // 0.30

  objective.metric = "drawdown";
  EXPECT_EQ(Rank(objective, candidates).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seed::research
