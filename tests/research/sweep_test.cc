// Parameter sweeps (issue 11): a 3 x 3 grid over sma_cross, each child equal
// to a plain run of its parameters, ranked by its stored metrics, reused
// when run again, and split exactly over shards. On ORCL when the shared
// data is present, and always on a synthetic market.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/version.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "research/job_runner.h"
#include "research/objective.h"
#include "research/sweep_plan.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/coordinator/spec.h"
#include "services/coordinator/stored_records.h"
#include "services/data/synthetic_market.h"
#include "tests/stored_run.h"

namespace seed {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::backtest::v1;
using ::google::protobuf::util::MessageDifferencer;

fs::path Dir() { return fs::path(::testing::TempDir()) / "sweep"; }

std::string SpecText(const std::string& data, const std::string& extra = "") {
  return absl::StrCat(
      "name: sweep-test\n", "data: ", data, "\n",
      "strategy: {name: sma_cross}\n"
      "portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, "
      "percent: 0.5}}\n"
      "execution: {commission: {model: percent, bps: 10}}\n"
      "sweep: {grid: {fast: [5, 10, 15], slow: [30, 40, 50]}, objective: "
      "sharpe}\n",
      extra);
}

class SweepTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    fs::create_directories(Dir());
    if (GetParam() == "ORCL") {
      const char* shared = std::getenv("SHARED_DATA_DIR");
      if (shared == nullptr || !fs::exists(fs::path(shared) / "ORCL.csv")) {
        GTEST_SKIP() << "SHARED_DATA_DIR is not set or has no ORCL.csv: the "
                        "real-data sweep is skipped (the synthetic one ran)";
      }
      data_ = absl::StrCat("{path: ", shared, ", symbols: [ORCL]}");
    } else {
      data::SyntheticMarketOptions market;
      market.output_dir = (Dir() / "market").string();
      market.symbols = 3;
      market.seed = 5;
      market.trading_days = 900;
      ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());
      data_ = absl::StrCat("{path: ", market.output_dir,
                           ", symbols: [SYNA, SYNB, SYNC]}");
    }
    database_ = (Dir() / absl::StrCat(GetParam(), ".db")).string();
    fs::remove(database_);
  }

  std::unique_ptr<coordinator::RunManager> Runs(int workers) {
    absl::StatusOr<coordinator::Stages> stages =
        coordinator::MakeEmbeddedStages(database_);
    EXPECT_TRUE(stages.ok()) << stages.status();
    return std::make_unique<coordinator::RunManager>(
        *std::move(stages), coordinator::RunOptions{},
        coordinator::RunManagerOptions{.max_concurrent_runs = workers});
  }

  research::SweepPlan Plan(coordinator::RunManager& runs,
                           const std::string& job_id) {
    absl::StatusOr<v1::BacktestSpec> spec =
        coordinator::ParseSpec(SpecText(data_), "");
    EXPECT_TRUE(spec.ok()) << spec.status();
    v1::ListStrategiesResponse listed;
    EXPECT_TRUE(runs.stages().strategy->ListStrategies({}, &listed).ok());
    strategy::ParamSchemas schema;
    for (const v1::StrategyInfo& info : listed.strategies()) {
      if (info.name() == "sma_cross") schema = info.params();
    }
    absl::StatusOr<research::SweepPlan> plan =
        research::PlanSweep(*spec, schema, job_id, EngineVersion());
    EXPECT_TRUE(plan.ok()) << plan.status();
    v1::CreateJobRequest create;
    *create.mutable_job() = plan->job;
    v1::CreateJobResponse created;
    const absl::Status status =
        runs.stages().results->CreateJob(create, &created);
    EXPECT_TRUE(status.ok()) << status;
    return *plan;
  }

  std::vector<research::ChildOutcome> RunShard(coordinator::RunManager& runs,
                                               const research::SweepPlan& plan,
                                               research::Shard shard = {}) {
    research::JobRunner runner(runs, 4);
    absl::StatusOr<std::vector<research::ChildOutcome>> outcomes =
        runner.Run(plan.job, plan.children, shard, {});
    EXPECT_TRUE(outcomes.ok()) << outcomes.status();
    return outcomes.value_or(std::vector<research::ChildOutcome>{});
  }

  v1::GetJobResponse Job(coordinator::RunManager& runs,
                         const std::string& job_id) {
    v1::GetJobRequest request;
    request.set_job_id(job_id);
    request.set_page_size(100);
    v1::GetJobResponse response;
    const absl::Status status = runs.stages().results->GetJob(request, &response);
    EXPECT_TRUE(status.ok()) << status;
    return response;
  }

  std::string data_;
  std::string database_;
};

// Every child equals a plain run of its parameters and name: same
// fingerprint, trades, fills, equity and metrics (run ids and times aside).
TEST_P(SweepTest, EachChildEqualsAPlainRunOfItsParameters) {
  std::unique_ptr<coordinator::RunManager> runs = Runs(2);
  const research::SweepPlan plan = Plan(*runs, "sweep-equal");
  ASSERT_EQ(plan.children.size(), 9u);
  for (const research::ChildOutcome& outcome : RunShard(*runs, plan)) {
    EXPECT_EQ(outcome.state, v1::SUCCEEDED) << outcome.error.DebugString();
  }
  for (const research::ChildPlan& child : plan.children) {
    SCOPED_TRACE(child.run_id);
    const std::string plain = absl::StrCat(
        "name: \"", child.spec.name(), "\"\ndata: ", data_,
        "\nstrategy: {name: sma_cross, params: {fast: ",
        child.membership.params().at("fast").number(),
        ", slow: ", child.membership.params().at("slow").number(), "}}\n",
        "portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, "
        "percent: 0.5}}\n"
        "execution: {commission: {model: percent, bps: 10}}\n");
    const testing::StoredRun reference = testing::RunToEnd(*runs, plain);
    absl::StatusOr<v1::GetRunResponse> stored =
        coordinator::FetchRunWithRecords(*runs->stages().results,
                                         child.run_id);
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_EQ(stored->run().spec_hash(), reference.stored.run().spec_hash())
        << "a child's fingerprint is its plain run's";
    EXPECT_EQ(stored->run().data_hash(), reference.stored.run().data_hash());
    ASSERT_EQ(stored->trades_size(), reference.stored.trades_size());
    for (int i = 0; i < stored->trades_size(); ++i) {
      EXPECT_TRUE(MessageDifferencer::Equals(stored->trades(i),
                                             reference.stored.trades(i)));
    }
    ASSERT_EQ(stored->equity_size(), reference.stored.equity_size());
    EXPECT_TRUE(MessageDifferencer::Equals(stored->run().metrics(),
                                           reference.stored.run().metrics()));
  }
}

// The ranking is the children's stored Sharpe ratios, highest first.
TEST_P(SweepTest, TheRankingFollowsTheStoredMetrics) {
  std::unique_ptr<coordinator::RunManager> runs = Runs(2);
  const research::SweepPlan plan = Plan(*runs, "sweep-rank");
  RunShard(*runs, plan);
  const v1::GetJobResponse job = Job(*runs, "sweep-rank");
  EXPECT_EQ(job.job().state(), v1::SUCCEEDED);
  EXPECT_EQ(job.job().children_stored(), 9);
  ASSERT_EQ(job.children_size(), 9);
  double previous = std::numeric_limits<double>::infinity();
  int64_t expected_rank = 1;
  for (const v1::JobChild& child : job.children()) {
    absl::StatusOr<v1::GetRunResponse> stored =
        coordinator::FetchRunWithRecords(*runs->stages().results,
                                         child.run_id());
    ASSERT_TRUE(stored.ok());
    if (child.rank() == 0) {
      EXPECT_FALSE(stored->run().metrics().has_sharpe()) << child.run_id();
      continue;
    }
    EXPECT_EQ(child.rank(), expected_rank++);
    ASSERT_TRUE(stored->run().metrics().has_sharpe());
    EXPECT_EQ(child.objective(), stored->run().metrics().sharpe());
    EXPECT_LE(child.objective(), previous);
    previous = child.objective();
    EXPECT_EQ(child.trades(), stored->run().metrics().trades());
  }
}

// A job run again reuses every stored child; shards split it exactly.
TEST_P(SweepTest, ChildrenAreReusedAndShardsSplitTheJobExactly) {
  std::unique_ptr<coordinator::RunManager> runs = Runs(2);
  research::SweepPlan plan = Plan(*runs, "sweep-shards");
  std::set<int64_t> seen;
  for (int64_t shard = 0; shard < 2; ++shard) {
    for (const research::ChildOutcome& outcome :
         RunShard(*runs, plan, {shard, 2, "--shard"})) {
      EXPECT_EQ(outcome.index % 2, shard);
      EXPECT_FALSE(outcome.reused);
      EXPECT_TRUE(seen.insert(outcome.index).second);
    }
  }
  EXPECT_EQ(seen.size(), 9u);
  // Run again (a shard whose node died and was requeued): nothing runs.
  plan = Plan(*runs, "sweep-shards");
  const std::vector<research::ChildOutcome> again = RunShard(*runs, plan);
  ASSERT_EQ(again.size(), 9u);
  for (const research::ChildOutcome& outcome : again) {
    EXPECT_TRUE(outcome.reused) << outcome.run_id;
  }
  v1::ListRunsRequest list;
  list.set_parent("sweep-shards");
  list.set_limit(100);
  v1::ListRunsResponse children;
  ASSERT_TRUE(runs->stages().results->ListRuns(list, &children).ok());
  EXPECT_EQ(children.runs_size(), 9);
}

INSTANTIATE_TEST_SUITE_P(Markets, SweepTest,
                         ::testing::Values("synthetic", "ORCL"));

}  // namespace
}  // namespace seed
