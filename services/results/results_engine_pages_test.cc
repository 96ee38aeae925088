// The results engine's reads page by page, on both drivers: ListRuns with
// tokens keyed on its order (and a job's children by index), ListRunRecords
// for each record kind, GetRun refusing records too large for one response;
// and the requests of leases and UpdateRun checked.
#include <functional>
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

using ::backtest::v1::AppendRecordsRequest;
using ::backtest::v1::GetRunRequest;
using ::backtest::v1::GetRunResponse;
using ::backtest::v1::ListRunRecordsRequest;
using ::backtest::v1::ListRunRecordsResponse;
using ::backtest::v1::ListRunsRequest;
using ::backtest::v1::ListRunsResponse;

class ResultsEnginePagesTest : public ::testing::TestWithParam<Driver> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> path = FreshDatabase(GetParam());
    ASSERT_TRUE(path.ok()) << path.status();
    path_ = *path;
    absl::StatusOr<std::unique_ptr<ResultsEngine>> engine =
        ResultsEngine::Open(path_, OpenMode::kReadWrite, clock_.clock());
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }

  absl::Status BeginRun(const backtest::v1::BeginRunRequest& request) {
    backtest::v1::BeginRunResponse response;
    return engine_->BeginRun(request, &response);
  }
  absl::Status Append(const AppendRecordsRequest& request) {
    backtest::v1::AppendRecordsResponse response;
    return engine_->AppendRecords(request, &response);
  }

  // The run ids of every page of `request`, `limit` at a time; `between`
  // runs after each page.
  std::vector<std::string> AllPages(
      ListRunsRequest request, int limit,
      const std::function<void()>& between = [] {}) {
    request.set_limit(limit);
    std::vector<std::string> ids;
    do {
      ListRunsResponse response;
      const absl::Status status = engine_->ListRuns(request, &response);
      EXPECT_TRUE(status.ok()) << status;
      if (!status.ok()) break;
      EXPECT_LE(response.runs_size(), limit);
      for (const auto& run : response.runs()) ids.push_back(run.run_id());
      request.set_page_token(response.next_page_token());
      between();
    } while (!request.page_token().empty());
    return ids;
  }

  FakeClock clock_;
  std::string path_;
  std::unique_ptr<ResultsEngine> engine_;
};

INSTANTIATE_TEST_SUITE_P(Drivers, ResultsEnginePagesTest,
                         ::testing::Values(Driver::kSqlite, Driver::kPostgres),
                         DriverName);

// Runs begun while a client pages are newer than its pages: it sees each
// run that was there exactly once, in order, whatever comes in between.
TEST_P(ResultsEnginePagesTest, ListRunsPagesWithTokensAcrossInserts) {
  // Pairs share a created_at: the order begun breaks the tie.
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(
        BeginRun(Begin(absl::StrCat("run-", i), "sma_cross",
                       absl::StrCat("2024-05-0", 1 + i / 2, "T10:00:00Z")))
            .ok());
  }
  const std::vector<std::string> newest_first = {
      "run-6", "run-5", "run-4", "run-3", "run-2", "run-1", "run-0"};
  EXPECT_EQ(AllPages({}, 3), newest_first);
  EXPECT_EQ(AllPages({}, 1), newest_first);
  EXPECT_EQ(AllPages({}, 7), newest_first);  // one page, no token
  int added = 0;
  EXPECT_EQ(AllPages({}, 2,
                     [&] {
                       ASSERT_TRUE(
                           BeginRun(Begin(absl::StrCat("new-", added++),
                                          "sma_cross", "2024-05-09T00:00:00Z"))
                               .ok());
                     }),
            newest_first);

  // Filters page too, and a token belongs to its query.
  ListRunsRequest filtered;
  filtered.set_until("2024-05-02");
  EXPECT_EQ(AllPages(filtered, 2),
            (std::vector<std::string>{"run-3", "run-2", "run-1", "run-0"}));
  filtered.set_limit(2);
  ListRunsResponse page;
  ASSERT_TRUE(engine_->ListRuns(filtered, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  ListRunsRequest other;
  other.set_page_token(page.next_page_token());
  ListRunsResponse response;
  absl::Status status = engine_->ListRuns(other, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(status), "INVALID_PAGE_TOKEN") << status;
  other.set_page_token("garbage");
  EXPECT_EQ(Reason(engine_->ListRuns(other, &response)), "INVALID_PAGE_TOKEN");
  // The same filters written otherwise are the same query.
  ListRunsRequest same = filtered;
  same.set_until("2024-05-02Z");
  same.set_page_token(page.next_page_token());
  response.Clear();
  ASSERT_TRUE(engine_->ListRuns(same, &response).ok());
  EXPECT_EQ(response.runs(0).run_id(), "run-1");
}

TEST_P(ResultsEnginePagesTest, ListRunsListsAJobsChildrenByIndex) {
  backtest::v1::CreateJobRequest create;
  *create.mutable_job() = SweepJob("job-abc", 5);
  backtest::v1::CreateJobResponse created;
  ASSERT_TRUE(engine_->CreateJob(create, &created).ok());
  ASSERT_TRUE(BeginRun(Begin("outsider")).ok());
  for (int index : {3, 0, 4, 1}) {
    ASSERT_TRUE(
        BeginRun(BeginChild(absl::StrCat("child-", index), "job-abc", index))
            .ok());
  }
  ListRunsRequest request;
  request.set_parent("job-a");  // a unique prefix
  EXPECT_EQ(
      AllPages(request, 3),
      (std::vector<std::string>{"child-0", "child-1", "child-3", "child-4"}));
  request.set_state("RUNNING");
  EXPECT_EQ(AllPages(request, 1).size(), 4);
  request.set_parent("nope");
  ListRunsResponse response;
  EXPECT_EQ(Reason(engine_->ListRuns(request, &response)), "UNKNOWN_JOB");
}

// Each kind, at any page size, pages to exactly what GetRun returns; a
// chunk of equity is read in parts.
TEST_P(ResultsEnginePagesTest, ListRunRecordsPagesEachKindInStoredOrder) {
  ASSERT_TRUE(BeginRun(Begin("run-1")).ok());
  // Three batches of records and a chunk of 1,000 points with strategy
  // equities, each record numbered apart by time.
  for (int batch = 0; batch < 3; ++batch) {
    AppendRecordsRequest records = Batch("run-1", 1420070400 + batch * 864000);
    records.mutable_fills(0)->set_order_id(batch);
    records.mutable_rejections(0)->set_order_id(batch);
    ASSERT_TRUE(Append(records).ok());
  }
  ASSERT_TRUE(Append(ExtremeEquity("run-1", 1000, 2)).ok());
  backtest::v1::FinishRunRequest finish = Finish("run-1");
  *finish.add_open_trades() = finish.open_trades(0);
  finish.mutable_open_trades(1)->set_symbol("NVDA");
  backtest::v1::FinishRunResponse finished;
  ASSERT_TRUE(engine_->FinishRun(finish, &finished).ok());

  GetRunRequest get;
  get.set_run_id("run-1");
  get.set_include_records(true);
  GetRunResponse whole;
  ASSERT_TRUE(engine_->GetRun(get, &whole).ok());
  ASSERT_EQ(whole.equity_size(), 1009);
  ASSERT_EQ(whole.trades_size(), 5);

  // The serialized records of one kind of `response`.
  const auto serialized = [](const auto& records) {
    std::vector<std::string> out;
    for (const auto& record : records)
      out.push_back(record.SerializeAsString());
    return out;
  };
  struct Kind {
    backtest::v1::RecordKind kind;
    std::vector<std::string> expected;
  };
  for (const Kind& kind :
       {Kind{backtest::v1::EQUITY, serialized(whole.equity())},
        Kind{backtest::v1::FILLS, serialized(whole.fills())},
        Kind{backtest::v1::REJECTIONS, serialized(whole.rejections())},
        Kind{backtest::v1::TRADES, serialized(whole.trades())}}) {
    for (int page_size : {1, 2, 3, 333, 1009, 0}) {
      SCOPED_TRACE(absl::StrCat(RecordKind_Name(kind.kind), " by ", page_size));
      ListRunRecordsRequest request;
      request.set_run_id("run");  // a unique prefix
      request.set_kind(kind.kind);
      request.set_page_size(page_size);
      std::vector<std::string> got;
      int pages = 0;
      do {
        ListRunRecordsResponse response;
        const absl::Status status = engine_->ListRunRecords(request, &response);
        ASSERT_TRUE(status.ok()) << status;
        EXPECT_EQ(response.run_id(), "run-1");
        for (const std::vector<std::string>& part :
             {serialized(response.equity()), serialized(response.fills()),
              serialized(response.rejections()),
              serialized(response.trades())}) {
          got.insert(got.end(), part.begin(), part.end());
        }
        request.set_page_token(response.next_page_token());
        ++pages;
      } while (!request.page_token().empty() && pages < 2000);
      EXPECT_EQ(got, kind.expected);
      const int size =
          page_size == 0 ? ResultsEngine::kDefaultRecordPage : page_size;
      // No empty last page.
      EXPECT_EQ(pages,
                std::max<int>(1, (kind.expected.size() + size - 1) / size));
    }
  }

  // A token is for its run and kind.
  ListRunRecordsRequest request;
  request.set_run_id("run-1");
  request.set_kind(backtest::v1::FILLS);
  request.set_page_size(1);
  ListRunRecordsResponse response;
  ASSERT_TRUE(engine_->ListRunRecords(request, &response).ok());
  request.set_kind(backtest::v1::REJECTIONS);
  request.set_page_token(response.next_page_token());
  EXPECT_EQ(Reason(engine_->ListRunRecords(request, &response)),
            "INVALID_PAGE_TOKEN");
  request.clear_kind();
  request.set_page_size(-1);
  const absl::Status status = engine_->ListRunRecords(request, &response);
  EXPECT_EQ(Reason(status), "INVALID_LIST_RUN_RECORDS");
  EXPECT_EQ(FieldProblems(status).size(), 2) << status;
}

// A run whose records would not fit one response is refused before they
// are read (its texts alone pass 48 MiB), or once read (its texts are
// short in characters but long in bytes); ListRunRecords pages it.
TEST_P(ResultsEnginePagesTest, GetRunRefusesRecordsTooLargeForOneResponse) {
  ASSERT_TRUE(BeginRun(Begin("long")).ok());
  ASSERT_TRUE(BeginRun(Begin("wide")).ok());
  ASSERT_TRUE(Append(Batch("long", 1420070400)).ok());
  ASSERT_TRUE(Append(Batch("wide", 1420070400)).ok());
  // 49 Mi characters of 'x', and 17 Mi of the 3-byte euro sign.
  const bool sqlite = GetParam() == Driver::kSqlite;
  ASSERT_TRUE(
      ExecuteSql(path_, sqlite
                            ? "UPDATE fills SET reason = replace(hex(zeroblob("
                              "25690112)), '0', 'x') WHERE run_id = 'long'"
                            : "UPDATE fills SET reason = repeat('x', 51380224) "
                              "WHERE run_id = 'long'")
          .ok());
  ASSERT_TRUE(
      ExecuteSql(path_, sqlite
                            ? "UPDATE fills SET reason = replace(hex(zeroblob("
                              "17825792)), '00', '€') WHERE run_id = 'wide'"
                            : "UPDATE fills SET reason = repeat('€', 17825792) "
                              "WHERE run_id = 'wide'")
          .ok());

  GetRunRequest request;
  request.set_run_id("long");
  request.set_include_records(true);
  GetRunResponse response;
  const int64_t rows_before = engine_->database_stats().rows;
  absl::Status status = engine_->GetRun(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(Reason(status), "RECORDS_TOO_LARGE") << status;
  EXPECT_NE(status.message().find(
                "the records of run long in " + engine_->database_path() +
                " take about 49.0 MiB, more than the 48 MiB one GetRun "
                "response carries"),
            std::string::npos)
      << status;
  EXPECT_NE(ToStageError(status, "").hint().find("ListRunRecords"),
            std::string::npos);
  // The run's row, its symbol hashes and the counts: no record was read.
  EXPECT_LE(engine_->database_stats().rows - rows_before, 5);

  request.set_run_id("wide");
  status = engine_->GetRun(request, &response);
  EXPECT_EQ(Reason(status), "RECORDS_TOO_LARGE") << status;
  EXPECT_NE(status.message().find("take about 51.0 MiB"), std::string::npos)
      << status;

  // Without the records, and paged, it reads.
  request.set_include_records(false);
  EXPECT_TRUE(engine_->GetRun(request, &response).ok());
  ListRunRecordsRequest page;
  page.set_run_id("long");
  page.set_kind(backtest::v1::FILLS);
  ListRunRecordsResponse fills;
  ASSERT_TRUE(engine_->ListRunRecords(page, &fills).ok());
  ASSERT_EQ(fills.fills_size(), 1);
  EXPECT_EQ(fills.fills(0).reason().size(), 51380224);
}

// A run's coordinator that stops renewing its lease: every read says so.
TEST_P(ResultsEnginePagesTest, ReadsReportAnAbandonedRun) {
  backtest::v1::BeginRunRequest begin = Begin("run-1");
  begin.set_lease_seconds(10);
  ASSERT_TRUE(BeginRun(begin).ok());
  clock_.Advance(10);
  GetRunRequest get;
  get.set_run_id("run-1");
  GetRunResponse run;
  ASSERT_TRUE(engine_->GetRun(get, &run).ok());
  EXPECT_EQ(run.run().state(), backtest::v1::ABANDONED);
  EXPECT_EQ(run.run().error().reason(), "ABANDONED");
  ListRunsRequest list;
  list.set_state("abandoned");
  EXPECT_EQ(AllPages(list, 10), std::vector<std::string>{"run-1"});
  backtest::v1::UpdateRunRequest update;
  update.set_run_id("run-1");
  backtest::v1::UpdateRunResponse updated;
  EXPECT_EQ(Reason(engine_->UpdateRun(update, &updated)), "RUN_ABANDONED");
}

TEST_P(ResultsEnginePagesTest, LeasesAndUpdatesAreChecked) {
  backtest::v1::BeginRunRequest begin = Begin("run-1");
  begin.set_lease_seconds(ResultsEngine::kMaxLeaseSeconds + 1);
  begin.mutable_job()->set_index(-1);
  begin.mutable_job()->set_window(-2);
  absl::Status status = BeginRun(begin);
  EXPECT_EQ(Reason(status), "INVALID_BEGIN_RUN");
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(status)) {
    fields.push_back(problem.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"lease_seconds", "job.job_id",
                                              "job.index", "job.window"}));

  backtest::v1::UpdateRunRequest update;
  update.set_interval_seconds(-1);
  update.set_steps_done(-1);
  update.set_state(backtest::v1::SUCCEEDED);
  backtest::v1::UpdateRunResponse updated;
  status = engine_->UpdateRun(update, &updated);
  EXPECT_EQ(Reason(status), "INVALID_UPDATE_RUN");
  EXPECT_EQ(FieldProblems(status).size(), 4) << status;
  update.set_run_id("nope");
  update.clear_interval_seconds();
  update.clear_steps_done();
  update.clear_state();
  EXPECT_EQ(Reason(engine_->UpdateRun(update, &updated)), "UNKNOWN_RUN");
}

}  // namespace
}  // namespace seed::results
