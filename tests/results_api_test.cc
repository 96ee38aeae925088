// The results API for leases, paging and research jobs over gRPC: a real
// results_server process, called through the coordinator's remote results
// stage (remote_stages.h), so the service adapter, the stubs and the stage
// errors crossing the wire are what a coordinator or a shard sees.
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/health_client.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "services/coordinator/remote_stages.h"
#include "tests/child_process.h"

namespace seed {
namespace {

namespace v1 = ::backtest::v1;

std::string Reason(const absl::Status& status) {
  return ToStageError(status, "").reason();
}

class ResultsApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::filesystem::path dir =
        std::filesystem::path(::testing::TempDir()) / "results_api";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    address_ = absl::StrCat("127.0.0.1:", testing::FreePort());
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> server =
        testing::ChildProcess::Start(
            {"services/results/results_server",
             absl::StrCat("--db=", (dir / "results.db").string()),
             absl::StrCat("--listen=", address_)},
            (dir / "results_server.log").string());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    const absl::Status serving = WaitUntilServing(address_, absl::Seconds(60));
    ASSERT_TRUE(serving.ok()) << serving << "\n" << server_->Log();
  }
  static void TearDownTestSuite() { delete server_; }

  void SetUp() override {
    coordinator::ServiceAddresses addresses;
    addresses.results = address_;
    stages_ = coordinator::MakeRemoteStages(addresses);
  }

  coordinator::ResultsStage& results() { return *stages_.results; }

  static inline testing::ChildProcess* server_ = nullptr;
  static inline std::string address_;
  coordinator::Stages stages_;
};

v1::BeginRunRequest BeginChild(const std::string& run_id, int64_t index) {
  v1::BeginRunRequest request;
  request.mutable_run()->set_run_id(run_id);
  request.mutable_run()->set_state(v1::QUEUED);
  request.mutable_run()->set_strategy("sma_cross");
  request.set_initial_cash(1000);
  request.mutable_job()->set_job_id("job-1");
  request.mutable_job()->set_index(index);
  (*request.mutable_job()->mutable_params())["fast"].set_number(5 + index);
  return request;
}

TEST_F(ResultsApiTest, AShardsCallsReachTheStoreAndItsRefusalsComeBack) {
  v1::CreateJobRequest create;
  v1::Job& job = *create.mutable_job();
  job.set_job_id("job-1");
  job.set_kind(v1::SWEEP);
  job.set_spec_hash("spec");
  job.set_children_expected(2);
  job.add_params("fast");
  job.set_objective("total_return");
  v1::CreateJobResponse created;
  ASSERT_TRUE(results().CreateJob(create, &created).ok());
  EXPECT_EQ(created.job().state(), v1::RUNNING);
  create.mutable_job()->set_spec_hash("other");
  const absl::Status differs = results().CreateJob(create, &created);
  EXPECT_EQ(differs.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Reason(differs), "JOB_SPEC_DIFFERS") << differs;

  for (int index = 0; index < 2; ++index) {
    const std::string run_id = absl::StrCat("child-", index);
    v1::BeginRunResponse begun;
    ASSERT_TRUE(results().BeginRun(BeginChild(run_id, index), &begun).ok());
    v1::UpdateRunRequest update;
    update.set_run_id(run_id);
    update.set_data_hash("data");
    update.set_interval_seconds(86400);
    update.set_state(v1::RUNNING);
    update.set_steps_done(2);
    v1::UpdateRunResponse updated;
    ASSERT_TRUE(results().UpdateRun(update, &updated).ok());
    v1::AppendRecordsRequest records;
    records.set_run_id(run_id);
    for (int step = 0; step < 2; ++step) {
      v1::EquityPoint* point = records.add_equity();
      point->set_time(1420070400 + step * 86400);
      point->set_cash(1000);
      point->set_equity(step == 0 ? 1000 : 1100 + 100 * index);
    }
    v1::AppendRecordsResponse appended;
    ASSERT_TRUE(results().AppendRecords(records, &appended).ok());
    v1::FinishRunRequest finish;
    finish.set_run_id(run_id);
    finish.set_state(v1::SUCCEEDED);
    v1::FinishRunResponse finished;
    ASSERT_TRUE(results().FinishRun(finish, &finished).ok());
  }
  v1::BeginRunResponse begun;
  const absl::Status again =
      results().BeginRun(BeginChild("child-0", 0), &begun);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Reason(again), "CHILD_ALREADY_SUCCEEDED") << again;

  v1::GetJobRequest get;
  get.set_job_id("job");
  get.set_page_size(1);
  v1::GetJobResponse page;
  ASSERT_TRUE(results().GetJob(get, &page).ok());
  EXPECT_EQ(page.job().state(), v1::SUCCEEDED);
  ASSERT_EQ(page.children_size(), 1);
  EXPECT_EQ(page.children(0).run_id(), "child-1");
  EXPECT_EQ(page.children(0).rank(), 1);
  EXPECT_DOUBLE_EQ(page.children(0).objective(), 0.2);
  get.set_page_token(page.next_page_token());
  ASSERT_TRUE(results().GetJob(get, &page).ok());
  ASSERT_EQ(page.children_size(), 1);
  EXPECT_EQ(page.children(0).run_id(), "child-0");
  EXPECT_TRUE(page.next_page_token().empty());

  v1::ListJobsRequest list_jobs;
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(results().ListJobs(list_jobs, &jobs).ok());
  ASSERT_EQ(jobs.jobs_size(), 1);
  EXPECT_EQ(jobs.jobs(0).children_stored(), 2);

  v1::ListRunsRequest list;
  list.set_parent("job-1");
  list.set_limit(1);
  v1::ListRunsResponse runs;
  ASSERT_TRUE(results().ListRuns(list, &runs).ok());
  ASSERT_EQ(runs.runs_size(), 1);
  EXPECT_EQ(runs.runs(0).run_id(), "child-0");
  EXPECT_FALSE(runs.next_page_token().empty());

  v1::ListRunRecordsRequest records;
  records.set_run_id("child-1");
  records.set_kind(v1::EQUITY);
  records.set_page_size(1);
  v1::ListRunRecordsResponse equity;
  ASSERT_TRUE(results().ListRunRecords(records, &equity).ok());
  ASSERT_EQ(equity.equity_size(), 1);
  records.set_page_token(equity.next_page_token());
  ASSERT_TRUE(results().ListRunRecords(records, &equity).ok());
  ASSERT_EQ(equity.equity_size(), 1);
  EXPECT_DOUBLE_EQ(equity.equity(0).equity(), 1200);
  records.set_page_token("not-a-token");
  const absl::Status token = results().ListRunRecords(records, &equity);
  EXPECT_EQ(token.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(token), "INVALID_PAGE_TOKEN") << token;

  v1::StoreJobResultRequest store;
  store.set_job_id("job-9");
  store.mutable_result()->mutable_monte_carlo()->set_trades(3);
  v1::StoreJobResultResponse stored;
  const absl::Status unknown = results().StoreJobResult(store, &stored);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Reason(unknown), "UNKNOWN_JOB") << unknown;
}

}  // namespace
}  // namespace seed
