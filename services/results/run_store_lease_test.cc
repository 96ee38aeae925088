// Leases, progress and the schema version that brought them (6), on both
// drivers: a run whose coordinator stops renewing its lease reads as
// ABANDONED and is stored so, writes to it are refused, UpdateRun sets the
// data identity once, and a version 5 database is upgraded in place.
#include <string>
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

using ::backtest::v1::BeginRunRequest;
using ::backtest::v1::RunSummary;
using ::backtest::v1::UpdateRunRequest;

class RunStoreLeaseTest : public ::testing::TestWithParam<Driver> {
 protected:
  std::string Fresh(absl::string_view name) {
    absl::StatusOr<std::string> location = FreshDatabase(GetParam(), name);
    EXPECT_TRUE(location.ok()) << location.status();
    return location.value_or("");
  }

  FakeClock clock_;
};

INSTANTIATE_TEST_SUITE_P(Drivers, RunStoreLeaseTest,
                         ::testing::Values(Driver::kSqlite, Driver::kPostgres),
                         DriverName);

// The state column as stored, read behind the store's back.
int64_t StoredState(const std::string& location, const std::string& run_id) {
  absl::StatusOr<std::unique_ptr<SqlDatabase>> db =
      OpenSqlDatabase(location, OpenMode::kReadOnly);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return -1;
  absl::StatusOr<Statement> select =
      (*db)->Prepare("SELECT state FROM runs WHERE run_id = ?1");
  EXPECT_TRUE(select.ok()) << select.status();
  if (!select.ok()) return -1;
  (*select)->BindText(1, run_id);
  absl::StatusOr<bool> row = (*select)->Step();
  EXPECT_TRUE(row.ok() && *row);
  return row.ok() && *row ? (*select)->Int(0) : -1;
}

UpdateRunRequest Progress(const std::string& run_id, int64_t steps,
                          const std::string& time) {
  UpdateRunRequest request;
  request.set_run_id(run_id);
  request.set_steps_done(steps);
  request.set_current_time(time);
  return request;
}

std::vector<std::string> Ids(RunStore& store, const RunFilter& filter) {
  absl::StatusOr<RunPage> page = store.ListRuns(filter);
  EXPECT_TRUE(page.ok()) << page.status();
  std::vector<std::string> ids;
  if (page.ok()) {
    for (const RunSummary& run : page->runs) ids.push_back(run.run_id());
  }
  return ids;
}

TEST_P(RunStoreLeaseTest, ARunWhoseLeaseRanOutIsAbandonedOnEveryRead) {
  const std::string path = Fresh("abandoned");
  std::unique_ptr<RunStore> store =
      OpenOrDie(path, OpenMode::kReadWrite, clock_.clock());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->BeginRun(Begin("run-2")).ok());
  ASSERT_TRUE(store->UpdateRun(Progress("run-1", 120, "2015-03-02")).ok());
  // Each write renews the lease for the default 60 s from its own time.
  clock_.Advance(59);
  ASSERT_TRUE(store->AppendRecords(Batch("run-1", 1420070400)).ok());
  ASSERT_TRUE(store->UpdateRun(Progress("run-2", 3, "")).ok());
  clock_.Advance(59);
  EXPECT_EQ(store->ReadRun("run-1")->summary.state(), backtest::v1::RUNNING);
  clock_.Advance(1);  // 119 s in: run-1's lease ran out at 10:01:59

  // A read-only store reports it and stores nothing.
  {
    std::unique_ptr<RunStore> reader =
        OpenOrDie(path, OpenMode::kReadOnly, clock_.clock());
    ASSERT_NE(reader, nullptr);
    absl::StatusOr<StoredRun> run = reader->ReadRun("run-1");
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->summary.state(), backtest::v1::ABANDONED);
    // run-2's lease, renewed at the same time, ran out with it.
    EXPECT_EQ(Ids(*reader, {.state = backtest::v1::ABANDONED}),
              (std::vector<std::string>{"run-2", "run-1"}));
  }
  EXPECT_EQ(StoredState(path, "run-1"), backtest::v1::RUNNING);

  absl::StatusOr<StoredRun> run = store->ReadRun("run-1");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->summary.state(), backtest::v1::ABANDONED);
  EXPECT_EQ(run->summary.finished_at(), "2024-05-01T10:01:59Z");
  const backtest::v1::StageError& error = run->summary.error();
  EXPECT_EQ(error.stage(), "coordinator");
  EXPECT_EQ(error.reason(), "ABANDONED");
  EXPECT_EQ(error.message(),
            "the coordinator running it went away: its lease on the run ran "
            "out at 2024-05-01T10:01:59Z, after 120 steps, the last at "
            "2015-03-02")
      << error.DebugString();
  EXPECT_FALSE(error.hint().empty());
  // Stored the first time a writable store saw it.
  EXPECT_EQ(StoredState(path, "run-1"), backtest::v1::ABANDONED);

  // Listing by state lists runs as they read.
  EXPECT_EQ(Ids(*store, {.state = backtest::v1::RUNNING}),
            std::vector<std::string>{});
  EXPECT_EQ(Ids(*store, {.state = backtest::v1::ABANDONED}),
            (std::vector<std::string>{"run-2", "run-1"}));
  EXPECT_EQ(StoredState(path, "run-2"), backtest::v1::ABANDONED);
  absl::StatusOr<StoredRun> second = store->ReadRun("run-2");
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->summary.error().message().find("after 3 steps"),
            std::string::npos)
      << second->summary.error().message();

  // A coordinator that wakes up late learns its run was given up.
  for (const absl::Status& status :
       {store->AppendRecords(Batch("run-1", 1420329600)),
        store->UpdateRun(Progress("run-1", 200, "2015-04-01")),
        store->FinishRun(Finish("run-1"), "t", CountingMetrics).status()}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
    EXPECT_EQ(Reason(status), "RUN_ABANDONED") << status;
    EXPECT_NE(status.message().find("ran out at 2024-05-01T10:01:59Z"),
              std::string::npos)
        << status;
  }
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->equity.size(), 3);
  EXPECT_TRUE(records->open_trades.empty());
  run = store->ReadRun("run-1");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->summary.finished_at(), "2024-05-01T10:01:59Z");
  EXPECT_FALSE(run->summary.has_metrics());
}

// Before any read found it, the refused write stores it.
TEST_P(RunStoreLeaseTest, AWriteAfterTheLeaseRanOutStoresTheAbandonment) {
  const std::string path = Fresh("late_write");
  std::unique_ptr<RunStore> store =
      OpenOrDie(path, OpenMode::kReadWrite, clock_.clock());
  ASSERT_NE(store, nullptr);
  BeginRunRequest begin = Begin("run-1");
  begin.set_lease_seconds(5);
  begin.mutable_run()->set_state(backtest::v1::QUEUED);
  ASSERT_TRUE(store->BeginRun(begin).ok());
  clock_.Advance(4);
  EXPECT_EQ(store->ReadRun("run-1")->summary.state(), backtest::v1::QUEUED);
  clock_.Advance(1);
  EXPECT_EQ(Reason(store->AppendRecords(Batch("run-1", 1420070400))),
            "RUN_ABANDONED");
  EXPECT_EQ(StoredState(path, "run-1"), backtest::v1::ABANDONED);
  absl::StatusOr<StoredRun> run = store->ReadRun("run-1");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->summary.error().message(),
            "the coordinator running it went away: its lease on the run ran "
            "out at 2024-05-01T10:00:05Z, before its first step");
}

// A finished run keeps its state however old its lease.
TEST_P(RunStoreLeaseTest, AFinishedRunIsNeverAbandoned) {
  std::unique_ptr<RunStore> store =
      OpenOrDie(Fresh("finished"), OpenMode::kReadWrite, clock_.clock());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->FinishRun(Finish("run-1"), "t", CountingMetrics).ok());
  clock_.Advance(3600);
  EXPECT_EQ(store->ReadRun("run-1")->summary.state(), backtest::v1::FAILED);
  EXPECT_EQ(Reason(store->AppendRecords(Batch("run-1", 0))),
            "RUN_ALREADY_FINISHED");
}

// A run submitted QUEUED before its data is loaded gets its identity from
// UpdateRun, once; FinishRun measures it with the interval given there.
TEST_P(RunStoreLeaseTest, UpdateRunSetsTheDataIdentityOnceAndStartsTheRun) {
  std::unique_ptr<RunStore> store =
      OpenOrDie(Fresh("update"), OpenMode::kReadWrite, clock_.clock());
  ASSERT_NE(store, nullptr);
  BeginRunRequest begin = Begin("run-1");
  begin.mutable_run()->set_state(backtest::v1::QUEUED);
  begin.mutable_run()->clear_data_hash();
  begin.mutable_run()->clear_first_time();
  begin.mutable_run()->clear_last_time();
  begin.clear_symbol_hashes();
  begin.set_interval_seconds(0);
  ASSERT_TRUE(store->BeginRun(begin).ok());

  UpdateRunRequest loaded;
  loaded.set_run_id("run-1");
  (*loaded.mutable_symbol_hashes())["ORCL"] = "aaa";
  loaded.set_data_hash("data-hash");
  loaded.set_interval_seconds(3600);
  loaded.set_first_time("2015-01-02");
  loaded.set_last_time("2015-06-30");
  loaded.set_state(backtest::v1::RUNNING);
  ASSERT_TRUE(store->UpdateRun(loaded).ok());
  // The same again, and a symbol not given before, are fine.
  UpdateRunRequest more = loaded;
  (*more.mutable_symbol_hashes())["NVDA"] = "bbb";
  more.set_steps_done(10);
  more.set_current_time("2015-01-15");
  EXPECT_TRUE(store->UpdateRun(more).ok());
  absl::StatusOr<StoredRun> run = store->ReadRun("run-1");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->summary.state(), backtest::v1::RUNNING);
  EXPECT_EQ(run->summary.data_hash(), "data-hash");
  EXPECT_EQ(run->summary.first_time(), "2015-01-02");
  EXPECT_EQ(run->summary.last_time(), "2015-06-30");
  EXPECT_EQ(run->interval_seconds, 3600);
  EXPECT_EQ(run->symbol_hashes, (std::map<std::string, std::string>{
                                    {"NVDA", "bbb"}, {"ORCL", "aaa"}}));
  EXPECT_EQ(run->steps_done, 10);
  EXPECT_EQ(run->step_time, "2015-01-15");

  // Different values are refused, each named, and nothing changes.
  UpdateRunRequest other;
  other.set_run_id("run-1");
  (*other.mutable_symbol_hashes())["ORCL"] = "zzz";
  other.set_data_hash("other-hash");
  other.set_interval_seconds(86400);
  other.set_steps_done(20);
  const absl::Status status = store->UpdateRun(other);
  EXPECT_EQ(Reason(status), "DATA_IDENTITY_DIFFERS") << status;
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(status)) {
    fields.push_back(problem.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"data_hash", "interval_seconds",
                                              "symbol_hashes[ORCL]"}));
  run = store->ReadRun("run-1");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->summary.data_hash(), "data-hash");
  EXPECT_EQ(run->steps_done, 10);
  EXPECT_EQ(run->symbol_hashes.at("ORCL"), "aaa");

  // Progress alone leaves the identity as it is.
  ASSERT_TRUE(store->UpdateRun(Progress("run-1", 30, "2015-02-01")).ok());
  EXPECT_EQ(store->ReadRun("run-1")->summary.data_hash(), "data-hash");
  int64_t interval = 0;
  ASSERT_TRUE(
      store
          ->FinishRun(Finish("run-1"), "t",
                      [&](const StoredRun& stored, const RunRecords& records) {
                        interval = stored.interval_seconds;
                        return CountingMetrics(stored, records);
                      })
          .ok());
  EXPECT_EQ(interval, 3600);
  EXPECT_EQ(Reason(store->UpdateRun(Progress("run-1", 31, ""))),
            "RUN_ALREADY_FINISHED");
  EXPECT_EQ(Reason(store->UpdateRun(Progress("nope", 1, ""))), "UNKNOWN_RUN");
}

// Version 5's tables in the common dialect (sql_database.h), so that both
// drivers get the image of a database that release wrote (comments left
// out; PostgreSQL's runs have their rowid column): a run that failed and
// one still running, with a fill and a trade.
constexpr char kVersion5Schema[] = R"sql(
CREATE TABLE runs ({ROWID} run_id {TEXT} PRIMARY KEY NOT NULL,
  name {TEXT} NOT NULL, state {INT} NOT NULL, strategy {TEXT} NOT NULL,
  symbols {TEXT} NOT NULL, created_at {TEXT} NOT NULL,
  finished_at {TEXT} NOT NULL, spec_hash {TEXT} NOT NULL,
  data_hash {TEXT} NOT NULL, engine_version {TEXT} NOT NULL,
  first_time {TEXT} NOT NULL, last_time {TEXT} NOT NULL,
  canonical_spec {TEXT} NOT NULL, initial_cash {REAL} NOT NULL,
  interval_seconds {INT} NOT NULL, error {BLOB}, metrics {BLOB},
  metrics_spec {BLOB} NOT NULL);
CREATE INDEX runs_by_created_at ON runs (created_at);
CREATE TABLE symbol_hashes (run_id {TEXT} NOT NULL, symbol {TEXT} NOT NULL,
  hash {TEXT} NOT NULL, PRIMARY KEY (run_id, symbol)){WITHOUT_ROWID};
CREATE TABLE equity_chunks (run_id {TEXT} NOT NULL, seq {INT} NOT NULL,
  first_time {INT} NOT NULL, last_time {INT} NOT NULL, count {INT} NOT NULL,
  points {BLOB} NOT NULL, strategies {INT} NOT NULL DEFAULT 0,
  strategy_equity {BLOB} NOT NULL DEFAULT {EMPTY_BLOB},
  PRIMARY KEY (run_id, seq));
CREATE TABLE fills (run_id {TEXT} NOT NULL, seq {INT} NOT NULL,
  order_id {INT} NOT NULL, symbol {INT} NOT NULL, side {INT} NOT NULL,
  time {INT} NOT NULL, quantity {REAL} NOT NULL, price {REAL} NOT NULL,
  commission {REAL} NOT NULL, slippage {REAL} NOT NULL, reason {TEXT} NOT NULL,
  raw_price {REAL} NOT NULL DEFAULT 0, role {INT} NOT NULL DEFAULT 0,
  type {INT} NOT NULL DEFAULT 0, partial {INT} NOT NULL DEFAULT 0,
  remaining_quantity {REAL} NOT NULL DEFAULT 0,
  same_bar_resolution {TEXT} NOT NULL DEFAULT '',
  gap {INT} NOT NULL DEFAULT 0, tag {TEXT} NOT NULL DEFAULT '',
  strategy {INT} NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, seq)){WITHOUT_ROWID};
CREATE TABLE rejections (run_id {TEXT} NOT NULL, seq {INT} NOT NULL,
  order_id {INT} NOT NULL, symbol {INT} NOT NULL, side {INT} NOT NULL,
  quantity {REAL} NOT NULL, time {INT} NOT NULL, stage {TEXT} NOT NULL,
  code {TEXT} NOT NULL, message {TEXT} NOT NULL,
  strategy {INT} NOT NULL DEFAULT 0, tag {TEXT} NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, seq)){WITHOUT_ROWID};
CREATE TABLE trades (run_id {TEXT} NOT NULL, seq {INT} NOT NULL,
  open {INT} NOT NULL, symbol {TEXT} NOT NULL, side {INT} NOT NULL,
  entry_time {INT} NOT NULL, entry_price {REAL} NOT NULL,
  exit_time {INT} NOT NULL, exit_price {REAL} NOT NULL,
  quantity {REAL} NOT NULL, gross_pnl {REAL} NOT NULL,
  commission {REAL} NOT NULL, net_pnl {REAL} NOT NULL,
  exit_reason {TEXT} NOT NULL, r_multiple {REAL},
  borrow_fees {REAL} NOT NULL DEFAULT 0, slippage {REAL} NOT NULL DEFAULT 0,
  mae {REAL} NOT NULL DEFAULT 0, mfe {REAL} NOT NULL DEFAULT 0,
  initial_stop {REAL} NOT NULL DEFAULT 0, strategy {TEXT} NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, seq)){WITHOUT_ROWID};
CREATE TABLE traces (run_id {TEXT} PRIMARY KEY NOT NULL,
  spans {BLOB} NOT NULL);
INSERT INTO runs (run_id, name, state, strategy, symbols, created_at,
  finished_at, spec_hash, data_hash, engine_version, first_time, last_time,
  canonical_spec, initial_cash, interval_seconds, error, metrics,
  metrics_spec) VALUES
  ('old', 'old run', 4, 'sma_cross', 'ORCL', '2024-01-01T00:00:00Z',
   '2024-01-01T00:01:00Z', 'h', 'd', '0.1.0', '1995-01-03', '2014-12-31',
   '{}', 1000, 86400, NULL, NULL, {EMPTY_BLOB}),
  ('stuck', 'stuck run', 2, 'sma_cross', 'ORCL', '2024-01-02T00:00:00Z',
   '', 'h', 'd', '0.1.0', '1995-01-03', '2014-12-31', '{}', 1000, 86400,
   NULL, NULL, {EMPTY_BLOB});
INSERT INTO fills VALUES ('old', 0, 3, 0, 1, 800000000, 10, 12.5, 1, 0.25,
  'signal', 12.4, 0, 1, 0, 0, '', 0, 'entry', 1);
INSERT INTO trades VALUES ('old', 0, 0, 'ORCL', 1, 800000000, 12.5,
  801000000, 14, 10, 15, 2, 13, 'signal', NULL, 0, 0.5, -1, 2, 0, 'fast');
)sql";

// Opened for writing, a version 5 database is upgraded in place: its runs
// read back as they were, with no lease, progress or job; the run it held
// RUNNING gets a lease from the upgrade on, so it is given up a minute
// later; new runs and jobs store everything.
TEST_P(RunStoreLeaseTest, AVersion5DatabaseIsUpgradedKeepingItsRuns) {
  const std::string path = Fresh("version_5");
  {
    absl::StatusOr<std::unique_ptr<SqlDatabase>> db =
        OpenSqlDatabase(path, OpenMode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Execute(kVersion5Schema).ok());
    ASSERT_TRUE((*db)->SetSchemaVersion(5).ok());
  }
  const absl::StatusOr<std::unique_ptr<RunStore>> read_only =
      RunStore::Open(path, OpenMode::kReadOnly);
  ASSERT_FALSE(read_only.ok());
  EXPECT_EQ(Reason(read_only.status()), "DATABASE_TOO_OLD");

  std::unique_ptr<RunStore> store =
      OpenOrDie(path, OpenMode::kReadWrite, clock_.clock());
  ASSERT_NE(store, nullptr);
  {
    absl::StatusOr<std::unique_ptr<SqlDatabase>> db =
        OpenSqlDatabase(path, OpenMode::kReadOnly);
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(*(*db)->SchemaVersion(), 6);
  }
  absl::StatusOr<StoredRun> old = store->ReadRun("old");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->summary.state(), backtest::v1::FAILED);
  EXPECT_EQ(old->job.job_id(), "");
  EXPECT_EQ(old->steps_done, 0);
  EXPECT_FALSE(old->objective.has_value());
  absl::StatusOr<RunRecords> records = store->ReadRecords("old");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->fills.size(), 1);
  EXPECT_EQ(records->fills[0].tag(), "entry");
  ASSERT_EQ(records->closed_trades.size(), 1);
  EXPECT_EQ(records->closed_trades[0].strategy(), "fast");

  EXPECT_EQ(store->ReadRun("stuck")->summary.state(), backtest::v1::RUNNING);
  clock_.Advance(RunStore::kDefaultLeaseSeconds);
  absl::StatusOr<StoredRun> stuck = store->ReadRun("stuck");
  ASSERT_TRUE(stuck.ok());
  EXPECT_EQ(stuck->summary.state(), backtest::v1::ABANDONED);
  EXPECT_EQ(stuck->summary.error().reason(), "ABANDONED");

  // And everything of version 6 works on it.
  ASSERT_TRUE(store->CreateJob(SweepJob("job-1", 2)).ok());
  ASSERT_TRUE(store->BeginRun(BeginChild("child-0", "job-1", 0)).ok());
  ASSERT_TRUE(store->AppendRecords(Batch("child-0", 1420070400)).ok());
  ASSERT_TRUE(store->FinishRun(Finish("child-0"), "t", CountingMetrics).ok());
  absl::StatusOr<StoredRun> child = store->ReadRun("child-0");
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(child->job.job_id(), "job-1");
  EXPECT_DOUBLE_EQ(child->objective.value_or(0), 1.5);
}

}  // namespace
}  // namespace seed::results
