// RunTest: a fixture for end-to-end runs through the embedded stages on
// hand-made series written into a scratch directory per test, with helpers
// to write bars, make a spec, run it to the end and read what was stored.
// Test-only. Not thread-safe.
#ifndef SEED_SERVICES_COORDINATOR_RUN_TEST_FIXTURE_H_
#define SEED_SERVICES_COORDINATOR_RUN_TEST_FIXTURE_H_

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/run_manager.h"

namespace seed::coordinator {

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        std::filesystem::path(::testing::TempDir()) /
        ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_ / "data");
    absl::StatusOr<Stages> stages =
        MakeEmbeddedStages((directory_ / "results.db").string());
    ASSERT_TRUE(stages.ok()) << stages.status();
    runs_ = std::make_unique<RunManager>(*std::move(stages));
  }

  // Writes SYMBOL.csv from (open, close) pairs, one weekday each from
  // 2020-01-06; high and low sit one above and below.
  void WriteBars(const std::string& symbol,
                 const std::vector<std::pair<double, double>>& bars) {
    std::ofstream file(directory_ / "data" / (symbol + ".csv"));
    file << "date,open,high,low,close,volume\n";
    int day = 6;
    for (const auto& [open, close] : bars) {
      file << "2020-01-" << (day < 10 ? "0" : "") << day << "," << open << ","
           << std::max(open, close) + 1 << "," << std::min(open, close) - 1
           << "," << close << ",1000\n";
      ++day;
    }
  }

  std::string Spec(const std::string& symbols, const std::string& extra = "") {
    return "name: hand\n"
           "data: {path: data, symbols: [" +
           symbols +
           "]}\n"
           "strategy: {name: sma_cross, params: {fast: 2, slow: 3}}\n"
           "portfolio: {initial_cash: 10000, sizing: {rule: all_in, "
           "cash_buffer: 0.01}}\n"
           "execution: {commission: {model: percent, bps: 10}}\n" +
           extra;
  }

  v1::RunProgress RunToEnd(const std::string& spec) {
    absl::StatusOr<std::string> run_id =
        runs_->Submit(spec, directory_.string());
    EXPECT_TRUE(run_id.ok()) << run_id.status();
    if (!run_id.ok()) return {};
    absl::StatusOr<v1::RunProgress> progress = runs_->Wait(*run_id);
    EXPECT_TRUE(progress.ok()) << progress.status();
    return *progress;
  }

  v1::GetRunResponse Stored(const std::string& run_id) {
    v1::GetRunRequest request;
    request.set_run_id(run_id);
    request.set_include_records(true);
    v1::GetRunResponse response;
    const absl::Status status =
        runs_->stages().results->GetRun(request, &response);
    EXPECT_TRUE(status.ok()) << status;
    return response;
  }

  v1::Trace StoredTrace(const std::string& run_id) {
    v1::GetTraceRequest request;
    request.set_run_id(run_id);
    v1::GetTraceResponse response;
    const absl::Status status =
        runs_->stages().results->GetTrace(request, &response);
    EXPECT_TRUE(status.ok()) << status;
    return response.trace();
  }

  std::filesystem::path directory_;
  std::unique_ptr<RunManager> runs_;
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_RUN_TEST_FIXTURE_H_
