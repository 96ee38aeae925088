// Walk-forward end to end (issue 11): a rolling 300/100-bar analysis of a
// 2-point sweep on a synthetic market, with the stages in this process. The
// out-of-sample runs chain their cash, end flat, and the job stores a result
// whose stitched metrics end where the last out-of-sample run ends.
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/dataset_bars.h"
#include "common/version.h"
#include "gtest/gtest.h"
#include "research/job_runner.h"
#include "research/shard.h"
#include "research/walk_forward_job.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/coordinator/spec.h"
#include "services/coordinator/stored_records.h"
#include "services/data/synthetic_market.h"

namespace seed {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::backtest::v1;

class WalkForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::path(::testing::TempDir()) / "walk_forward";
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    data::SyntheticMarketOptions market;
    market.output_dir = (directory_ / "market").string();
    market.symbols = 1;
    market.seed = 11;
    market.trading_days = 1500;
    ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());
    absl::StatusOr<coordinator::Stages> stages =
        coordinator::MakeEmbeddedStages((directory_ / "results.db").string());
    ASSERT_TRUE(stages.ok()) << stages.status();
    runs_ = std::make_unique<coordinator::RunManager>(
        *std::move(stages), coordinator::RunOptions{},
        coordinator::RunManagerOptions{.max_concurrent_runs = 2});
  }

  fs::path directory_;
  std::unique_ptr<coordinator::RunManager> runs_;
};

TEST_F(WalkForwardTest, OutOfSampleRunsChainTheirCashAndEndFlat) {
  const std::string spec_text = absl::StrCat(
      "name: wf\n",
      "data: {path: ", (directory_ / "market").string(), ", symbols: [SYNA]}\n",
      "strategy: {name: sma_cross}\n"
      "portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, "
      "percent: 0.9}}\n"
      "sweep: {grid: {fast: [5, 10], slow: [30]}, objective: total_return}\n"
      "walk_forward: {mode: rolling, in_sample: \"300 bars\", "
      "out_of_sample: \"100 bars\"}\n");
  absl::StatusOr<v1::BacktestSpec> spec = coordinator::ParseSpec(spec_text, "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  v1::ListStrategiesResponse listed;
  ASSERT_TRUE(runs_->stages().strategy->ListStrategies({}, &listed).ok());
  strategy::ParamSchemas schema;
  for (const v1::StrategyInfo& info : listed.strategies()) {
    if (info.name() == "sma_cross") schema = info.params();
  }
  absl::StatusOr<cli::DatasetClock> clock = cli::ReadDatasetClock(
      *runs_->stages().data, spec->data(), "walk-forward-test");
  ASSERT_TRUE(clock.ok()) << clock.status();
  absl::StatusOr<research::WalkForwardPlan> plan = research::PlanWalkForward(
      *spec, schema, clock->times, clock->interval_seconds, "wf-job",
      EngineVersion());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_GE(plan->windows.size(), 2u) << "a chain needs two windows";
  v1::CreateJobRequest create;
  *create.mutable_job() = plan->job;
  v1::CreateJobResponse created;
  ASSERT_TRUE(runs_->stages().results->CreateJob(create, &created).ok());

  research::JobRunner runner(*runs_, 4);
  absl::StatusOr<research::WalkForwardOutcome> outcome =
      research::RunWalkForward(*plan, research::Shard{}, runner,
                               *runs_->stages().results, {});
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_TRUE(outcome->result.has_value());
  const v1::WalkForwardResult& result = *outcome->result;
  ASSERT_EQ(static_cast<size_t>(result.windows_size()), plan->windows.size());

  // Each out-of-sample run starts with the cash the previous one ended with
  // and holds nothing at its end.
  double carried = 100000;
  for (const v1::WalkForwardWindow& window : result.windows()) {
    SCOPED_TRACE(window.window());
    ASSERT_FALSE(window.out_of_sample_run().empty()) << window.note();
    absl::StatusOr<v1::GetRunResponse> run = coordinator::FetchRunWithRecords(
        *runs_->stages().results, window.out_of_sample_run());
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->run().state(), v1::SUCCEEDED);
    ASSERT_GT(run->equity_size(), 0);
    EXPECT_NEAR(run->equity(0).equity(), carried, 1e-9 * carried);
    for (const v1::Trade& trade : run->trades()) {
      EXPECT_NE(trade.exit_time(), 0) << "an out-of-sample trade left open";
    }
    carried = run->run().metrics().final_equity();
  }
  EXPECT_NEAR(result.stitched().final_equity(), carried, 1e-9 * carried);

  // The job reads back as SUCCEEDED with the same result.
  v1::GetJobRequest get;
  get.set_job_id("wf-job");
  v1::GetJobResponse job;
  ASSERT_TRUE(runs_->stages().results->GetJob(get, &job).ok());
  EXPECT_EQ(job.job().state(), v1::SUCCEEDED);
  EXPECT_EQ(job.job().result().walk_forward().windows_size(),
            result.windows_size());
}

}  // namespace
}  // namespace seed
