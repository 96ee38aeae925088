// A sweep of 1,000 children over 3 symbols (issue 11, "Sizes"): every child
// is stored once, and the job reads back page by page (50 children a page,
// the ranking in order across pages) without any page holding more.
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/version.h"
#include "gtest/gtest.h"
#include "research/job_runner.h"
#include "research/sweep_plan.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/coordinator/spec.h"
#include "services/data/synthetic_market.h"

namespace seed {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::backtest::v1;

constexpr int kChildren = 1000;
constexpr int kPageSize = 50;

TEST(LargeSweepTest, AThousandChildrenAreStoredOnceAndReadBackInPages) {
  const fs::path directory = fs::path(::testing::TempDir()) / "large_sweep";
  fs::remove_all(directory);
  fs::create_directories(directory);
  data::SyntheticMarketOptions market;
  market.output_dir = (directory / "market").string();
  market.symbols = 3;
  market.seed = 3;
  market.trading_days = 250;
  ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());

  absl::StatusOr<coordinator::Stages> stages =
      coordinator::MakeEmbeddedStages((directory / "results.db").string());
  ASSERT_TRUE(stages.ok()) << stages.status();
  coordinator::RunManager runs(
      *std::move(stages), coordinator::RunOptions{},
      coordinator::RunManagerOptions{.max_concurrent_runs = 2,
                                     .kept_ended_runs = 4});
  // fast 2..41 x slow 50..74: 40 x 25 = 1,000 points.
  absl::StatusOr<v1::BacktestSpec> spec = coordinator::ParseSpec(
      absl::StrCat("name: large\n", "data: {path: ", market.output_dir,
                   ", symbols: [SYNA, SYNB, SYNC]}\n",
                   "strategy: {name: sma_cross}\n"
                   "sweep: {grid: {fast: {from: 2, to: 41, step: 1}, "
                   "slow: {from: 50, to: 74, step: 1}}, objective: sharpe}\n"),
      "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  v1::ListStrategiesResponse listed;
  ASSERT_TRUE(runs.stages().strategy->ListStrategies({}, &listed).ok());
  strategy::ParamSchemas schema;
  for (const v1::StrategyInfo& info : listed.strategies()) {
    if (info.name() == "sma_cross") schema = info.params();
  }
  absl::StatusOr<research::SweepPlan> plan =
      research::PlanSweep(*spec, schema, "large-job", EngineVersion());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->children.size(), static_cast<size_t>(kChildren));
  v1::CreateJobRequest create;
  *create.mutable_job() = plan->job;
  v1::CreateJobResponse created;
  ASSERT_TRUE(runs.stages().results->CreateJob(create, &created).ok());

  research::JobRunner runner(runs, 4);
  absl::StatusOr<std::vector<research::ChildOutcome>> outcomes =
      runner.Run(plan->job, plan->children, research::Shard{}, {});
  ASSERT_TRUE(outcomes.ok()) << outcomes.status();
  ASSERT_EQ(outcomes->size(), static_cast<size_t>(kChildren));
  for (const research::ChildOutcome& outcome : *outcomes) {
    ASSERT_EQ(outcome.state, v1::SUCCEEDED) << outcome.error.DebugString();
  }

  // Page by page, in ranking order: every child once, none twice.
  std::set<int64_t> seen;
  v1::GetJobRequest request;
  request.set_job_id("large-job");
  request.set_page_size(kPageSize);
  int64_t last_rank = 0;
  int pages = 0;
  for (;;) {
    v1::GetJobResponse page;
    ASSERT_TRUE(runs.stages().results->GetJob(request, &page).ok());
    ++pages;
    EXPECT_EQ(page.job().children_stored(), kChildren);
    EXPECT_EQ(page.job().state(), v1::SUCCEEDED);
    ASSERT_LE(page.children_size(), kPageSize);
    for (const v1::JobChild& child : page.children()) {
      EXPECT_TRUE(seen.insert(child.index()).second) << child.index();
      if (child.rank() > 0) {
        EXPECT_EQ(child.rank(), last_rank + 1) << "ranks run on across pages";
        last_rank = child.rank();
      }
    }
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kChildren));
  EXPECT_EQ(pages, kChildren / kPageSize);
  EXPECT_GT(last_rank, 0);
}

}  // namespace
}  // namespace seed
