#include "services/coordinator/coordinator_metrics.h"

#include <filesystem>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/metrics.h"
#include "common/metrics_scrape.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/data/synthetic_market.h"

namespace seed::coordinator {
namespace {

std::string Page(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

v1::RunProgress Ended(const std::string& run_id, v1::RunState state,
                      const std::string& stage = "",
                      const std::string& reason = "") {
  v1::RunProgress progress;
  progress.set_run_id(run_id);
  progress.set_state(state);
  progress.mutable_summary()->mutable_error()->set_stage(stage);
  progress.mutable_summary()->mutable_error()->set_reason(reason);
  return progress;
}

TEST(CoordinatorMetricsTest, CountsRunsByStateFailuresAndBytes) {
  prometheus::Registry registry;
  CoordinatorMetrics metrics(registry);
  for (int i = 0; i < 3; ++i) metrics.RunQueued();
  metrics.RunStarted();
  metrics.RunStarted();
  std::string page = Page(registry);
  EXPECT_EQ(
      metrics::SampleValue(page, "seed_runs_active", {{"state", "QUEUED"}}), 1);
  EXPECT_EQ(
      metrics::SampleValue(page, "seed_runs_active", {{"state", "RUNNING"}}),
      2);

  metrics.RecordsSent("run-a", 1000);
  metrics.RecordsSent("run-a", 500);
  metrics.RunEnded(Ended("run-a", v1::SUCCEEDED));
  // A plug-in's stage and a reason that is not a code are folded.
  metrics.RunEnded(Ended("run-b", v1::FAILED, "my-plugin", "boom!"));
  metrics.RunStarted();
  metrics.RunEnded(Ended("run-c", v1::FAILED, "data", "NO_DATA_FILE"));
  page = Page(registry);
  EXPECT_EQ(
      metrics::SampleValue(page, "seed_runs_active", {{"state", "RUNNING"}}),
      0);
  EXPECT_EQ(
      metrics::SampleValue(page, "seed_runs_active", {{"state", "QUEUED"}}), 0);
  EXPECT_EQ(metrics::SampleValue(page, "seed_runs_finished_total",
                                 {{"state", "SUCCEEDED"}}),
            1);
  EXPECT_EQ(metrics::SampleValue(page, "seed_runs_finished_total",
                                 {{"state", "FAILED"}}),
            2);
  EXPECT_EQ(metrics::SampleValue(page, "seed_run_failures_total",
                                 {{"stage", "other"}, {"reason", "OTHER"}}),
            1)
      << page;
  EXPECT_EQ(
      metrics::SampleValue(page, "seed_run_failures_total",
                           {{"stage", "data"}, {"reason", "NO_DATA_FILE"}}),
      1);
  EXPECT_EQ(metrics::SampleValue(page, "seed_run_records_bytes_count"), 3);
  EXPECT_EQ(metrics::SampleValue(page, "seed_run_records_bytes_sum"), 1500);
  EXPECT_EQ(metrics::SampleValue(page, "seed_run_records_bytes_bucket",
                                 {{"le", "4096"}}),
            3);
  EXPECT_EQ(metrics::SampleValue(page, "seed_run_records_bytes_bucket",
                                 {{"le", "1024"}}),
            2);  // run-b and run-c sent nothing
}

TEST(CoordinatorMetricsTest, TimesStageCallsAndCountsSteps) {
  prometheus::Registry registry;
  CoordinatorMetrics metrics(registry);
  metrics.StageCall("execution.execute_steps", absl::Milliseconds(3));
  metrics.StageCall("execution.execute_steps", absl::Milliseconds(7));
  metrics.StageCall("data.open_dataset", absl::Milliseconds(20));
  metrics.StepsProcessed("strategy", 10, 50);
  metrics.StepsProcessed("data", 0, 400);
  metrics.StepsProcessed("results", 5, 5);  // not a stage with steps
  const std::string page = Page(registry);
  const std::map<std::string, std::string> execute = {
      {"stage", "execution"}, {"call", "execute_steps"}};
  EXPECT_EQ(
      metrics::SampleValue(page, "seed_stage_call_seconds_count", execute), 2);
  EXPECT_NEAR(
      *metrics::SampleValue(page, "seed_stage_call_seconds_sum", execute), 0.01,
      1e-9);
  EXPECT_EQ(metrics::SampleValue(page, "seed_stage_call_seconds_count",
                                 {{"stage", "data"}, {"call", "open_dataset"}}),
            1);
  EXPECT_EQ(metrics::SampleValue(page, "seed_stage_steps_total",
                                 {{"stage", "strategy"}}),
            10);
  EXPECT_EQ(metrics::SampleValue(page, "seed_stage_bars_total",
                                 {{"stage", "strategy"}}),
            50);
  EXPECT_EQ(
      metrics::SampleValue(page, "seed_stage_bars_total", {{"stage", "data"}}),
      400);
  EXPECT_EQ(
      metrics::SampleValue(page, "seed_stage_steps_total", {{"stage", "data"}}),
      0);
  EXPECT_EQ(metrics::SampleValue(page, "seed_stage_steps_total",
                                 {{"stage", "results"}}),
            std::nullopt);
}

// A run through a run manager and the traced stages feeds the process's
// metrics: one more SUCCEEDED run, its steps and bars by stage, its stage
// calls timed, its records' bytes observed, nothing left active.
TEST(CoordinatorMetricsTest, ARunFeedsTheProcessMetrics) {
  const std::filesystem::path directory =
      std::filesystem::path(::testing::TempDir()) / "coordinator_metrics";
  std::filesystem::remove_all(directory);
  data::SyntheticMarketOptions market;
  market.output_dir = (directory / "market").string();
  market.symbols = 2;
  market.trading_days = 300;
  ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());
  prometheus::Registry& registry = *metrics::ProcessRegistry();
  const std::string before = Page(registry);
  double steps_done = 0;
  {
    absl::StatusOr<Stages> stages =
        MakeEmbeddedStages((directory / "results.db").string());
    ASSERT_TRUE(stages.ok()) << stages.status();
    RunManager runs(*std::move(stages));
    absl::StatusOr<std::string> run_id = runs.Submit(
        absl::StrCat("data: {path: market, symbols: [",
                     data::SyntheticSymbolName(0), ", ",
                     data::SyntheticSymbolName(1),
                     "]}\n"
                     "strategy: {name: sma_cross, params: {fast: 5, slow: "
                     "20}}\n"
                     "portfolio: {initial_cash: 100000}\n"),
        directory.string());
    ASSERT_TRUE(run_id.ok()) << run_id.status();
    absl::StatusOr<v1::RunProgress> progress = runs.Wait(*run_id);
    ASSERT_TRUE(progress.ok()) << progress.status();
    ASSERT_EQ(progress->state(), v1::SUCCEEDED) << progress->DebugString();
    steps_done = static_cast<double>(progress->steps_done());
  }
  const std::string after = Page(registry);
  const auto delta = [&](absl::string_view name,
                         const std::map<std::string, std::string>& labels) {
    return metrics::SumOfSamples(after, name, labels) -
           metrics::SumOfSamples(before, name, labels);
  };
  EXPECT_EQ(delta("seed_runs_finished_total", {{"state", "SUCCEEDED"}}), 1);
  EXPECT_EQ(
      metrics::SampleValue(after, "seed_runs_active", {{"state", "RUNNING"}}),
      0);
  EXPECT_EQ(
      metrics::SampleValue(after, "seed_runs_active", {{"state", "QUEUED"}}),
      0);
  // The strategy saw every step once, and every bar read from the data;
  // the portfolio marks steps again after one where the strategy acted, and
  // execution sees only steps where orders work.
  const double bars_read = delta("seed_stage_bars_total", {{"stage", "data"}});
  EXPECT_EQ(bars_read, 2 * 245) << "2 symbols x 245 bars";
  EXPECT_EQ(delta("seed_stage_steps_total", {{"stage", "strategy"}}),
            steps_done);
  EXPECT_EQ(delta("seed_stage_bars_total", {{"stage", "strategy"}}), bars_read);
  EXPECT_GE(delta("seed_stage_steps_total", {{"stage", "portfolio"}}),
            steps_done);
  EXPECT_GT(delta("seed_stage_steps_total", {{"stage", "execution"}}), 0);
  EXPECT_LT(delta("seed_stage_steps_total", {{"stage", "execution"}}),
            steps_done);
  EXPECT_GE(delta("seed_stage_call_seconds_count",
                  {{"stage", "strategy"}, {"call", "on_steps"}}),
            1);
  EXPECT_EQ(delta("seed_stage_call_seconds_count",
                  {{"stage", "results"}, {"call", "finish_run"}}),
            1);
  EXPECT_EQ(delta("seed_run_records_bytes_count", {}), 1);
  EXPECT_GT(delta("seed_run_records_bytes_sum", {}), 300 * 20);
}

}  // namespace
}  // namespace seed::coordinator
