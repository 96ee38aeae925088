// Research jobs in the store, on both drivers: jobs created once per spec,
// children begun again in place of a failed one but never over one that
// succeeded or another coordinator runs (also when connections race), a
// finished child's objective, and the light columns a job lists its children
// from.
#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "services/results/run_store.h"
#include "services/results/run_store_test_util.h"
#include "services/results/sql_database.h"
#include "services/results/test_database.h"

namespace seed::results {
namespace {

using ::backtest::v1::FinishRunRequest;
using ::backtest::v1::Job;
using ::backtest::v1::Metrics;

class RunStoreJobsTest : public ::testing::TestWithParam<Driver> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> location = FreshDatabase(GetParam());
    ASSERT_TRUE(location.ok()) << location.status();
    path_ = *location;
    store_ = OpenOrDie(path_, OpenMode::kReadWrite, clock_.clock());
    ASSERT_NE(store_, nullptr);
  }

  // Ends `run_id` as `state`, its metrics with this Sharpe (none when
  // unset) and `trades` closed trades.
  absl::Status End(const std::string& run_id, backtest::v1::RunState state,
                   std::optional<double> sharpe = 1.5, int64_t trades = 5) {
    FinishRunRequest finish = Finish(run_id);
    finish.set_state(state);
    if (state == backtest::v1::SUCCEEDED) finish.clear_error();
    return store_
        ->FinishRun(finish, "2024-05-01T10:30:00Z",
                    [&](const StoredRun&, const RunRecords&) {
                      Metrics metrics;
                      metrics.set_trades(trades);
                      metrics.set_total_return(0.25);
                      metrics.set_final_equity(125000);
                      metrics.set_cagr(0.07);
                      if (sharpe.has_value()) metrics.set_sharpe(*sharpe);
                      return metrics;
                    })
        .status();
  }

  FakeClock clock_;
  std::string path_;
  std::unique_ptr<RunStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Drivers, RunStoreJobsTest,
                         ::testing::Values(Driver::kSqlite, Driver::kPostgres),
                         DriverName);

TEST_P(RunStoreJobsTest, CreatingAJobIsIdempotentBySpecHash) {
  const Job job = SweepJob("job-1", 9);
  absl::StatusOr<StoredJob> created = store_->CreateJob(job);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->job.SerializeAsString(), job.SerializeAsString())
      << created->job.DebugString();
  EXPECT_FALSE(created->has_result);

  // Again, as another shard would: the job stored first is returned.
  Job again = job;
  again.set_created_at("2024-05-02T00:00:00Z");
  absl::StatusOr<StoredJob> same = store_->CreateJob(again);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->job.created_at(), "2024-05-01T09:00:00Z");

  Job changed = job;
  changed.set_spec_hash("another-spec");
  changed.set_name("changed");
  const absl::Status status = store_->CreateJob(changed).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Reason(status), "JOB_SPEC_DIFFERS") << status;
  EXPECT_NE(status.message().find("with spec hash job-spec-hash, not "
                                  "another-spec"),
            std::string::npos)
      << status;
  absl::StatusOr<StoredJob> stored = store_->ReadJob("job-1", true);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->job.name(), "sweep job-1");
  EXPECT_EQ(Reason(store_->ReadJob("job-2", false).status()), "UNKNOWN_JOB");
}

// Shards that create one job at the same moment, each on a connection of
// its own: all succeed, one job is stored.
TEST_P(RunStoreJobsTest, ConcurrentCreatesStoreTheJobOnce) {
  constexpr int kShards = 4;
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < kShards; ++i) {
    threads.emplace_back([&] {
      std::unique_ptr<RunStore> store = OpenOrDie(path_);
      if (store == nullptr || !store->CreateJob(SweepJob("job-1", 3)).ok()) {
        ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  absl::StatusOr<JobPage> page = store_->ListJobs(std::nullopt, 10);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->jobs.size(), 1);
}

TEST_P(RunStoreJobsTest, AChildIsBegunAgainUnlessItSucceeded) {
  ASSERT_TRUE(store_->CreateJob(SweepJob("job-1", 3)).ok());
  ASSERT_TRUE(store_->BeginRun(BeginChild("job-1-0", "job-1", 0)).ok());
  ASSERT_TRUE(store_->AppendRecords(Batch("job-1-0", 1420070400)).ok());
  ASSERT_TRUE(store_->StoreTrace("job-1-0", backtest::v1::Trace()).ok());
  ASSERT_TRUE(End("job-1-0", backtest::v1::FAILED).ok());

  // Begun again: its old records, trace and metrics are gone.
  ASSERT_TRUE(store_->BeginRun(BeginChild("job-1-0", "job-1", 0)).ok());
  absl::StatusOr<StoredRun> run = store_->ReadRun("job-1-0");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->summary.state(), backtest::v1::RUNNING);
  EXPECT_FALSE(run->summary.has_metrics());
  EXPECT_FALSE(run->summary.has_error());
  EXPECT_FALSE(run->objective.has_value());
  absl::StatusOr<RunRecords> records = store_->ReadRecords("job-1-0");
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->equity.empty());
  EXPECT_TRUE(records->fills.empty());
  EXPECT_TRUE(records->closed_trades.empty());
  EXPECT_TRUE(records->open_trades.empty());
  EXPECT_EQ(Reason(store_->ReadTrace("job-1-0").status()), "NO_TRACE");

  // Once it succeeded, nothing changes.
  ASSERT_TRUE(store_->AppendRecords(Batch("job-1-0", 1420070400)).ok());
  ASSERT_TRUE(End("job-1-0", backtest::v1::SUCCEEDED).ok());
  const absl::Status again =
      store_->BeginRun(BeginChild("job-1-0", "job-1", 0));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Reason(again), "CHILD_ALREADY_SUCCEEDED") << again;
  EXPECT_NE(again.message().find("child 0 of research job job-1 already "
                                 "succeeded as run job-1-0"),
            std::string::npos)
      << again;
  // Whatever id the new run has.
  EXPECT_EQ(Reason(store_->BeginRun(BeginChild("other-id", "job-1", 0))),
            "CHILD_ALREADY_SUCCEEDED");
  EXPECT_EQ(store_->ReadRun("job-1-0")->summary.state(),
            backtest::v1::SUCCEEDED);
  EXPECT_EQ(store_->ReadRecords("job-1-0")->equity.size(), 3);
  EXPECT_EQ(Reason(store_->ReadRun("other-id").status()), "UNKNOWN_RUN");
}

// A child is known by its job and index: a new run of a failed child
// replaces the old run whatever their ids.
TEST_P(RunStoreJobsTest, ANewRunOfAFailedChildReplacesItsOldRun) {
  ASSERT_TRUE(store_->CreateJob(SweepJob("job-1", 3)).ok());
  ASSERT_TRUE(store_->BeginRun(BeginChild("first", "job-1", 1)).ok());
  ASSERT_TRUE(End("first", backtest::v1::CANCELLED).ok());
  ASSERT_TRUE(store_->BeginRun(BeginChild("second", "job-1", 1)).ok());
  EXPECT_EQ(Reason(store_->ReadRun("first").status()), "UNKNOWN_RUN");
  absl::StatusOr<std::vector<StoredChild>> children =
      store_->ReadChildren("job-1");
  ASSERT_TRUE(children.ok()) << children.status();
  ASSERT_EQ(children->size(), 1);
  EXPECT_EQ((*children)[0].run_id, "second");
}

// Another coordinator holds the child while its lease is out; once the
// lease ran out (it is ABANDONED), the child may be begun again.
TEST_P(RunStoreJobsTest, ALiveChildIsNotTakenOver) {
  ASSERT_TRUE(store_->CreateJob(SweepJob("job-1", 3)).ok());
  ASSERT_TRUE(store_->BeginRun(BeginChild("job-1-2", "job-1", 2)).ok());
  ASSERT_TRUE(store_->AppendRecords(Batch("job-1-2", 1420070400)).ok());
  clock_.Advance(30);
  const absl::Status status =
      store_->BeginRun(BeginChild("job-1-2", "job-1", 2));
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Reason(status), "CHILD_RUNNING") << status;
  EXPECT_NE(status.message().find("its lease runs to 2024-05-01T10:01:00Z"),
            std::string::npos)
      << status;
  EXPECT_EQ(store_->ReadRecords("job-1-2")->equity.size(), 3);

  clock_.Advance(30);
  ASSERT_TRUE(store_->BeginRun(BeginChild("job-1-2", "job-1", 2)).ok());
  EXPECT_EQ(store_->ReadRun("job-1-2")->summary.state(), backtest::v1::RUNNING);
  EXPECT_TRUE(store_->ReadRecords("job-1-2")->equity.empty());
}

TEST_P(RunStoreJobsTest, AChildNeedsItsJobAndAPlaceInIt) {
  absl::Status status = store_->BeginRun(BeginChild("c", "no-job", 0));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Reason(status), "UNKNOWN_JOB") << status;
  ASSERT_TRUE(store_->CreateJob(SweepJob("job-1", 3)).ok());
  status = store_->BeginRun(BeginChild("c", "job-1", 3));
  EXPECT_EQ(Reason(status), "INVALID_BEGIN_RUN") << status;
  ASSERT_EQ(FieldProblems(status).size(), 1);
  EXPECT_EQ(FieldProblems(status)[0].field, "job.index");
  // A run id that a run outside the job has.
  ASSERT_TRUE(store_->BeginRun(Begin("plain")).ok());
  EXPECT_EQ(Reason(store_->BeginRun(BeginChild("plain", "job-1", 0))),
            "RUN_ALREADY_EXISTS");
  EXPECT_TRUE(store_->ReadChildren("job-1")->empty());
  EXPECT_EQ(store_->ReadRun("plain")->job.job_id(), "");
}

// Shards that begin one child at the same moment, each on a connection of
// its own (PostgreSQL lets them run at once): exactly one stores it, the
// others are told another runs it; once it failed, again exactly one;
// once it succeeded, none.
TEST_P(RunStoreJobsTest, ConnectionsRacingOnOneChildStoreItOnce) {
  constexpr int kShards = 4;
  ASSERT_TRUE(store_->CreateJob(SweepJob("job-1", 1)).ok());
  std::vector<std::unique_ptr<RunStore>> stores;
  for (int i = 0; i < kShards; ++i) {
    stores.push_back(OpenOrDie(path_, OpenMode::kReadWrite, clock_.clock()));
    ASSERT_NE(stores.back(), nullptr);
  }
  // The reasons the shards got, in shard order.
  auto race = [&](int round) {
    std::vector<std::string> reasons(kShards);
    std::atomic<int> ready = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < kShards; ++i) {
      threads.emplace_back([&, i] {
        ++ready;
        while (ready < kShards) std::this_thread::yield();
        const absl::Status status = stores[i]->BeginRun(
            BeginChild(absl::StrCat("r", round, "-s", i), "job-1", 0));
        reasons[i] = status.ok() ? "OK" : Reason(status);
      });
    }
    for (std::thread& thread : threads) thread.join();
    return reasons;
  };
  auto count = [](const std::vector<std::string>& reasons,
                  const std::string& reason) {
    return std::count(reasons.begin(), reasons.end(), reason);
  };
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    const std::vector<std::string> reasons = race(round);
    EXPECT_EQ(count(reasons, "OK"), 1);
    EXPECT_EQ(count(reasons, "CHILD_RUNNING"), kShards - 1);
    absl::StatusOr<std::vector<StoredChild>> children =
        store_->ReadChildren("job-1");
    ASSERT_TRUE(children.ok()) << children.status();
    ASSERT_EQ(children->size(), 1);
    const int winner =
        std::find(reasons.begin(), reasons.end(), "OK") - reasons.begin();
    EXPECT_EQ((*children)[0].run_id, absl::StrCat("r", round, "-s", winner));
    ASSERT_TRUE(End((*children)[0].run_id,
                    round < 2 ? backtest::v1::FAILED : backtest::v1::SUCCEEDED)
                    .ok());
  }
  const std::vector<std::string> reasons = race(3);
  EXPECT_EQ(count(reasons, "CHILD_ALREADY_SUCCEEDED"), kShards);
}

// The child's objective is the job's metric of its metrics; its summary
// keeps what a job lists of it and nothing else.
TEST_P(RunStoreJobsTest, AFinishedChildKeepsItsObjectiveAndSummary) {
  ASSERT_TRUE(store_->CreateJob(SweepJob("job-1", 3)).ok());
  ASSERT_TRUE(store_->BeginRun(BeginChild("c0", "job-1", 0)).ok());
  ASSERT_TRUE(store_->BeginRun(BeginChild("c1", "job-1", 1)).ok());
  ASSERT_TRUE(End("c0", backtest::v1::SUCCEEDED, 1.25, 7).ok());
  ASSERT_TRUE(End("c1", backtest::v1::SUCCEEDED, std::nullopt).ok());
  EXPECT_DOUBLE_EQ(store_->ReadRun("c0")->objective.value_or(0), 1.25);
  EXPECT_FALSE(store_->ReadRun("c1")->objective.has_value());

  absl::StatusOr<std::vector<StoredChild>> children =
      store_->ReadChildren("job-1");
  ASSERT_TRUE(children.ok()) << children.status();
  ASSERT_EQ(children->size(), 2);
  const StoredChild& first = (*children)[0];
  EXPECT_EQ(first.run_id, "c0");
  EXPECT_EQ(first.membership.index(), 0);
  EXPECT_EQ(first.membership.params().at("fast").number(), 10);
  EXPECT_EQ(first.state, backtest::v1::SUCCEEDED);
  EXPECT_EQ(first.finished_at, "2024-05-01T10:30:00Z");
  ASSERT_TRUE(first.summary.has_value());
  Metrics expected;
  expected.set_trades(7);
  expected.set_total_return(0.25);
  expected.set_final_equity(125000);
  expected.set_sharpe(1.25);
  EXPECT_EQ(first.summary->SerializeAsString(), expected.SerializeAsString())
      << first.summary->DebugString();
  EXPECT_FALSE((*children)[1].summary->has_sharpe());
}

TEST_P(RunStoreJobsTest, ChildrenAreReadAndCountedAsTheyRead) {
  ASSERT_TRUE(store_->CreateJob(SweepJob("job-1", 4)).ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        store_->BeginRun(BeginChild(absl::StrCat("c", i), "job-1", i)).ok());
  }
  ASSERT_TRUE(End("c0", backtest::v1::SUCCEEDED).ok());
  ASSERT_TRUE(End("c1", backtest::v1::FAILED).ok());
  clock_.Advance(RunStore::kDefaultLeaseSeconds);  // c2 is abandoned

  absl::StatusOr<ChildCounts> counts = store_->CountChildren("job-1");
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->by_state, (std::map<backtest::v1::RunState, int64_t>{
                                  {backtest::v1::SUCCEEDED, 1},
                                  {backtest::v1::FAILED, 1},
                                  {backtest::v1::ABANDONED, 1}}));
  EXPECT_EQ(counts->newest_finished_at, "2024-05-01T10:30:00Z");

  absl::StatusOr<std::vector<StoredChild>> children =
      store_->ReadChildren("job-1");
  ASSERT_TRUE(children.ok()) << children.status();
  ASSERT_EQ(children->size(), 3);
  EXPECT_EQ((*children)[1].error->reason(), "NO_BARS_IN_RANGE");
  const StoredChild& abandoned = (*children)[2];
  EXPECT_EQ(abandoned.state, backtest::v1::ABANDONED);
  EXPECT_EQ(abandoned.finished_at, "2024-05-01T10:01:00Z");
  EXPECT_EQ(abandoned.error->reason(), "ABANDONED");
  // Stored so: the counts read it from the row now.
  EXPECT_EQ(store_->ReadRun("c2")->summary.finished_at(),
            "2024-05-01T10:01:00Z");
  EXPECT_EQ(store_->CountChildren("job-1")->newest_finished_at,
            "2024-05-01T10:30:00Z");
}

TEST_P(RunStoreJobsTest, JobsListNewestFirstAndKeepTheirResult) {
  for (int i = 0; i < 5; ++i) {
    Job job = SweepJob(absl::StrCat("job-", i), 1);
    // job-1 and job-2 share a created_at: the order created breaks the tie.
    job.set_created_at(
        absl::StrCat("2024-05-0", i == 2 ? 2 : i + 1, "T00:00:00Z"));
    ASSERT_TRUE(store_->CreateJob(job).ok());
  }
  std::vector<std::string> ids;
  std::optional<JobPosition> after;
  int pages = 0;
  do {
    absl::StatusOr<JobPage> page = store_->ListJobs(after, 2);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const StoredJob& job : page->jobs) ids.push_back(job.job.job_id());
    after = page->next;
    ++pages;
  } while (after.has_value());
  EXPECT_EQ(ids, (std::vector<std::string>{"job-4", "job-3", "job-2", "job-1",
                                           "job-0"}));
  EXPECT_EQ(pages, 3);

  backtest::v1::JobResult result;
  result.mutable_walk_forward()->set_efficiency(0.5);
  ASSERT_TRUE(store_->StoreJobResult("job-3", result).ok());
  absl::StatusOr<StoredJob> job = store_->ReadJob("job-3", true);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_TRUE(job->has_result);
  EXPECT_EQ(job->result_at, "2024-05-01T10:00:00Z");
  EXPECT_DOUBLE_EQ(job->job.result().walk_forward().efficiency(), 0.5);
  EXPECT_FALSE(store_->ReadJob("job-3", false)->job.has_result());
  EXPECT_EQ(Reason(store_->StoreJobResult("nope", result)), "UNKNOWN_JOB");
}

}  // namespace
}  // namespace seed::results
