// The results store on both drivers of the SQL layer: every test runs
// against a SQLite file and against a PostgreSQL database on a server the
// test binary starts (tests/postgres_server.h). What only one driver has is
// tested in run_store_sqlite_test.cc and run_store_postgres_test.cc.
#include "services/results/run_store.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "services/results/run_store_test_util.h"
#include "services/results/sql_database.h"
#include "services/results/test_database.h"

namespace seed::results {
namespace {

using ::backtest::v1::AppendRecordsRequest;
using ::backtest::v1::BeginRunRequest;
using ::backtest::v1::FinishRunRequest;
using ::backtest::v1::RunSummary;
using ::google::protobuf::util::MessageDifferencer;

class RunStoreTest : public ::testing::TestWithParam<Driver> {
 protected:
  // The location of a new, empty database for this test.
  std::string Fresh(absl::string_view name) {
    absl::StatusOr<std::string> location = FreshDatabase(GetParam(), name);
    EXPECT_TRUE(location.ok()) << location.status();
    return location.value_or("");
  }
};

INSTANTIATE_TEST_SUITE_P(Drivers, RunStoreTest,
                         ::testing::Values(Driver::kSqlite, Driver::kPostgres),
                         DriverName);

// The chunk rows of `run_id` as "seq:count:first_time:last_time:strategies",
// read with SQL directly since they are the database's public layout.
std::vector<std::string> ChunkRows(const std::string& location,
                                   const std::string& run_id) {
  absl::StatusOr<std::unique_ptr<SqlDatabase>> db =
      OpenSqlDatabase(location, OpenMode::kReadOnly);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return {};
  absl::StatusOr<Statement> select = (*db)->Prepare(
      "SELECT seq, count, first_time, last_time, length(points), strategies, "
      "length(strategy_equity) FROM equity_chunks WHERE run_id = ?1 "
      "ORDER BY seq");
  EXPECT_TRUE(select.ok()) << select.status();
  if (!select.ok()) return {};
  SqlStatement& row = **select;
  row.BindText(1, run_id);
  std::vector<std::string> rows;
  absl::StatusOr<bool> more;
  while ((more = row.Step()).ok() && *more) {
    const int64_t count = row.Int(1);
    const int64_t strategies = row.Int(5);
    EXPECT_EQ(row.Int(4), 24 * count);
    EXPECT_EQ(row.Int(6), 8 * strategies * count);
    rows.push_back(absl::StrCat(row.Int(0), ":", count, ":", row.Int(2), ":",
                                row.Int(3), ":", strategies));
  }
  EXPECT_TRUE(more.ok()) << more.status();
  return rows;
}

TEST_P(RunStoreTest, EveryRecordKindRoundTripsAndSurvivesReopening) {
  const std::string path = Fresh("round_trip");
  const BeginRunRequest begin = Begin("run-1");
  const AppendRecordsRequest first = Batch("run-1", 1420070400);
  AppendRecordsRequest second = Batch("run-1", 1420329600);
  second.mutable_trades(0)->clear_r_multiple();
  const FinishRunRequest finish = Finish("run-1");
  {
    std::unique_ptr<RunStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->BeginRun(begin).ok());
    ASSERT_TRUE(store->AppendRecords(first).ok());
    ASSERT_TRUE(store->AppendRecords(second).ok());
    absl::StatusOr<RunSummary> finished =
        store->FinishRun(finish, "2024-05-01T10:05:00Z", CountingMetrics);
    ASSERT_TRUE(finished.ok()) << finished.status();
    EXPECT_EQ(finished->state(), backtest::v1::FAILED);
    EXPECT_EQ(finished->finished_at(), "2024-05-01T10:05:00Z");
    // The metrics saw both batches and the open trade, as stored.
    EXPECT_EQ(finished->metrics().trades(), 2);
    EXPECT_EQ(finished->metrics().open_trades(), 1);
    EXPECT_EQ(finished->metrics().max_drawdown_duration_steps(), 6);
    EXPECT_DOUBLE_EQ(finished->metrics().initial_equity(), 100000);
  }

  std::unique_ptr<RunStore> reopened = OpenOrDie(path);
  ASSERT_NE(reopened, nullptr);
  absl::StatusOr<StoredRun> run = reopened->ReadRun("run-1");
  ASSERT_TRUE(run.ok()) << run.status();
  RunSummary expected_summary = begin.run();
  expected_summary.set_state(backtest::v1::FAILED);
  expected_summary.set_finished_at("2024-05-01T10:05:00Z");
  *expected_summary.mutable_error() = finish.error();
  expected_summary.mutable_metrics()->set_initial_equity(100000);
  expected_summary.mutable_metrics()->set_trades(2);
  expected_summary.mutable_metrics()->set_open_trades(1);
  expected_summary.mutable_metrics()->set_max_drawdown_duration_steps(6);
  expected_summary.mutable_metrics()->set_sharpe(1.5);
  // FinishRun handed the metrics the spec BeginRun stored.
  expected_summary.mutable_metrics()->mutable_sharpe_ci()->set_resamples(500);
  EXPECT_TRUE(MessageDifferencer::Equals(run->summary, expected_summary))
      << run->summary.DebugString();
  EXPECT_EQ(run->canonical_spec, begin.canonical_spec());
  EXPECT_EQ(run->symbol_hashes, (std::map<std::string, std::string>{
                                    {"NVDA", "bbb"}, {"ORCL", "aaa"}}));
  EXPECT_DOUBLE_EQ(run->initial_cash, 100000);
  EXPECT_EQ(run->interval_seconds, 86400);
  EXPECT_TRUE(MessageDifferencer::Equals(run->metrics_spec, begin.metrics()))
      << run->metrics_spec.DebugString();

  absl::StatusOr<RunRecords> records = reopened->ReadRecords("run-1");
  ASSERT_TRUE(records.ok()) << records.status();
  AppendRecordsRequest both = first;
  both.MergeFrom(second);  // repeated fields concatenate in append order
  ExpectSameMessages(records->equity, both.equity());
  ExpectSameMessages(records->fills, both.fills());
  ExpectSameMessages(records->rejections, both.rejections());
  ExpectSameMessages(records->closed_trades, both.trades());
  ExpectSameMessages(records->open_trades, finish.open_trades());
  EXPECT_FALSE(records->closed_trades[1].has_r_multiple());
}

// Each chunk says how many strategy equities its points carry: none in the
// first, three in the second.
TEST_P(RunStoreTest, AMillionPointBatchIsOneChunkAndRoundTripsBitForBit) {
  const std::string path = Fresh("million");
  const AppendRecordsRequest big = ExtremeEquity("run-1", 1000000);
  const AppendRecordsRequest small = ExtremeEquity("run-1", 5, 3);
  {
    std::unique_ptr<RunStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
    ASSERT_TRUE(store->AppendRecords(big).ok());
    ASSERT_TRUE(store->AppendRecords(small).ok());
  }
  EXPECT_EQ(ChunkRows(path, "run-1"),
            (std::vector<std::string>{
                absl::StrCat("0:1000000:", big.equity(0).time(), ":",
                             big.equity(999999).time(), ":0"),
                absl::StrCat("1:5:", small.equity(0).time(), ":",
                             small.equity(4).time(), ":3")}));
  std::unique_ptr<RunStore> store = OpenOrDie(path, OpenMode::kReadOnly);
  ASSERT_NE(store, nullptr);
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok()) << records.status();
  AppendRecordsRequest both = big;
  both.MergeFrom(small);
  ExpectIdenticalEquity(records->equity, both.equity());
}

// With strategy equities: the second chunk's values start at the split.
TEST_P(RunStoreTest, ABatchOverTheChunkLimitTakesSeveralChunks) {
  const std::string path = Fresh("split");
  const AppendRecordsRequest batch =
      ExtremeEquity("run-1", RunStore::kMaxPointsPerChunk + 1, 2);
  std::unique_ptr<RunStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->AppendRecords(batch).ok());
  const int last = batch.equity_size() - 1;
  EXPECT_EQ(ChunkRows(path, "run-1"),
            (std::vector<std::string>{
                absl::StrCat("0:", RunStore::kMaxPointsPerChunk, ":",
                             batch.equity(0).time(), ":",
                             batch.equity(last - 1).time(), ":2"),
                absl::StrCat("1:1:", batch.equity(last).time(), ":",
                             batch.equity(last).time(), ":2")}));
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok()) << records.status();
  ExpectIdenticalEquity(records->equity, batch.equity());
}

// Either blob of a chunk may disagree with the counts stored beside it.
TEST_P(RunStoreTest, AChunkOfTheWrongSizeIsReportedCorrupt) {
  for (const char* corruption : {"UPDATE equity_chunks SET count = count + 1",
                                 "UPDATE equity_chunks SET strategies = 3",
                                 "UPDATE equity_chunks SET strategies = 0",
                                 "UPDATE equity_chunks SET strategies = -2"}) {
    SCOPED_TRACE(corruption);
    const std::string path = Fresh("corrupt_chunk");
    {
      std::unique_ptr<RunStore> store = OpenOrDie(path);
      ASSERT_NE(store, nullptr);
      ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
      ASSERT_TRUE(store->AppendRecords(Batch("run-1", 1420070400)).ok());
    }
    ASSERT_TRUE(ExecuteSql(path, corruption).ok());
    std::unique_ptr<RunStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    const absl::Status status = store->ReadRecords("run-1").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(Reason(status), "DATABASE_CORRUPT") << status;
    EXPECT_NE(status.message().find("equity chunk 0 of run run-1 in " +
                                    store->path()),
              std::string::npos)
        << status;
  }
}

TEST_P(RunStoreTest, BeginningAnExistingRunChangesNothing) {
  std::unique_ptr<RunStore> store = OpenOrDie(Fresh("exists"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->AppendRecords(Batch("run-1", 1420070400)).ok());
  BeginRunRequest again = Begin("run-1");
  again.mutable_run()->set_name("impostor");
  const absl::Status status = store->BeginRun(again);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Reason(status), "RUN_ALREADY_EXISTS");
  absl::StatusOr<StoredRun> run = store->ReadRun("run-1");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->summary.name(), "demo run-1");
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->equity.size(), 3);
}

TEST_P(RunStoreTest, UnknownAndFinishedRunsRefuseRecords) {
  std::unique_ptr<RunStore> store = OpenOrDie(Fresh("refuse"));
  ASSERT_NE(store, nullptr);
  absl::Status status = store->AppendRecords(Batch("nope", 0));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Reason(status), "UNKNOWN_RUN");
  EXPECT_NE(status.message().find("no run nope in " + store->path()),
            std::string::npos)
      << status;
  EXPECT_EQ(Reason(store->ReadRun("nope").status()), "UNKNOWN_RUN");

  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->FinishRun(Finish("run-1"), "t", CountingMetrics).ok());
  status = store->AppendRecords(Batch("run-1", 0));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Reason(status), "RUN_ALREADY_FINISHED");
  status = store->FinishRun(Finish("run-1"), "t", CountingMetrics).status();
  EXPECT_EQ(Reason(status), "RUN_ALREADY_FINISHED");
  // The refused second finish stored no second open trade.
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->open_trades.size(), 1);
}

TEST_P(RunStoreTest, AFailedBatchLeavesNothingHalfWritten) {
  std::unique_ptr<RunStore> store = OpenOrDie(Fresh("rollback"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->AppendRecords(Batch("run-1", 1420070400)).ok());
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  // A NaN equity is refused before anything is written. SQLite stores NaN as
  // NULL, which the NOT NULL column refuses: a NaN fill quantity fails after
  // the batch's equity chunk was inserted.
  AppendRecordsRequest nan_equity = Batch("run-1", 1420329600);
  nan_equity.mutable_equity(2)->set_equity(kNaN);
  AppendRecordsRequest nan_strategy = Batch("run-1", 1420329600);
  nan_strategy.mutable_equity(1)->set_strategy_equity(1, kNaN);
  AppendRecordsRequest nan_fill = Batch("run-1", 1420329600);
  nan_fill.mutable_fills(0)->set_quantity(kNaN);
  for (const AppendRecordsRequest& bad : {nan_equity, nan_strategy, nan_fill}) {
    const absl::Status status = store->AppendRecords(bad);
    EXPECT_EQ(Reason(status), "STORAGE_FAILED") << status;
    EXPECT_NE(status.message().find(store->path()), std::string::npos);
    absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
    ASSERT_TRUE(records.ok());
    EXPECT_EQ(records->equity.size(), 3);
    EXPECT_EQ(records->fills.size(), 1);
  }
  EXPECT_NE(store->AppendRecords(nan_strategy)
                .message()
                .find("point 1 of the batch has strategy_equity[1] NaN"),
            std::string::npos);
  // And the store still works.
  EXPECT_TRUE(store->AppendRecords(Batch("run-1", 1420329600)).ok());
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->equity.size(), 6);
}

// A chunk keeps one count of strategy equities for all its points.
TEST_P(RunStoreTest, PointsOfABatchMustCarryTheSameNumberOfStrategyEquities) {
  std::unique_ptr<RunStore> store = OpenOrDie(Fresh("uneven"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  AppendRecordsRequest uneven = Batch("run-1", 1420070400);
  uneven.mutable_equity(2)->clear_strategy_equity();
  const absl::Status status = store->AppendRecords(uneven);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(status), "INVALID_APPEND_RECORDS") << status;
  const std::vector<FieldProblem> problems = FieldProblems(status);
  ASSERT_EQ(problems.size(), 1) << status;
  EXPECT_EQ(problems[0].field, "equity[2].strategy_equity");
  EXPECT_NE(problems[0].description.find("has 0 values but equity[0] has 2"),
            std::string::npos)
      << problems[0].description;
  // Which bar: point 2 is at 1420070400 + 2 * 86400 = 1420243200.
  EXPECT_EQ(ToStageError(status, "").bar_time(), "2015-01-03") << status;
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->equity.empty());
  EXPECT_TRUE(records->fills.empty());
}

// Tests run as root, which ignores file permissions, so a read-only file
// cannot be simulated with chmod. Opening with OpenMode::kReadOnly makes
// SQLite refuse every write with SQLITE_READONLY, the same code a write
// protected file produces, and PostgreSQL refuse it as in a read-only
// transaction (SQLSTATE 25006), as a standby server would.
TEST_P(RunStoreTest, ReadOnlyDatabaseRefusesWritesAndKeepsWhatIsStored) {
  const std::string path = Fresh("read_only");
  const AppendRecordsRequest batch = Batch("run-1", 1420070400);
  {
    std::unique_ptr<RunStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
    ASSERT_TRUE(store->AppendRecords(batch).ok());
  }
  {
    std::unique_ptr<RunStore> store = OpenOrDie(path, OpenMode::kReadOnly);
    ASSERT_NE(store, nullptr);
    absl::Status status = store->AppendRecords(Batch("run-1", 1420329600));
    EXPECT_EQ(Reason(status), "DATABASE_READ_ONLY") << status;
    EXPECT_NE(status.message().find(store->path()), std::string::npos);
    EXPECT_FALSE(ToStageError(status, "").hint().empty());
    status = store->FinishRun(Finish("run-1"), "t", CountingMetrics).status();
    EXPECT_EQ(Reason(status), "DATABASE_READ_ONLY") << status;
    EXPECT_NE(status.message().find(store->path()), std::string::npos);
    EXPECT_EQ(Reason(store->BeginRun(Begin("run-2"))), "DATABASE_READ_ONLY");
    // Reading still works.
    EXPECT_TRUE(store->ReadRun("run-1").ok());
  }
  std::unique_ptr<RunStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  absl::StatusOr<StoredRun> run = store->ReadRun("run-1");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->summary.state(), backtest::v1::RUNNING);
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok());
  ExpectSameMessages(records->equity, batch.equity());
  ExpectSameMessages(records->closed_trades, batch.trades());
  EXPECT_TRUE(records->open_trades.empty());
  EXPECT_EQ(Reason(store->ReadRun("run-2").status()), "UNKNOWN_RUN");
}

// A missing file, or a database the server does not have.
TEST_P(RunStoreTest, ReadOnlyOpenOfAMissingDatabaseFails) {
  std::string path = Fresh("missing");
  if (GetParam() == Driver::kPostgres) {
    path = path.substr(0, path.rfind('/') + 1) + "no_such_database";
  }
  const absl::StatusOr<std::unique_ptr<RunStore>> store =
      RunStore::Open(path, OpenMode::kReadOnly);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(Reason(store.status()), "DATABASE_CANNOT_OPEN") << store.status();
}

TEST_P(RunStoreTest, NewerSchemaIsRefused) {
  const std::string path = Fresh("too_new");
  ASSERT_NE(OpenOrDie(path), nullptr);
  {
    absl::StatusOr<std::unique_ptr<SqlDatabase>> db =
        OpenSqlDatabase(path, OpenMode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->SetSchemaVersion(99).ok());
  }
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    const absl::StatusOr<std::unique_ptr<RunStore>> store =
        RunStore::Open(path, mode);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(Reason(store.status()), "DATABASE_TOO_NEW");
    EXPECT_NE(store.status().message().find("has schema version 99"),
              std::string::npos)
        << store.status();
  }
}

TEST_P(RunStoreTest, ListsNewestFirstWithFilters) {
  std::unique_ptr<RunStore> store = OpenOrDie(Fresh("list"));
  ASSERT_NE(store, nullptr);
  // b and c share a created_at: insertion order breaks the tie.
  ASSERT_TRUE(
      store->BeginRun(Begin("a", "sma_cross", "2024-01-01T00:00:00Z")).ok());
  ASSERT_TRUE(
      store->BeginRun(Begin("b", "breakout", "2024-03-01T00:00:00Z")).ok());
  ASSERT_TRUE(
      store->BeginRun(Begin("c", "sma_cross", "2024-03-01T00:00:00Z")).ok());
  ASSERT_TRUE(
      store->BeginRun(Begin("d", "sma_cross", "2024-02-01T00:00:00Z")).ok());
  FinishRunRequest finish = Finish("d");
  finish.set_state(backtest::v1::SUCCEEDED);
  ASSERT_TRUE(store->FinishRun(finish, "t", CountingMetrics).ok());

  auto ids = [&](const RunFilter& filter) {
    std::vector<std::string> out;
    absl::StatusOr<std::vector<RunSummary>> runs = store->ListRuns(filter);
    EXPECT_TRUE(runs.ok()) << runs.status();
    if (runs.ok()) {
      for (const RunSummary& run : *runs) out.push_back(run.run_id());
    }
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<std::string>{"c", "b", "d", "a"}));
  EXPECT_EQ(ids({.limit = 2}), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(ids({.strategy = "sma_cross"}),
            (std::vector<std::string>{"c", "d", "a"}));
  EXPECT_EQ(ids({.state = backtest::v1::SUCCEEDED}),
            (std::vector<std::string>{"d"}));
  EXPECT_EQ(ids({.strategy = "breakout", .state = backtest::v1::SUCCEEDED}),
            std::vector<std::string>{});
  // Bounds compare with the whole stored value: 2024-03-01T00:00:00Z is at
  // or after "2024-03-01T00:00:00" and before "2024-03-01T00:00:01".
  EXPECT_EQ(ids({.created_from = "2024-02-01T00:00:00"}),
            (std::vector<std::string>{"c", "b", "d"}));
  EXPECT_EQ(ids({.created_before = "2024-03-01T00:00:00"}),
            (std::vector<std::string>{"d", "a"}));
  EXPECT_EQ(ids({.created_from = "2024-01-15T00:00:00",
                 .created_before = "2024-03-01T00:00:01"}),
            (std::vector<std::string>{"c", "b", "d"}));
}

TEST_P(RunStoreTest, ListsRunsWithASymbolAsAWholeTicker) {
  std::unique_ptr<RunStore> store = OpenOrDie(Fresh("list_symbol"));
  ASSERT_NE(store, nullptr);
  BeginRunRequest one = Begin("one");  // ORCL, NVDA
  BeginRunRequest two = Begin("two");
  two.mutable_run()->clear_symbols();
  two.mutable_run()->add_symbols("NVDA2");
  two.mutable_run()->add_symbols("OR");
  ASSERT_TRUE(store->BeginRun(one).ok());
  ASSERT_TRUE(store->BeginRun(two).ok());
  auto ids = [&](const std::string& symbol) {
    absl::StatusOr<std::vector<RunSummary>> runs =
        store->ListRuns({.symbol = symbol});
    EXPECT_TRUE(runs.ok()) << runs.status();
    std::vector<std::string> out;
    for (const RunSummary& run : runs.value()) out.push_back(run.run_id());
    return out;
  };
  EXPECT_EQ(ids("ORCL"), std::vector<std::string>{"one"});
  EXPECT_EQ(ids("NVDA"), std::vector<std::string>{"one"});  // not NVDA2
  EXPECT_EQ(ids("NVDA2"), std::vector<std::string>{"two"});
  EXPECT_EQ(ids("OR"), std::vector<std::string>{"two"});  // not ORCL
  EXPECT_TRUE(ids("orcl").empty());
}

TEST_P(RunStoreTest, FindsRunIdsByPrefix) {
  std::unique_ptr<RunStore> store = OpenOrDie(Fresh("prefix"));
  ASSERT_NE(store, nullptr);
  for (const char* id : {"abc1", "abc2", "abd", "x%_"}) {
    ASSERT_TRUE(store->BeginRun(Begin(id)).ok());
  }
  EXPECT_EQ(*store->FindRunIds("abc", 10),
            (std::vector<std::string>{"abc1", "abc2"}));
  EXPECT_EQ(*store->FindRunIds("ab", 2),
            (std::vector<std::string>{"abc1", "abc2"}));
  // LIKE wildcards in an id are plain characters here.
  EXPECT_EQ(*store->FindRunIds("x%", 10), (std::vector<std::string>{"x%_"}));
  EXPECT_TRUE(store->FindRunIds("z", 10)->empty());
}

// Several stores (connections, as of several results services) write to one
// database at once, each to a run of its own and all to one shared run:
// every batch is stored whole, and the shared run's records are numbered
// without a gap or a clash.
TEST_P(RunStoreTest, ConcurrentStoresLoseNothing) {
  const std::string path = Fresh("concurrent");
  constexpr int kStores = 3;
  constexpr int kOwnBatches = 20;
  constexpr int kSharedBatches = 10;
  {
    std::unique_ptr<RunStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->BeginRun(Begin("shared")).ok());
  }
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int s = 0; s < kStores; ++s) {
    threads.emplace_back([&, s] {
      std::unique_ptr<RunStore> store = OpenOrDie(path);
      if (store == nullptr) return;
      const std::string own = absl::StrCat("own-", s);
      auto check = [&](const absl::Status& status) {
        if (status.ok()) return;
        ++failures;
        ADD_FAILURE() << status;
      };
      check(store->BeginRun(Begin(own)));
      for (int b = 0; b < kOwnBatches; ++b) {
        check(store->AppendRecords(Batch(own, 1420070400 + b * 864000)));
        if (b < kSharedBatches) {
          check(store->AppendRecords(Batch("shared", 1420070400 + b * 86400)));
        }
      }
      check(store->FinishRun(Finish(own), "t", CountingMetrics).status());
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);

  std::unique_ptr<RunStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  for (int s = 0; s < kStores; ++s) {
    const std::string own = absl::StrCat("own-", s);
    absl::StatusOr<RunRecords> records = store->ReadRecords(own);
    ASSERT_TRUE(records.ok()) << records.status();
    EXPECT_EQ(records->equity.size(), 3 * kOwnBatches);
    EXPECT_EQ(records->fills.size(), kOwnBatches);
    EXPECT_EQ(records->rejections.size(), kOwnBatches);
    EXPECT_EQ(records->closed_trades.size(), kOwnBatches);
    EXPECT_EQ(records->open_trades.size(), 1);
    absl::StatusOr<StoredRun> run = store->ReadRun(own);
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->summary.metrics().max_drawdown_duration_steps(),
              3 * kOwnBatches);
  }
  absl::StatusOr<RunRecords> shared = store->ReadRecords("shared");
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(shared->equity.size(), 3 * kStores * kSharedBatches);
  EXPECT_EQ(shared->fills.size(), kStores * kSharedBatches);
  EXPECT_EQ(ChunkRows(path, "shared").size(), kStores * kSharedBatches);
}

// Programs that open a new database at the same moment create its tables
// once, and all of them can use it.
TEST_P(RunStoreTest, ConcurrentFirstOpensCreateTheSchemaOnce) {
  const std::string path = Fresh("first_open");
  constexpr int kOpeners = 4;
  std::vector<std::unique_ptr<RunStore>> stores(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] { stores[i] = OpenOrDie(path); });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kOpeners; ++i) {
    ASSERT_NE(stores[i], nullptr);
    ASSERT_TRUE(stores[i]->BeginRun(Begin(absl::StrCat("run-", i))).ok());
  }
  absl::StatusOr<std::vector<RunSummary>> runs = stores[0]->ListRuns({});
  ASSERT_TRUE(runs.ok()) << runs.status();
  EXPECT_EQ(runs->size(), kOpeners);
}

}  // namespace
}  // namespace seed::results
