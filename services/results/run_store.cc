#include "services/results/run_store.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "services/results/run_store_internal.h"

namespace seed::results {
namespace {

using internal::kStage;

// The tables of schema version 3, in the common dialect of sql_database.h:
// column types are tokens ({INT} is a 64-bit integer, {BLOB} bytes, ...)
// that each driver expands (SQLite to the words of files written before
// there were two drivers). In a SQLite file the comments inside CREATE
// TABLE are kept (sqlite3 .schema shows them).
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS runs ({ROWID}
  run_id {TEXT} PRIMARY KEY NOT NULL,
  name {TEXT} NOT NULL,
  state {INT} NOT NULL,          -- backtest.v1.RunState number
  strategy {TEXT} NOT NULL,
  symbols {TEXT} NOT NULL,           -- comma-separated, in the spec's order
  created_at {TEXT} NOT NULL,        -- ISO 8601 UTC
  finished_at {TEXT} NOT NULL,       -- empty while running
  spec_hash {TEXT} NOT NULL,
  data_hash {TEXT} NOT NULL,
  engine_version {TEXT} NOT NULL,
  first_time {TEXT} NOT NULL,
  last_time {TEXT} NOT NULL,
  canonical_spec {TEXT} NOT NULL,
  initial_cash {REAL} NOT NULL,
  interval_seconds {INT} NOT NULL,
  error {BLOB},                      -- serialized backtest.v1.StageError
  metrics {BLOB},                    -- serialized backtest.v1.Metrics
  metrics_spec {BLOB} NOT NULL       -- serialized backtest.v1.MetricsSpec
);
CREATE INDEX IF NOT EXISTS runs_by_created_at ON runs (created_at);
CREATE TABLE IF NOT EXISTS symbol_hashes (
  run_id {TEXT} NOT NULL,
  symbol {TEXT} NOT NULL,
  hash {TEXT} NOT NULL,
  PRIMARY KEY (run_id, symbol)
){WITHOUT_ROWID};
-- A rowid table: WITHOUT ROWID suits small rows, and chunks are large. The
-- comments inside CREATE TABLE are kept in the file (sqlite3 .schema shows
-- them), so the blob format is documented where the data is.
CREATE TABLE IF NOT EXISTS equity_chunks (
  -- The equity curve, one row per AppendRecords batch (a batch too large for
  -- one blob takes several rows): a run's curve is its chunks in seq order.
  run_id {TEXT} NOT NULL,
  seq {INT} NOT NULL,            -- 0, 1, 2, ... in the order appended
  first_time {INT} NOT NULL,     -- time of the chunk's first point
  last_time {INT} NOT NULL,      -- time of its last point
  count {INT} NOT NULL,          -- points in the chunk, at least 1
  -- The points column-wise: count times (int64, seconds since the epoch),
  -- then count cash values, then count equity values (IEEE 754 binary64),
  -- every value 8 bytes little-endian, no header: 24 * count bytes.
  points {BLOB} NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS fills (
  run_id {TEXT} NOT NULL,
  seq {INT} NOT NULL,
  order_id {INT} NOT NULL,
  symbol {INT} NOT NULL,         -- index into the run's symbols
  side {INT} NOT NULL,           -- backtest.v1.Side number
  time {INT} NOT NULL,
  quantity {REAL} NOT NULL,
  price {REAL} NOT NULL,
  commission {REAL} NOT NULL,
  slippage {REAL} NOT NULL,
  reason {TEXT} NOT NULL,
  PRIMARY KEY (run_id, seq)
){WITHOUT_ROWID};
CREATE TABLE IF NOT EXISTS rejections (
  run_id {TEXT} NOT NULL,
  seq {INT} NOT NULL,
  order_id {INT} NOT NULL,
  symbol {INT} NOT NULL,
  side {INT} NOT NULL,
  quantity {REAL} NOT NULL,
  time {INT} NOT NULL,
  stage {TEXT} NOT NULL,
  code {TEXT} NOT NULL,
  message {TEXT} NOT NULL,
  PRIMARY KEY (run_id, seq)
){WITHOUT_ROWID};
CREATE TABLE IF NOT EXISTS trades (
  run_id {TEXT} NOT NULL,
  seq {INT} NOT NULL,
  open {INT} NOT NULL,           -- 1 for a trade still open at the end
  symbol {TEXT} NOT NULL,
  side {INT} NOT NULL,
  entry_time {INT} NOT NULL,
  entry_price {REAL} NOT NULL,
  exit_time {INT} NOT NULL,      -- 0 while open
  exit_price {REAL} NOT NULL,
  quantity {REAL} NOT NULL,
  gross_pnl {REAL} NOT NULL,
  commission {REAL} NOT NULL,
  net_pnl {REAL} NOT NULL,
  exit_reason {TEXT} NOT NULL,
  r_multiple {REAL},                 -- NULL without an initial stop
  PRIMARY KEY (run_id, seq)
){WITHOUT_ROWID};
)sql";

// Version 4, applied to a new file after kSchema and to a version 3 file as
// its migration, so the columns are defined once. Runs stored before it read
// back with the defaults (no raw price, role or type recorded).
constexpr char kSchemaVersion4[] = R"sql(
ALTER TABLE fills ADD COLUMN raw_price {REAL} NOT NULL DEFAULT 0;
ALTER TABLE fills ADD COLUMN role {INT} NOT NULL DEFAULT 0;  -- OrderRole
ALTER TABLE fills ADD COLUMN type {INT} NOT NULL DEFAULT 0;  -- OrderType
ALTER TABLE fills ADD COLUMN partial {INT} NOT NULL DEFAULT 0;
ALTER TABLE fills ADD COLUMN remaining_quantity {REAL} NOT NULL DEFAULT 0;
ALTER TABLE fills ADD COLUMN same_bar_resolution {TEXT} NOT NULL DEFAULT '';
ALTER TABLE fills ADD COLUMN gap {INT} NOT NULL DEFAULT 0;
ALTER TABLE fills ADD COLUMN tag {TEXT} NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN borrow_fees {REAL} NOT NULL DEFAULT 0;
ALTER TABLE trades ADD COLUMN slippage {REAL} NOT NULL DEFAULT 0;
ALTER TABLE trades ADD COLUMN mae {REAL} NOT NULL DEFAULT 0;
ALTER TABLE trades ADD COLUMN mfe {REAL} NOT NULL DEFAULT 0;
ALTER TABLE trades ADD COLUMN initial_stop {REAL} NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS traces (
  -- A run's trace: the serialized backtest.v1.Trace (its spans), stored
  -- when the run ends.
  run_id {TEXT} PRIMARY KEY NOT NULL,
  spans {BLOB} NOT NULL
);
)sql";

// Version 5, applied after version 4 the same way: the records' strategy (in a
// run of several, spec strategies) and the rejections' tag. Runs stored
// before it read back with an empty strategy, index 0, no tag, and no
// strategy equity. equity_chunks.strategy_equity holds each point's sleeve
// equities (EquityPoint.strategy_equity) beside the points blob, in the same
// column-wise layout: `strategies` values per point (0: none, a run of one),
// all count values of strategy 0, then all of strategy 1, ... (IEEE 754
// binary64, 8 bytes little-endian each, no header): 8 * strategies * count
// bytes. Every point of a chunk carries the same number.
constexpr char kSchemaVersion5[] = R"sql(
ALTER TABLE equity_chunks ADD COLUMN strategies {INT} NOT NULL DEFAULT 0;
ALTER TABLE equity_chunks ADD COLUMN strategy_equity {BLOB} NOT NULL DEFAULT {EMPTY_BLOB};
-- Fills and rejections: the strategy's index in spec strategies; trades: its
-- id (spec strategies[i].id). 0 and '' in a run of one.
ALTER TABLE fills ADD COLUMN strategy {INT} NOT NULL DEFAULT 0;
ALTER TABLE rejections ADD COLUMN strategy {INT} NOT NULL DEFAULT 0;
ALTER TABLE rejections ADD COLUMN tag {TEXT} NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN strategy {TEXT} NOT NULL DEFAULT '';
)sql";

// Version 6: the principal that submitted each run (RunSummary.owner;
// docs/security.md). Runs stored before it have no owner: when
// authentication is on, only admins and writers see them.
constexpr char kSchemaVersion6[] = R"sql(
ALTER TABLE runs ADD COLUMN owner {TEXT} NOT NULL DEFAULT '';
)sql";

std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

std::string DefaultDatabasePath() {
  constexpr char kRelativePath[] = "seed-backtester/results.db";
  if (std::string path = EnvOrEmpty("BT_RESULTS_DB"); !path.empty()) {
    return path;
  }
  if (std::string data_home = EnvOrEmpty("XDG_DATA_HOME"); !data_home.empty()) {
    return absl::StrCat(data_home, "/", kRelativePath);
  }
  if (std::string home = EnvOrEmpty("HOME"); !home.empty()) {
    return absl::StrCat(home, "/.local/share/", kRelativePath);
  }
  return kRelativePath;
}

absl::StatusOr<std::unique_ptr<RunStore>> RunStore::Open(
    const std::string& path, OpenMode mode) {
  absl::StatusOr<std::unique_ptr<SqlDatabase>> db = OpenSqlDatabase(path, mode);
  if (!db.ok()) return db.status();
  std::unique_ptr<RunStore> store(new RunStore(*std::move(db)));
  if (absl::Status status = store->Configure(mode); !status.ok()) {
    return status;
  }
  return store;
}

RunStore::~RunStore() = default;

absl::Status RunStore::Configure(OpenMode mode) {
  // The version is checked before anything is written, so that a refused
  // database is left as it was.
  absl::StatusOr<int64_t> version = db_->SchemaVersion();
  if (!version.ok()) {
    return Failure(version.status(), "read the schema version", "");
  }
  const int64_t schema_version = *version;
  if (schema_version > kSchemaVersion) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "DATABASE_TOO_NEW",
        absl::StrCat("results database ", path(), " has schema version ",
                     schema_version, "; this program knows up to ",
                     kSchemaVersion),
        {.hint = "use a newer build of the backtester, or another database "
                 "with --db=PATH or BT_RESULTS_DB"});
  }
  // 0 is a new file and 3 the last released version before the record
  // columns of version 4; anything older was written by an unreleased build,
  // so there is nothing worth migrating.
  if (schema_version > 0 && schema_version < kLastMigratableVersion) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "DATABASE_TOO_OLD",
        absl::StrCat("results database ", path(), " has schema version ",
                     schema_version,
                     " from an older build; this program "
                     "reads only version ",
                     kSchemaVersion),
        {.hint = "delete it or point --db elsewhere (or BT_RESULTS_DB); "
                 "its runs cannot be read by this build"});
  }
  if (mode == OpenMode::kReadWrite) {
    if (absl::Status status = db_->PrepareForWrites(); !status.ok()) {
      return Failure(status, "prepare the database for writing", "");
    }
  }
  if (schema_version == kSchemaVersion) return absl::OkStatus();
  if (mode == OpenMode::kReadOnly) {
    if (schema_version == 0) {
      return StageFailure(
          absl::StatusCode::kFailedPrecondition, kStage, "DATABASE_EMPTY",
          absl::StrCat("results database ", path(), " holds no runs yet"),
          {.hint = "run a backtest first, or pass the database it used"});
    }
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "DATABASE_TOO_OLD",
        absl::StrCat("results database ", path(), " has schema version ",
                     schema_version,
                     " and was opened read-only, so it cannot "
                     "be upgraded to version ",
                     kSchemaVersion),
        {.hint = "open it once with a command that writes (bt run, or the "
                 "results service), which upgrades it keeping every run"});
  }
  return CreateSchema(schema_version);
}

absl::Status RunStore::CreateSchema(int64_t from_version) {
  const std::string what =
      from_version == 0
          ? std::string("create the schema")
          : absl::StrCat("upgrade the schema from version ", from_version);
  return InTransaction(what, "", [&]() -> absl::Status {
    // Another store may have created or upgraded the schema since the
    // version was read: read it again once no other can.
    absl::Status status = db_->LockSchema();
    if (!status.ok()) return Failure(status, what, "");
    absl::StatusOr<int64_t> version = db_->SchemaVersion();
    if (!version.ok()) return Failure(version.status(), what, "");
    if (*version == kSchemaVersion) return absl::OkStatus();
    if (*version != from_version) {
      return StageFailure(
          absl::StatusCode::kAborted, kStage, "DATABASE_BUSY",
          absl::StrCat("cannot ", what, " in results database ", path(),
                       ": another program changed its schema to version ",
                       *version, " meanwhile"),
          {.hint = "open it again"});
    }
    if (from_version == 0) status = db_->Execute(kSchema);
    if (status.ok() && from_version < 4) status = db_->Execute(kSchemaVersion4);
    if (status.ok() && from_version < 5) status = db_->Execute(kSchemaVersion5);
    if (status.ok()) status = db_->Execute(kSchemaVersion6);
    if (status.ok()) status = db_->SetSchemaVersion(kSchemaVersion);
    return status.ok() ? status : Failure(status, what, "");
  });
}

absl::Status RunStore::Failure(const absl::Status& failure,
                               absl::string_view what,
                               const std::string& run_id) const {
  return DescribeFailure(failure, what, path(), run_id);
}

absl::StatusOr<Statement> RunStore::Prepare(absl::string_view sql,
                                            absl::string_view what,
                                            const std::string& run_id) {
  absl::StatusOr<Statement> statement = db_->Prepare(sql);
  if (!statement.ok()) return Failure(statement.status(), what, run_id);
  return statement;
}

absl::Status RunStore::InTransaction(
    absl::string_view what, const std::string& run_id,
    const std::function<absl::Status()>& body) {
  absl::Status status = db_->BeginWrite();
  if (!status.ok()) return Failure(status, what, run_id);
  status = body();
  if (status.ok()) {
    status = db_->Commit();
    if (status.ok()) return status;
    status = Failure(status, what, run_id);
  }
  // The database may already have rolled back by itself (SQLite on a full
  // disk; PostgreSQL when the connection was lost).
  if (db_->InTransaction()) {
    if (absl::Status rolled_back = db_->Rollback(); !rolled_back.ok()) {
      return Failure(
          rolled_back,
          absl::StrCat(what, " (rolling back after: ", status.message(), ")"),
          run_id);
    }
  }
  return status;
}

absl::Status RunStore::UnknownRun(const std::string& run_id) const {
  return StageFailure(
      absl::StatusCode::kNotFound, kStage, "UNKNOWN_RUN",
      absl::StrCat("no run ", run_id, " in ", path()),
      {.run_id = run_id,
       .hint = "check the run id, and that this is the database the run was "
               "stored in (--db=PATH or BT_RESULTS_DB)"});
}

absl::StatusOr<int64_t> RunStore::QueryInt(absl::string_view sql,
                                           absl::string_view what,
                                           const std::string& run_id) {
  absl::StatusOr<Statement> statement = Prepare(sql, what, run_id);
  if (!statement.ok()) return statement.status();
  (*statement)->BindText(1, run_id);
  absl::StatusOr<bool> row = (*statement)->Step();
  if (!row.ok()) return Failure(row.status(), what, run_id);
  if (!*row) {
    return Failure(absl::InternalError("the query returned no row"), what,
                   run_id);
  }
  return (*statement)->Int(0);
}

}  // namespace seed::results
