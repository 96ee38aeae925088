// Research jobs through the results engine, on both drivers: creating
// them, their state and ranking derived from the children as stored (with
// metrics the engine computes), their children page by page, and a job of
// 1,000 children whose first page reads no record.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "services/results/results_engine.h"
#include "services/results/run_store_test_util.h"
#include "services/results/test_database.h"

namespace seed::results {
namespace {

using ::backtest::v1::GetJobRequest;
using ::backtest::v1::GetJobResponse;
using ::backtest::v1::Job;

constexpr int64_t kDay = 86400;
constexpr int64_t kStart = 1420070400;  // 2015-01-01

class ResultsEngineJobsTest : public ::testing::TestWithParam<Driver> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> path = FreshDatabase(GetParam());
    ASSERT_TRUE(path.ok()) << path.status();
    path_ = *path;
    engine_ = Open();
    ASSERT_NE(engine_, nullptr);
  }

  std::unique_ptr<ResultsEngine> Open() {
    absl::StatusOr<std::unique_ptr<ResultsEngine>> engine =
        ResultsEngine::Open(path_, OpenMode::kReadWrite, clock_.clock());
    EXPECT_TRUE(engine.ok()) << engine.status();
    return engine.ok() ? *std::move(engine) : nullptr;
  }

  absl::StatusOr<Job> Create(const Job& job) {
    backtest::v1::CreateJobRequest request;
    *request.mutable_job() = job;
    backtest::v1::CreateJobResponse response;
    absl::Status status = engine_->CreateJob(request, &response);
    if (!status.ok()) return status;
    return response.job();
  }

  // Child `index` of `job_id` (fast = 10 + index) runs on 1,000 of
  // initial cash to `final_equity` with `trades` closed trades and ends in
  // `state`.
  void RunChild(const std::string& job_id, int64_t index, double final_equity,
                int trades, backtest::v1::RunState state,
                const std::string& role = "", int window = 0) {
    const std::string run_id = absl::StrCat(job_id, "-", index);
    backtest::v1::BeginRunRequest begin =
        BeginChild(run_id, job_id, index, role, window);
    begin.set_canonical_spec("");
    begin.set_initial_cash(1000);
    backtest::v1::BeginRunResponse begun;
    ASSERT_TRUE(engine_->BeginRun(begin, &begun).ok());
    backtest::v1::AppendRecordsRequest records;
    records.set_run_id(run_id);
    for (int step = 0; step < 3; ++step) {
      backtest::v1::EquityPoint* point = records.add_equity();
      point->set_time(kStart + step * kDay);
      point->set_cash(1000);
      point->set_equity(step == 2 ? final_equity : 1000 + step);
    }
    for (int i = 0; i < trades; ++i) {
      backtest::v1::Trade* trade = records.add_trades();
      trade->set_symbol("ORCL");
      trade->set_entry_time(kStart);
      trade->set_exit_time(kStart + kDay);
      trade->set_net_pnl(1);
    }
    backtest::v1::AppendRecordsResponse appended;
    ASSERT_TRUE(engine_->AppendRecords(records, &appended).ok());
    if (state == backtest::v1::RUNNING) return;
    backtest::v1::FinishRunRequest finish;
    finish.set_run_id(run_id);
    finish.set_state(state);
    if (state != backtest::v1::SUCCEEDED) {
      finish.mutable_error()->set_stage("execution");
      finish.mutable_error()->set_reason("STAGE_UNAVAILABLE");
    }
    backtest::v1::FinishRunResponse finished;
    ASSERT_TRUE(engine_->FinishRun(finish, &finished).ok());
  }

  absl::StatusOr<GetJobResponse> Get(
      const std::string& job_id, int page_size = 0,
      const std::string& token = "",
      backtest::v1::ChildOrder order = backtest::v1::CHILD_ORDER_UNSPECIFIED) {
    GetJobRequest request;
    request.set_job_id(job_id);
    request.set_page_size(page_size);
    request.set_page_token(token);
    request.set_order(order);
    GetJobResponse response;
    absl::Status status = engine_->GetJob(request, &response);
    if (!status.ok()) return status;
    return response;
  }

  // "run-id:rank" of every child, page by page.
  std::vector<std::string> AllChildren(const std::string& job_id, int page_size,
                                       backtest::v1::ChildOrder order) {
    std::vector<std::string> out;
    std::string token;
    do {
      absl::StatusOr<GetJobResponse> page =
          Get(job_id, page_size, token, order);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(page->children_size(), page_size);
      for (const backtest::v1::JobChild& child : page->children()) {
        out.push_back(absl::StrCat(child.run_id(), ":", child.rank()));
      }
      token = page->next_page_token();
    } while (!token.empty());
    return out;
  }

  FakeClock clock_;
  std::string path_;
  std::unique_ptr<ResultsEngine> engine_;
};

INSTANTIATE_TEST_SUITE_P(Drivers, ResultsEngineJobsTest,
                         ::testing::Values(Driver::kSqlite, Driver::kPostgres),
                         DriverName);

TEST_P(ResultsEngineJobsTest, CreateJobFillsDefaultsAndChecksTheRest) {
  Job job = SweepJob("job-1", 4);
  job.clear_objective();
  job.clear_goal();
  job.clear_created_at();
  job.set_state(backtest::v1::SUCCEEDED);  // derived: ignored
  job.set_children_stored(99);
  absl::StatusOr<Job> created = Create(job);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->objective(), "sharpe");
  EXPECT_EQ(created->goal(), "maximize");
  EXPECT_EQ(created->created_at(), "2024-05-01T10:00:00Z");
  EXPECT_EQ(created->state(), backtest::v1::RUNNING);
  EXPECT_EQ(created->children_stored(), 0);

  Job bad;
  bad.set_goal("up");
  bad.set_objective("sharp");
  bad.set_min_trades(-1);
  bad.set_children_expected(-1);
  bad.add_params("fast,slow");
  const absl::Status status = Create(bad).status();
  EXPECT_EQ(Reason(status), "INVALID_CREATE_JOB");
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(status)) {
    fields.push_back(problem.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{
                        "job.job_id", "job.spec_hash", "job.kind",
                        "job.children_expected", "job.goal", "job.objective",
                        "job.min_trades", "job.params[0]"}));
}

// The objective is total_return here (the final equity over 1,000), so each
// child's standing is plain from its curve.
TEST_P(ResultsEngineJobsTest, GetJobRanksTheChildrenByTheirStoredMetrics) {
  Job job = SweepJob("sweep-7f3a", 6, /*min_trades=*/2);
  job.set_objective("total_return");
  ASSERT_TRUE(Create(job).ok());
  RunChild("sweep-7f3a", 0, 1100, 3, backtest::v1::SUCCEEDED);
  RunChild("sweep-7f3a", 1, 1300, 3, backtest::v1::SUCCEEDED);
  RunChild("sweep-7f3a", 2, 1500, 1, backtest::v1::SUCCEEDED);
  RunChild("sweep-7f3a", 3, 1200, 3, backtest::v1::FAILED);
  RunChild("sweep-7f3a", 4, 1050, 3, backtest::v1::RUNNING);

  absl::StatusOr<GetJobResponse> got = Get("sweep");  // a unique prefix
  ASSERT_TRUE(got.ok()) << got.status();
  const Job& stored = got->job();
  EXPECT_EQ(stored.job_id(), "sweep-7f3a");
  EXPECT_EQ(stored.state(), backtest::v1::RUNNING);  // one missing, one runs
  EXPECT_EQ(stored.children_stored(), 5);
  EXPECT_EQ(stored.children_by_state().at("SUCCEEDED"), 3);
  EXPECT_EQ(stored.children_by_state().at("FAILED"), 1);
  EXPECT_EQ(stored.children_by_state().at("RUNNING"), 1);
  ASSERT_EQ(got->children_size(), 5);
  const backtest::v1::JobChild& best = got->children(0);
  EXPECT_EQ(best.run_id(), "sweep-7f3a-1");
  EXPECT_EQ(best.rank(), 1);
  EXPECT_DOUBLE_EQ(best.objective(), 0.3);
  EXPECT_DOUBLE_EQ(best.total_return(), 0.3);
  EXPECT_DOUBLE_EQ(best.final_equity(), 1300);
  EXPECT_EQ(best.trades(), 3);
  EXPECT_EQ(best.params().at("fast").number(), 11);
  EXPECT_EQ(got->children(1).run_id(), "sweep-7f3a-0");
  EXPECT_EQ(got->children(1).rank(), 2);
  EXPECT_EQ(got->children(2).unranked_reason(),
            "1 closed trades, fewer than the 2 required");
  EXPECT_EQ(got->children(3).unranked_reason(),
            "FAILED: only children that succeeded are ranked");
  EXPECT_EQ(got->children(3).error().stage(), "execution");
  EXPECT_EQ(got->children(4).unranked_reason(), "not finished yet (RUNNING)");

  // The last child's lease runs out and the others end: FAILED, as one
  // did not succeed.
  clock_.Advance(RunStore::kDefaultLeaseSeconds);
  RunChild("sweep-7f3a", 5, 1000, 3, backtest::v1::SUCCEEDED);
  got = Get("sweep-7f3a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->job().state(), backtest::v1::FAILED);
  EXPECT_EQ(got->job().children_by_state().at("ABANDONED"), 1);
  EXPECT_EQ(got->children(5).state(), backtest::v1::ABANDONED);
  EXPECT_EQ(got->children(5).error().reason(), "ABANDONED");
  EXPECT_EQ(got->job().updated_at(), "2024-05-01T10:01:00Z");

  // Pages of two, in either order, give the same children once each.
  EXPECT_EQ(AllChildren("sweep-7f3a", 2, backtest::v1::CHILD_ORDER_UNSPECIFIED),
            (std::vector<std::string>{"sweep-7f3a-1:1", "sweep-7f3a-0:2",
                                      "sweep-7f3a-5:3", "sweep-7f3a-2:0",
                                      "sweep-7f3a-3:0", "sweep-7f3a-4:0"}));
  EXPECT_EQ(AllChildren("sweep-7f3a", 4, backtest::v1::BY_INDEX),
            (std::vector<std::string>{"sweep-7f3a-0:2", "sweep-7f3a-1:1",
                                      "sweep-7f3a-2:0", "sweep-7f3a-3:0",
                                      "sweep-7f3a-4:0", "sweep-7f3a-5:3"}));
  absl::StatusOr<GetJobResponse> first = Get("sweep-7f3a", 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Reason(Get("sweep-7f3a", 2, first->next_page_token(),
                       backtest::v1::BY_INDEX)
                       .status()),
            "INVALID_PAGE_TOKEN");
  EXPECT_EQ(Reason(Get("nope").status()), "UNKNOWN_JOB");
}

// A walk-forward is SUCCEEDED only once its result is stored too; jobs list
// newest first with what their children say.
TEST_P(ResultsEngineJobsTest, AWalkForwardSucceedsWithItsResult) {
  Job job = SweepJob("wf-1", 2);
  job.set_kind(backtest::v1::WALK_FORWARD);
  ASSERT_TRUE(Create(job).ok());
  Job older = SweepJob("sweep-0", 1);
  older.set_created_at("2024-04-01T00:00:00Z");
  ASSERT_TRUE(Create(older).ok());
  RunChild("wf-1", 0, 1100, 3, backtest::v1::SUCCEEDED, "in_sample", 0);
  RunChild("wf-1", 1, 1200, 3, backtest::v1::SUCCEEDED, "out_of_sample", 0);
  EXPECT_EQ(Get("wf-1")->job().state(), backtest::v1::RUNNING);

  backtest::v1::StoreJobResultRequest store;
  store.set_job_id("wf-1");
  store.mutable_result()->mutable_walk_forward()->set_efficiency(0.8);
  backtest::v1::StoreJobResultResponse stored;
  clock_.Advance(3600);
  ASSERT_TRUE(engine_->StoreJobResult(store, &stored).ok());
  absl::StatusOr<GetJobResponse> got = Get("wf-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->job().state(), backtest::v1::SUCCEEDED);
  EXPECT_DOUBLE_EQ(got->job().result().walk_forward().efficiency(), 0.8);
  EXPECT_EQ(got->job().updated_at(), "2024-05-01T11:00:00Z");
  store.clear_result();
  EXPECT_EQ(Reason(engine_->StoreJobResult(store, &stored)),
            "INVALID_STORE_JOB_RESULT");

  backtest::v1::ListJobsRequest list;
  list.set_limit(1);
  std::vector<std::string> ids;
  do {
    backtest::v1::ListJobsResponse response;
    ASSERT_TRUE(engine_->ListJobs(list, &response).ok());
    for (const Job& listed : response.jobs()) {
      ids.push_back(
          absl::StrCat(listed.job_id(), ":", RunState_Name(listed.state())));
      EXPECT_FALSE(listed.has_result());
    }
    list.set_page_token(response.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_EQ(ids,
            (std::vector<std::string>{"wf-1:SUCCEEDED", "sweep-0:RUNNING"}));
}

// The first page of a job of 1,000 children reads one light row per child
// and never a record: with the records' tables gone and every stored
// metrics blob damaged, it still reads, in a handful of statements.
TEST_P(ResultsEngineJobsTest, AThousandChildJobsFirstPageReadsNoRecord) {
  constexpr int kChildren = 1000;
  Job job = SweepJob("big", kChildren);
  job.set_objective("total_return");
  ASSERT_TRUE(Create(job).ok());
  for (int i = 0; i < kChildren; ++i) {
    RunChild("big", i, 1000 + i, 1, backtest::v1::SUCCEEDED);  // 999 is best
    ASSERT_FALSE(HasFatalFailure());
  }
  ASSERT_TRUE(
      ExecuteSql(path_,
                 absl::StrCat("DROP TABLE equity_chunks; DROP TABLE "
                              "fills; DROP TABLE rejections; DROP "
                              "TABLE trades; DROP TABLE traces; "
                              "UPDATE runs SET metrics = ",
                              GetParam() == Driver::kSqlite ? "x'ff'"
                                                            : "'\\xff'::bytea"))
          .ok());

  std::unique_ptr<ResultsEngine> engine = Open();  // counts from 0
  ASSERT_NE(engine, nullptr);
  GetJobRequest request;
  request.set_job_id("big");
  GetJobResponse response;
  const absl::Status status = engine->GetJob(request, &response);
  ASSERT_TRUE(status.ok()) << status;
  const SqlStats stats = engine->database_stats();
  EXPECT_EQ(response.job().children_stored(), kChildren);
  EXPECT_EQ(response.job().state(), backtest::v1::SUCCEEDED);
  ASSERT_EQ(response.children_size(), ResultsEngine::kDefaultListLimit);
  EXPECT_EQ(response.children(0).run_id(), "big-999");
  EXPECT_EQ(response.children(0).rank(), 1);
  EXPECT_EQ(response.children(49).run_id(), "big-950");
  EXPECT_FALSE(response.next_page_token().empty());
  // Opening counts too: the schema version, prefix lookup, the job, its
  // children.
  EXPECT_LE(stats.statements, 8);
  EXPECT_LE(stats.rows, kChildren + 8);
}

}  // namespace
}  // namespace seed::results
