// The results store's SQLite files: where they are created, a full disk,
// and the schema versions of files written by earlier releases (refused or
// upgraded in place). run_store_test.cc tests what both drivers share.
#include <signal.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "services/results/run_store.h"
#include "services/results/run_store_test_util.h"
#include "sqlite3.h"

namespace seed::results {
namespace {

using ::backtest::v1::AppendRecordsRequest;

std::string FreshPath(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(testing::TempDir()) /
                                    "run_store_sqlite_test" / name;
  std::filesystem::remove_all(dir);
  return (dir / "results.db").string();
}

TEST(SqliteRunStoreTest, OpenCreatesDirectoriesAndReportsTheAbsolutePath) {
  const std::string path = FreshPath("creates");
  std::unique_ptr<RunStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(store->path(), std::filesystem::absolute(path).string());
}

// A full disk, as the drills make one: a file size limit (RLIMIT_FSIZE, with
// SIGXFSZ ignored) makes a write past it fail with EFBIG, as ENOSPC would. A
// write cut short there is SQLite's SQLITE_FULL, a write refused outright
// its SQLITE_IOERR_WRITE; either way the store reports a full disk.
TEST(SqliteRunStoreTest, AWriteTheFileSystemRefusesIsAFullDisk) {
  const std::string path = FreshPath("disk_full");
  std::unique_ptr<RunStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->AppendRecords(Batch("run-1", 1420070400)).ok());
  AppendRecordsRequest big;
  big.set_run_id("run-1");
  for (int i = 0; i < 100000; ++i) {
    backtest::v1::EquityPoint* point = big.add_equity();
    point->set_time(1420329600 + int64_t{86400} * i);
    point->set_cash(1000 + i);
    point->set_equity(1000 + i);
  }
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto previous_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = 256 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  // Twice: the first write ends at the limit, the second starts there.
  const absl::Status first = store->AppendRecords(big);
  const absl::Status second = store->AppendRecords(big);
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, previous_handler);
  for (const absl::Status& status : {first, second}) {
    EXPECT_EQ(Reason(status), "DISK_FULL") << status;
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
    EXPECT_NE(status.message().find("database or disk is full"),
              std::string::npos)
        << status;
  }
  // What was stored before is intact.
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->equity.size(), 3);
}

// Versions 1 (one row per equity point) and 2 (no metrics spec) were never
// released: such files are refused, in either mode, and left exactly as they
// were.
TEST(SqliteRunStoreTest, OlderSchemaVersionsAreRefused) {
  for (int version : {1, 2}) {
    SCOPED_TRACE(absl::StrCat("version ", version));
    const std::string path = FreshPath(absl::StrCat("version_", version));
    std::filesystem::create_directories(
        std::filesystem::path(path).parent_path());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           absl::StrCat("CREATE TABLE equity (run_id TEXT NOT "
                                        "NULL, seq INTEGER NOT NULL, time "
                                        "INTEGER NOT NULL, cash REAL NOT NULL, "
                                        "equity REAL NOT NULL, PRIMARY KEY "
                                        "(run_id, seq)) WITHOUT ROWID; "
                                        "PRAGMA user_version = ",
                                        version)
                               .c_str(),
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    const std::string absolute = std::filesystem::absolute(path).string();
    for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
      const absl::StatusOr<std::unique_ptr<RunStore>> store =
          RunStore::Open(path, mode);
      ASSERT_FALSE(store.ok());
      EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_EQ(Reason(store.status()), "DATABASE_TOO_OLD") << store.status();
      EXPECT_NE(store.status().message().find(
                    absl::StrCat(absolute, " has schema version ", version)),
                std::string::npos)
          << store.status();
      EXPECT_NE(ToStageError(store.status(), "")
                    .hint()
                    .find("delete it or point --db elsewhere"),
                std::string::npos)
          << store.status();
    }
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT (SELECT user_version FROM "
                                 "pragma_user_version), (SELECT journal_mode "
                                 "FROM pragma_journal_mode), (SELECT count(*) "
                                 "FROM sqlite_master)",
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), version);
    EXPECT_EQ(std::string(
                  reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1))),
              "delete");
    EXPECT_EQ(sqlite3_column_int(stmt, 2), 1);  // the equity table alone
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }
}

// The tables of schema version 3 (the release before the order-type record
// columns), without their comments. Each old version's fixture is written
// out whole, not built from a part shared with the next: it is the frozen
// image of files a release wrote (run_store.cc's kSchema plus the steps up
// to that version), checked by reading it alone, and correcting one must not
// change the other.
constexpr char kVersion3Schema[] = R"sql(
CREATE TABLE runs (run_id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL,
  state INTEGER NOT NULL, strategy TEXT NOT NULL, symbols TEXT NOT NULL,
  created_at TEXT NOT NULL, finished_at TEXT NOT NULL, spec_hash TEXT NOT NULL,
  data_hash TEXT NOT NULL, engine_version TEXT NOT NULL,
  first_time TEXT NOT NULL, last_time TEXT NOT NULL,
  canonical_spec TEXT NOT NULL, initial_cash REAL NOT NULL,
  interval_seconds INTEGER NOT NULL, error BLOB, metrics BLOB,
  metrics_spec BLOB NOT NULL);
CREATE INDEX runs_by_created_at ON runs (created_at);
CREATE TABLE symbol_hashes (run_id TEXT NOT NULL, symbol TEXT NOT NULL,
  hash TEXT NOT NULL, PRIMARY KEY (run_id, symbol)) WITHOUT ROWID;
CREATE TABLE equity_chunks (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  first_time INTEGER NOT NULL, last_time INTEGER NOT NULL,
  count INTEGER NOT NULL, points BLOB NOT NULL, PRIMARY KEY (run_id, seq));
CREATE TABLE fills (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  order_id INTEGER NOT NULL, symbol INTEGER NOT NULL, side INTEGER NOT NULL,
  time INTEGER NOT NULL, quantity REAL NOT NULL, price REAL NOT NULL,
  commission REAL NOT NULL, slippage REAL NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE rejections (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  order_id INTEGER NOT NULL, symbol INTEGER NOT NULL, side INTEGER NOT NULL,
  quantity REAL NOT NULL, time INTEGER NOT NULL, stage TEXT NOT NULL,
  code TEXT NOT NULL, message TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE trades (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  open INTEGER NOT NULL, symbol TEXT NOT NULL, side INTEGER NOT NULL,
  entry_time INTEGER NOT NULL, entry_price REAL NOT NULL,
  exit_time INTEGER NOT NULL, exit_price REAL NOT NULL,
  quantity REAL NOT NULL, gross_pnl REAL NOT NULL, commission REAL NOT NULL,
  net_pnl REAL NOT NULL, exit_reason TEXT NOT NULL, r_multiple REAL,
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
INSERT INTO runs VALUES ('old', 'old run', 2, 'sma_cross', 'ORCL',
  '2024-01-01T00:00:00Z', '2024-01-01T00:01:00Z', 'h', 'd', '0.1.0',
  '1995-01-03', '2014-12-31', '{}', 1000, 86400, NULL, NULL, x'');
INSERT INTO fills VALUES ('old', 0, 3, 0, 1, 800000000, 10, 12.5, 1, 0.25,
  'signal');
INSERT INTO trades VALUES ('old', 0, 0, 'ORCL', 1, 800000000, 12.5,
  801000000, 14, 10, 15, 2, 13, 'signal', NULL);
PRAGMA user_version = 3;
)sql";

// Writes `schema` (an older version's tables with run 'old' stored) into a
// new file at `path`.
void WriteOldDatabase(const std::string& path, const char* schema) {
  std::filesystem::create_directories(
      std::filesystem::path(path).parent_path());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, schema, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// The schema version the file at `path` says it has.
int64_t UserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  const int64_t version = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return version;
}

// Opens the older file at `path` as an upgrade must: refused read-only (it
// cannot be upgraded then), upgraded in place for writing.
std::unique_ptr<RunStore> OpenForUpgrade(const std::string& path) {
  const absl::StatusOr<std::unique_ptr<RunStore>> read_only =
      RunStore::Open(path, OpenMode::kReadOnly);
  EXPECT_FALSE(read_only.ok());
  EXPECT_EQ(Reason(read_only.status()), "DATABASE_TOO_OLD");
  std::unique_ptr<RunStore> store = OpenOrDie(path);
  EXPECT_EQ(UserVersion(path), RunStore::kSchemaVersion);
  return store;
}

// After an upgrade, a new run stores every field and reads it back.
void ExpectANewRunKeepsEveryField(std::unique_ptr<RunStore> store,
                                  const std::string& path) {
  ASSERT_TRUE(store->BeginRun(Begin("new")).ok());
  const AppendRecordsRequest batch = Batch("new", 1420070400);
  ASSERT_TRUE(store->AppendRecords(batch).ok());
  ASSERT_TRUE(store->FinishRun(Finish("new"), "t", CountingMetrics).ok());
  store.reset();
  std::unique_ptr<RunStore> reopened = OpenOrDie(path);
  ASSERT_NE(reopened, nullptr);
  const absl::StatusOr<RunRecords> records = reopened->ReadRecords("new");
  ASSERT_TRUE(records.ok()) << records.status();
  ExpectSameMessages(records->equity, batch.equity());
  ExpectSameMessages(records->fills, batch.fills());
  ExpectSameMessages(records->rejections, batch.rejections());
  ExpectSameMessages(records->closed_trades, batch.trades());
  ExpectSameMessages(records->open_trades, Finish("new").open_trades());
}

// A version 3 file opened for writing is upgraded in place: its runs read
// back with the fields of versions 4 and 5 at their defaults, and new runs
// store them all.
TEST(SqliteRunStoreTest, Version3FileIsUpgradedKeepingItsRuns) {
  const std::string path = FreshPath("version_3");
  WriteOldDatabase(path, kVersion3Schema);
  std::unique_ptr<RunStore> store = OpenForUpgrade(path);
  ASSERT_NE(store, nullptr);
  const absl::StatusOr<StoredRun> run = store->ReadRun("old");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->summary.name(), "old run");
  const absl::StatusOr<RunRecords> records = store->ReadRecords("old");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->fills.size(), 1);
  EXPECT_EQ(records->fills[0].price(), 12.5);
  EXPECT_EQ(records->fills[0].raw_price(), 0);
  EXPECT_EQ(records->fills[0].role(), backtest::v1::ORDER_ROLE_UNSPECIFIED);
  EXPECT_FALSE(records->fills[0].partial());
  EXPECT_EQ(records->fills[0].strategy(), 0);
  ASSERT_EQ(records->closed_trades.size(), 1);
  EXPECT_EQ(records->closed_trades[0].net_pnl(), 13);
  EXPECT_EQ(records->closed_trades[0].mae(), 0);
  EXPECT_FALSE(records->closed_trades[0].has_r_multiple());
  EXPECT_EQ(records->closed_trades[0].strategy(), "");
  ExpectANewRunKeepsEveryField(std::move(store), path);
}

// The tables of schema version 4 (the release before the records'
// strategies), without their comments, with run 'old': one equity chunk of
// one point (time 800000000, cash 1000, equity 1013: little-endian int64 and
// binary64), a fill, a rejection and a trade.
constexpr char kVersion4Schema[] = R"sql(
CREATE TABLE runs (run_id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL,
  state INTEGER NOT NULL, strategy TEXT NOT NULL, symbols TEXT NOT NULL,
  created_at TEXT NOT NULL, finished_at TEXT NOT NULL, spec_hash TEXT NOT NULL,
  data_hash TEXT NOT NULL, engine_version TEXT NOT NULL,
  first_time TEXT NOT NULL, last_time TEXT NOT NULL,
  canonical_spec TEXT NOT NULL, initial_cash REAL NOT NULL,
  interval_seconds INTEGER NOT NULL, error BLOB, metrics BLOB,
  metrics_spec BLOB NOT NULL);
CREATE INDEX runs_by_created_at ON runs (created_at);
CREATE TABLE symbol_hashes (run_id TEXT NOT NULL, symbol TEXT NOT NULL,
  hash TEXT NOT NULL, PRIMARY KEY (run_id, symbol)) WITHOUT ROWID;
CREATE TABLE equity_chunks (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  first_time INTEGER NOT NULL, last_time INTEGER NOT NULL,
  count INTEGER NOT NULL, points BLOB NOT NULL, PRIMARY KEY (run_id, seq));
CREATE TABLE fills (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  order_id INTEGER NOT NULL, symbol INTEGER NOT NULL, side INTEGER NOT NULL,
  time INTEGER NOT NULL, quantity REAL NOT NULL, price REAL NOT NULL,
  commission REAL NOT NULL, slippage REAL NOT NULL, reason TEXT NOT NULL,
  raw_price REAL NOT NULL DEFAULT 0, role INTEGER NOT NULL DEFAULT 0,
  type INTEGER NOT NULL DEFAULT 0, partial INTEGER NOT NULL DEFAULT 0,
  remaining_quantity REAL NOT NULL DEFAULT 0,
  same_bar_resolution TEXT NOT NULL DEFAULT '', gap INTEGER NOT NULL DEFAULT 0,
  tag TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE rejections (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  order_id INTEGER NOT NULL, symbol INTEGER NOT NULL, side INTEGER NOT NULL,
  quantity REAL NOT NULL, time INTEGER NOT NULL, stage TEXT NOT NULL,
  code TEXT NOT NULL, message TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE trades (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  open INTEGER NOT NULL, symbol TEXT NOT NULL, side INTEGER NOT NULL,
  entry_time INTEGER NOT NULL, entry_price REAL NOT NULL,
  exit_time INTEGER NOT NULL, exit_price REAL NOT NULL,
  quantity REAL NOT NULL, gross_pnl REAL NOT NULL, commission REAL NOT NULL,
  net_pnl REAL NOT NULL, exit_reason TEXT NOT NULL, r_multiple REAL,
  borrow_fees REAL NOT NULL DEFAULT 0, slippage REAL NOT NULL DEFAULT 0,
  mae REAL NOT NULL DEFAULT 0, mfe REAL NOT NULL DEFAULT 0,
  initial_stop REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE traces (run_id TEXT PRIMARY KEY NOT NULL, spans BLOB NOT NULL);
INSERT INTO runs VALUES ('old', 'old run', 3, 'sma_cross', 'ORCL',
  '2024-01-01T00:00:00Z', '2024-01-01T00:01:00Z', 'h', 'd', '0.1.0',
  '1995-01-03', '2014-12-31', '{}', 1000, 86400, NULL, NULL, x'');
INSERT INTO equity_chunks VALUES ('old', 0, 800000000, 800000000, 1,
  x'0008af2f000000000000000000408f400000000000a88f40');
INSERT INTO fills VALUES ('old', 0, 3, 0, 1, 800000000, 10, 12.5, 1, 0.25,
  'signal', 12.4, 0, 1, 0, 0, '', 0, 'entry');
INSERT INTO rejections VALUES ('old', 0, 4, 0, 1, 5, 800086400, 'portfolio',
  'INSUFFICIENT_CASH', 'needs 70, has 13');
INSERT INTO trades VALUES ('old', 0, 0, 'ORCL', 1, 800000000, 12.5,
  801000000, 14, 10, 15, 2, 13, 'signal', NULL, 0, 0.5, -1, 2, 0);
PRAGMA user_version = 4;
)sql";

// A version 4 file is upgraded the same way: its runs read back without
// strategies (none in a run of one) and without rejection tags.
TEST(SqliteRunStoreTest, Version4FileIsUpgradedKeepingItsRuns) {
  const std::string path = FreshPath("version_4");
  WriteOldDatabase(path, kVersion4Schema);
  std::unique_ptr<RunStore> store = OpenForUpgrade(path);
  ASSERT_NE(store, nullptr);
  const absl::StatusOr<RunRecords> records = store->ReadRecords("old");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->equity.size(), 1);
  EXPECT_EQ(records->equity[0].time(), 800000000);
  EXPECT_EQ(records->equity[0].cash(), 1000);
  EXPECT_EQ(records->equity[0].equity(), 1013);
  EXPECT_EQ(records->equity[0].strategy_equity_size(), 0);
  ASSERT_EQ(records->fills.size(), 1);
  EXPECT_EQ(records->fills[0].raw_price(), 12.4);
  EXPECT_EQ(records->fills[0].tag(), "entry");
  EXPECT_EQ(records->fills[0].strategy(), 0);
  ASSERT_EQ(records->rejections.size(), 1);
  EXPECT_EQ(records->rejections[0].code(), "INSUFFICIENT_CASH");
  EXPECT_EQ(records->rejections[0].tag(), "");
  EXPECT_EQ(records->rejections[0].strategy(), 0);
  ASSERT_EQ(records->closed_trades.size(), 1);
  EXPECT_EQ(records->closed_trades[0].mfe(), 2);
  EXPECT_EQ(records->closed_trades[0].strategy(), "");
  ExpectANewRunKeepsEveryField(std::move(store), path);
}

TEST(DefaultDatabasePathTest, FollowsTheEnvironment) {
  setenv("BT_RESULTS_DB", "/tmp/explicit.db", 1);
  setenv("XDG_DATA_HOME", "/xdg", 1);
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(DefaultDatabasePath(), "/tmp/explicit.db");
  setenv("BT_RESULTS_DB", "", 1);
  EXPECT_EQ(DefaultDatabasePath(), "/xdg/seed-backtester/results.db");
  unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(DefaultDatabasePath(),
            "/home/someone/.local/share/seed-backtester/results.db");
}

}  // namespace
}  // namespace seed::results
