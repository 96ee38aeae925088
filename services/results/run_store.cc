#include "services/results/run_store.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/base/casts.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "sqlite3.h"

namespace seed::results {
namespace {

using ::backtest::v1::AppendRecordsRequest;
using ::backtest::v1::EquityPoint;
using ::backtest::v1::RunState;
using ::backtest::v1::RunSummary;

constexpr absl::string_view kStage = "results";
// How long a write waits for another connection's lock before failing
// DATABASE_BUSY: long enough for any single batch another process commits.
constexpr int kBusyTimeoutMs = 10000;
// Run symbols are tickers (data file names), which never contain a comma.
constexpr char kSymbolSeparator[] = ",";
// Stored records that cannot be decoded were written by something else.
constexpr absl::string_view kChangedFileHint =
    "the file was changed by something else; restore it from a copy or run "
    "the backtest again";
// The layout of equity_chunks.points, described in kSchema.
constexpr size_t kBytesPerValue = 8;
constexpr size_t kBytesPerPoint = 3 * kBytesPerValue;  // time, cash, equity

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  state INTEGER NOT NULL,          -- backtest.v1.RunState number
  strategy TEXT NOT NULL,
  symbols TEXT NOT NULL,           -- comma-separated, in the spec's order
  created_at TEXT NOT NULL,        -- ISO 8601 UTC
  finished_at TEXT NOT NULL,       -- empty while running
  spec_hash TEXT NOT NULL,
  data_hash TEXT NOT NULL,
  engine_version TEXT NOT NULL,
  first_time TEXT NOT NULL,
  last_time TEXT NOT NULL,
  canonical_spec TEXT NOT NULL,
  initial_cash REAL NOT NULL,
  interval_seconds INTEGER NOT NULL,
  error BLOB,                      -- serialized backtest.v1.StageError
  metrics BLOB,                    -- serialized backtest.v1.Metrics
  metrics_spec BLOB NOT NULL       -- serialized backtest.v1.MetricsSpec
);
CREATE INDEX IF NOT EXISTS runs_by_created_at ON runs (created_at);
CREATE TABLE IF NOT EXISTS symbol_hashes (
  run_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (run_id, symbol)
) WITHOUT ROWID;
-- A rowid table: WITHOUT ROWID suits small rows, and chunks are large. The
-- comments inside CREATE TABLE are kept in the file (sqlite3 .schema shows
-- them), so the blob format is documented where the data is.
CREATE TABLE IF NOT EXISTS equity_chunks (
  -- The equity curve, one row per AppendRecords batch (a batch too large for
  -- one blob takes several rows): a run's curve is its chunks in seq order.
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,            -- 0, 1, 2, ... in the order appended
  first_time INTEGER NOT NULL,     -- time of the chunk's first point
  last_time INTEGER NOT NULL,      -- time of its last point
  count INTEGER NOT NULL,          -- points in the chunk, at least 1
  -- The points column-wise: count times (int64, seconds since the epoch),
  -- then count cash values, then count equity values (IEEE 754 binary64),
  -- every value 8 bytes little-endian, no header: 24 * count bytes.
  points BLOB NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS fills (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  order_id INTEGER NOT NULL,
  symbol INTEGER NOT NULL,         -- index into the run's symbols
  side INTEGER NOT NULL,           -- backtest.v1.Side number
  time INTEGER NOT NULL,
  quantity REAL NOT NULL,
  price REAL NOT NULL,
  commission REAL NOT NULL,
  slippage REAL NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rejections (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  order_id INTEGER NOT NULL,
  symbol INTEGER NOT NULL,
  side INTEGER NOT NULL,
  quantity REAL NOT NULL,
  time INTEGER NOT NULL,
  stage TEXT NOT NULL,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trades (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  open INTEGER NOT NULL,           -- 1 for a trade still open at the end
  symbol TEXT NOT NULL,
  side INTEGER NOT NULL,
  entry_time INTEGER NOT NULL,
  entry_price REAL NOT NULL,
  exit_time INTEGER NOT NULL,      -- 0 while open
  exit_price REAL NOT NULL,
  quantity REAL NOT NULL,
  gross_pnl REAL NOT NULL,
  commission REAL NOT NULL,
  net_pnl REAL NOT NULL,
  exit_reason TEXT NOT NULL,
  r_multiple REAL,                 -- NULL without an initial stop
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
)sql";

// Version 4, applied to a new file after kSchema and to a version 3 file as
// its migration, so the columns are defined once. Runs stored before it read
// back with the defaults (no raw price, role or type recorded).
constexpr char kSchemaVersion4[] = R"sql(
ALTER TABLE fills ADD COLUMN raw_price REAL NOT NULL DEFAULT 0;
ALTER TABLE fills ADD COLUMN role INTEGER NOT NULL DEFAULT 0;  -- OrderRole
ALTER TABLE fills ADD COLUMN type INTEGER NOT NULL DEFAULT 0;  -- OrderType
ALTER TABLE fills ADD COLUMN partial INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fills ADD COLUMN remaining_quantity REAL NOT NULL DEFAULT 0;
ALTER TABLE fills ADD COLUMN same_bar_resolution TEXT NOT NULL DEFAULT '';
ALTER TABLE fills ADD COLUMN gap INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fills ADD COLUMN tag TEXT NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN borrow_fees REAL NOT NULL DEFAULT 0;
ALTER TABLE trades ADD COLUMN slippage REAL NOT NULL DEFAULT 0;
ALTER TABLE trades ADD COLUMN mae REAL NOT NULL DEFAULT 0;
ALTER TABLE trades ADD COLUMN mfe REAL NOT NULL DEFAULT 0;
ALTER TABLE trades ADD COLUMN initial_stop REAL NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS traces (
  -- A run's trace: the serialized backtest.v1.Trace (its spans), stored
  -- when the run ends.
  run_id TEXT PRIMARY KEY NOT NULL,
  spans BLOB NOT NULL
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
ALTER TABLE equity_chunks ADD COLUMN strategies INTEGER NOT NULL DEFAULT 0;
ALTER TABLE equity_chunks ADD COLUMN strategy_equity BLOB NOT NULL DEFAULT x'';
-- Fills and rejections: the strategy's index in spec strategies; trades: its
-- id (spec strategies[i].id). 0 and '' in a run of one.
ALTER TABLE fills ADD COLUMN strategy INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rejections ADD COLUMN strategy INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rejections ADD COLUMN tag TEXT NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN strategy TEXT NOT NULL DEFAULT '';
)sql";

// Version 6: the principal that submitted each run (RunSummary.owner;
// docs/security.md). Runs stored before it have no owner: only admins and
// writers see them when authentication is on.
constexpr char kSchemaVersion6[] = R"sql(
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
)sql";

constexpr char kRunState[] = "SELECT state FROM runs WHERE run_id = ?1";
constexpr char kInsertRun[] =
    "INSERT INTO runs (run_id, name, state, strategy, symbols, created_at, "
    "finished_at, spec_hash, data_hash, engine_version, first_time, "
    "last_time, canonical_spec, initial_cash, interval_seconds, error, "
    "metrics, metrics_spec, owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
    "?9, ?10, ?11, ?12, ?13, ?14, ?15, NULL, NULL, ?16, ?17)";
constexpr char kInsertSymbolHash[] =
    "INSERT INTO symbol_hashes (run_id, symbol, hash) VALUES (?1, ?2, ?3)";
constexpr char kNextEquityChunkSeq[] =
    "SELECT COALESCE(MAX(seq) + 1, 0) FROM equity_chunks WHERE run_id = ?1";
constexpr char kNextFillSeq[] =
    "SELECT COALESCE(MAX(seq) + 1, 0) FROM fills WHERE run_id = ?1";
constexpr char kNextRejectionSeq[] =
    "SELECT COALESCE(MAX(seq) + 1, 0) FROM rejections WHERE run_id = ?1";
constexpr char kNextTradeSeq[] =
    "SELECT COALESCE(MAX(seq) + 1, 0) FROM trades WHERE run_id = ?1";
constexpr char kInsertEquityChunk[] =
    "INSERT INTO equity_chunks (run_id, seq, first_time, last_time, count, "
    "points, strategies, strategy_equity) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr char kInsertFill[] =
    "INSERT INTO fills (run_id, seq, order_id, symbol, side, time, quantity, "
    "price, commission, slippage, reason, raw_price, role, type, partial, "
    "remaining_quantity, same_bar_resolution, gap, tag, strategy) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
    "?15, ?16, ?17, ?18, ?19, ?20)";
constexpr char kInsertRejection[] =
    "INSERT INTO rejections (run_id, seq, order_id, symbol, side, quantity, "
    "time, stage, code, message, tag, strategy) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
constexpr char kInsertTrade[] =
    "INSERT INTO trades (run_id, seq, open, symbol, side, entry_time, "
    "entry_price, exit_time, exit_price, quantity, gross_pnl, commission, "
    "net_pnl, exit_reason, r_multiple, borrow_fees, slippage, mae, mfe, "
    "initial_stop, strategy) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
    "?16, ?17, ?18, ?19, ?20, ?21)";
constexpr char kFinishRun[] =
    "UPDATE runs SET state = ?2, finished_at = ?3, error = ?4 "
    "WHERE run_id = ?1";
constexpr char kSetMetrics[] = "UPDATE runs SET metrics = ?2 WHERE run_id = ?1";
// Column order is what ReadRunRow expects.
#define SEED_RUN_COLUMNS                                                     \
  "SELECT run_id, name, state, strategy, symbols, created_at, finished_at, " \
  "spec_hash, data_hash, engine_version, first_time, last_time, "            \
  "canonical_spec, initial_cash, interval_seconds, error, metrics, "         \
  "metrics_spec, owner FROM runs "
constexpr char kSelectRun[] = SEED_RUN_COLUMNS "WHERE run_id = ?1";
constexpr char kListRuns[] = SEED_RUN_COLUMNS
    "WHERE (?1 = '' OR strategy = ?1) AND (?2 < 0 OR state = ?2) "
    "AND (?4 = '' OR instr(',' || symbols || ',', ',' || ?4 || ',') > 0) "
    "AND (?5 = '' OR created_at >= ?5) AND (?6 = '' OR created_at < ?6) "
    "AND (?7 = '' OR owner = ?7) "
    "ORDER BY created_at DESC, rowid DESC LIMIT ?3";
#undef SEED_RUN_COLUMNS
constexpr char kSelectSymbolHashes[] =
    "SELECT symbol, hash FROM symbol_hashes WHERE run_id = ?1";
constexpr char kFindRunIds[] =
    "SELECT run_id FROM runs WHERE substr(run_id, 1, length(?1)) = ?1 "
    "ORDER BY run_id LIMIT ?2";
// The blobs' sizes rather than their counts: bounded by the file even when
// a count is corrupt. SQLite reads a blob's size without reading the blob.
constexpr char kEquityBytes[] =
    "SELECT COALESCE(SUM(length(points)), 0) FROM equity_chunks "
    "WHERE run_id = ?1";
constexpr char kSelectEquityChunks[] =
    "SELECT seq, count, points, strategies, strategy_equity FROM equity_chunks "
    "WHERE run_id = ?1 ORDER BY seq";
constexpr char kSelectFills[] =
    "SELECT order_id, symbol, side, time, quantity, price, commission, "
    "slippage, reason, raw_price, role, type, partial, remaining_quantity, "
    "same_bar_resolution, gap, tag, strategy FROM fills WHERE run_id = ?1 "
    "ORDER BY seq";
constexpr char kSelectRejections[] =
    "SELECT order_id, symbol, side, quantity, time, stage, code, message, "
    "tag, strategy FROM rejections WHERE run_id = ?1 ORDER BY seq";
constexpr char kSelectTrades[] =
    "SELECT open, symbol, side, entry_time, entry_price, exit_time, "
    "exit_price, quantity, gross_pnl, commission, net_pnl, exit_reason, "
    "r_multiple, borrow_fees, slippage, mae, mfe, initial_stop, strategy "
    "FROM trades WHERE run_id = ?1 "
    "ORDER BY open, exit_time, entry_time, seq";

constexpr char kStoreTrace[] =
    "INSERT OR REPLACE INTO traces (run_id, spans) VALUES (?1, ?2)";
constexpr char kSelectTrace[] = "SELECT spans FROM traces WHERE run_id = ?1";

bool IsFinished(RunState state) {
  return state == backtest::v1::SUCCEEDED || state == backtest::v1::FAILED ||
         state == backtest::v1::CANCELLED;
}

std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

struct SqliteFailureKind {
  absl::StatusCode code;
  absl::string_view reason;
  absl::string_view hint;
};

SqliteFailureKind Classify(int rc) {
  switch (rc & 0xff) {  // the primary code of an extended result code
    case SQLITE_READONLY:
      return {absl::StatusCode::kFailedPrecondition, "DATABASE_READ_ONLY",
              "make the database file and its directory writable, or choose "
              "another database with --db=PATH or BT_RESULTS_DB"};
    case SQLITE_FULL:
      return {absl::StatusCode::kResourceExhausted, "DISK_FULL",
              "free space on the disk holding the database, or choose another "
              "database with --db=PATH or BT_RESULTS_DB"};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return {absl::StatusCode::kUnavailable, "DATABASE_BUSY",
              "another process held the database locked; retry when it is "
              "done, or give this run its own database"};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {absl::StatusCode::kDataLoss, "DATABASE_CORRUPT",
              "the file is not a readable results database; move it aside "
              "(runs start a new one) or restore it from a copy"};
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      return {absl::StatusCode::kFailedPrecondition, "DATABASE_CANNOT_OPEN",
              "check that the path exists and is accessible, or choose "
              "another database with --db=PATH or BT_RESULTS_DB"};
    default:
      return {absl::StatusCode::kInternal, "STORAGE_FAILED",
              "check the disk and the file's permissions; records stored "
              "before this failure are intact"};
  }
}

// Whether the last failed write was refused for want of space. SQLite
// reports ENOSPC as SQLITE_FULL, but EFBIG (a file size limit) and EDQUOT
// (a quota) as an I/O error, and the connection's errno may be overwritten
// by then; the database file and its journal (the WAL) keep their own.
bool OutOfSpace(sqlite3* db) {
  std::vector<int> errnos = {sqlite3_system_errno(db)};
  int last = 0;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &last) ==
      SQLITE_OK) {
    errnos.push_back(last);
  }
  sqlite3_file* journal = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
                           &journal) == SQLITE_OK &&
      journal != nullptr && journal->pMethods != nullptr) {
    last = 0;
    if (journal->pMethods->xFileControl(journal, SQLITE_FCNTL_LAST_ERRNO,
                                        &last) == SQLITE_OK) {
      errnos.push_back(last);
    }
  }
  for (const int error : errnos) {
    if (error == ENOSPC || error == EFBIG || error == EDQUOT) return true;
  }
  return false;
}

void PutLittleEndian(uint64_t value, char* out) {
  for (size_t i = 0; i < kBytesPerValue; ++i) {
    out[i] = static_cast<char>(value >> (8 * i));
  }
}

uint64_t GetLittleEndian(const char* in) {
  uint64_t value = 0;
  for (size_t i = 0; i < kBytesPerValue; ++i) {
    value |= uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  }
  return value;
}

// The name of `point`'s first NaN value ("cash", "equity",
// "strategy_equity[1]"); empty when it has none.
std::string FirstNaN(const EquityPoint& point) {
  if (std::isnan(point.cash())) return "cash";
  if (std::isnan(point.equity())) return "equity";
  for (int i = 0; i < point.strategy_equity_size(); ++i) {
    if (std::isnan(point.strategy_equity(i))) {
      return absl::StrCat("strategy_equity[", i, "]");
    }
  }
  return "";
}

// The points blob of `points` [begin, end).
std::string EncodePoints(
    const google::protobuf::RepeatedPtrField<EquityPoint>& points,
    int64_t begin, int64_t end) {
  const size_t count = end - begin;
  const size_t column_bytes = count * kBytesPerValue;
  std::string blob(count * kBytesPerPoint, '\0');
  char* const times = blob.data();
  char* const cash = times + column_bytes;
  char* const equity = cash + column_bytes;
  for (size_t i = 0; i < count; ++i) {
    const EquityPoint& point = points[begin + i];
    const size_t offset = i * kBytesPerValue;
    PutLittleEndian(static_cast<uint64_t>(point.time()), times + offset);
    PutLittleEndian(absl::bit_cast<uint64_t>(point.cash()), cash + offset);
    PutLittleEndian(absl::bit_cast<uint64_t>(point.equity()), equity + offset);
  }
  return blob;
}

// The strategy_equity blob of `points` [begin, end), each carrying
// `strategies` values: strategy by strategy, point by point.
std::string EncodeStrategyEquity(
    const google::protobuf::RepeatedPtrField<EquityPoint>& points,
    int64_t begin, int64_t end, int strategies) {
  const size_t count = end - begin;
  std::string blob(count * strategies * kBytesPerValue, '\0');
  char* out = blob.data();
  for (int strategy = 0; strategy < strategies; ++strategy) {
    for (size_t i = 0; i < count; ++i, out += kBytesPerValue) {
      PutLittleEndian(
          absl::bit_cast<uint64_t>(points[begin + i].strategy_equity(strategy)),
          out);
    }
  }
  return blob;
}

// Whether `total` is exactly `count` times `unit` (> 0). Division, not
// multiplication: a corrupt count must not overflow.
bool IsCountOf(uint64_t total, int64_t count, uint64_t unit) {
  return count >= 0 && total % unit == 0 &&
         total / unit == static_cast<uint64_t>(count);
}

// Appends the `count` points of a chunk to `equity`: `points` is its points
// blob and `strategy_equity` its blob of `strategies` values per point.
// False when the blobs do not hold exactly that many points and values.
bool DecodeEquityChunk(absl::string_view points, int64_t count,
                       int64_t strategies, absl::string_view strategy_equity,
                       std::vector<EquityPoint>& equity) {
  const bool strategy_equity_fits =
      strategies == 0
          ? strategy_equity.empty()
          : strategies > 0 && strategy_equity.size() % kBytesPerValue == 0 &&
                IsCountOf(strategy_equity.size() / kBytesPerValue, count,
                          static_cast<uint64_t>(strategies));
  if (!IsCountOf(points.size(), count, kBytesPerPoint) ||
      !strategy_equity_fits) {
    return false;
  }
  const size_t column_bytes = static_cast<size_t>(count) * kBytesPerValue;
  const char* const times = points.data();
  const char* const cash = times + column_bytes;
  const char* const values = cash + column_bytes;
  const size_t first = equity.size();
  for (size_t offset = 0; offset < column_bytes; offset += kBytesPerValue) {
    EquityPoint& point = equity.emplace_back();
    point.set_time(static_cast<int64_t>(GetLittleEndian(times + offset)));
    point.set_cash(absl::bit_cast<double>(GetLittleEndian(cash + offset)));
    point.set_equity(absl::bit_cast<double>(GetLittleEndian(values + offset)));
    point.mutable_strategy_equity()->Reserve(static_cast<int>(strategies));
  }
  const char* in = strategy_equity.data();
  for (int64_t strategy = 0; strategy < strategies; ++strategy) {
    for (int64_t i = 0; i < count; ++i, in += kBytesPerValue) {
      equity[first + i].add_strategy_equity(
          absl::bit_cast<double>(GetLittleEndian(in)));
    }
  }
  return true;
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

// A cached prepared statement in use. Binding errors are kept and reported by
// the next Step; the destructor resets the statement for its next user.
class RunStore::Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void BindInt(int index, int64_t value) {
    Keep(sqlite3_bind_int64(stmt_, index, value));
  }
  void BindReal(int index, double value) {
    Keep(sqlite3_bind_double(stmt_, index, value));
  }
  void BindText(int index, absl::string_view value) {
    Keep(sqlite3_bind_text(stmt_, index, value.data(),
                           static_cast<int>(value.size()), SQLITE_TRANSIENT));
  }
  void BindBlob(int index, const std::string& value) {
    Keep(sqlite3_bind_blob(stmt_, index, value.data(),
                           static_cast<int>(value.size()), SQLITE_TRANSIENT));
  }
  void BindNull(int index) { Keep(sqlite3_bind_null(stmt_, index)); }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() {
    return bind_result_ != SQLITE_OK ? bind_result_ : sqlite3_step(stmt_);
  }
  // Ready to step again with new bindings (the others are kept).
  void Reset() { sqlite3_reset(stmt_); }

  bool IsNull(int column) {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  int64_t Int(int column) { return sqlite3_column_int64(stmt_, column); }
  double Real(int column) { return sqlite3_column_double(stmt_, column); }
  std::string Text(int column) { return std::string(View(column)); }
  // Valid until the next Step or Reset.
  absl::string_view View(int column) {
    // Bytes are read after the pointer: the pointer call may convert.
    const void* data = sqlite3_column_blob(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    return data == nullptr ? absl::string_view()
                           : absl::string_view(static_cast<const char*>(data),
                                               static_cast<size_t>(size));
  }

 private:
  void Keep(int rc) {
    if (bind_result_ == SQLITE_OK) bind_result_ = rc;
  }

  sqlite3_stmt* const stmt_;
  int bind_result_ = SQLITE_OK;
};

absl::StatusOr<std::unique_ptr<RunStore>> RunStore::Open(
    const std::string& path, OpenMode mode) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) {
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "STORAGE_FAILED",
        absl::StrCat("cannot resolve results database path '", path,
                     "': ", error.message()),
        {.hint = "pass an absolute path with --db=PATH or BT_RESULTS_DB"});
  }
  absolute = absolute.lexically_normal();
  if (mode == OpenMode::kReadWrite && absolute.has_parent_path()) {
    std::filesystem::create_directories(absolute.parent_path(), error);
    if (error) {
      return StageFailure(
          absl::StatusCode::kFailedPrecondition, kStage, "STORAGE_FAILED",
          absl::StrCat("cannot create directory ",
                       absolute.parent_path().string(),
                       " for results database ", absolute.string(), ": ",
                       error.message()),
          {.hint = "choose a writable location with --db=PATH or "
                   "BT_RESULTS_DB"});
    }
  }
  const int flags = mode == OpenMode::kReadWrite
                        ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                        : SQLITE_OPEN_READONLY;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(absolute.c_str(), &db, flags, nullptr);
  // Owned from here even when opening failed: the handle must be closed.
  std::unique_ptr<RunStore> store(new RunStore(absolute.string(), db));
  if (rc != SQLITE_OK) return store->Failure(rc, "open the database", "");
  if (absl::Status status = store->Configure(mode); !status.ok()) {
    return status;
  }
  return store;
}

RunStore::~RunStore() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

absl::Status RunStore::Configure(OpenMode mode) {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // The version is checked before anything is written, so that a refused
  // file is left as it was.
  int64_t schema_version = 0;
  {
    absl::StatusOr<sqlite3_stmt*> version =
        Prepare("PRAGMA user_version", "read the schema version", "");
    if (!version.ok()) return version.status();
    Statement statement(*version);
    if (const int rc = statement.Step(); rc != SQLITE_ROW) {
      return Failure(rc, "read the schema version", "");
    }
    schema_version = statement.Int(0);
  }
  if (schema_version > kSchemaVersion) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "DATABASE_TOO_NEW",
        absl::StrCat("results database ", path_, " has schema version ",
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
        absl::StrCat("results database ", path_, " has schema version ",
                     schema_version,
                     " from an older build; this program "
                     "reads only version ",
                     kSchemaVersion),
        {.hint = "delete it or point --db elsewhere (or BT_RESULTS_DB); "
                 "its runs cannot be read by this build"});
  }
  if (mode == OpenMode::kReadWrite) {
    // WAL lets readers (bt list, show) work while a run is being written.
    absl::Status status =
        Execute("PRAGMA journal_mode = WAL", "switch to WAL journaling", "");
    if (!status.ok()) return status;
  }
  if (schema_version == kSchemaVersion) return absl::OkStatus();
  if (mode == OpenMode::kReadOnly) {
    if (schema_version == 0) {
      return StageFailure(
          absl::StatusCode::kFailedPrecondition, kStage, "DATABASE_EMPTY",
          absl::StrCat("results database ", path_, " holds no runs yet"),
          {.hint = "run a backtest first, or pass the database it used"});
    }
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "DATABASE_TOO_OLD",
        absl::StrCat("results database ", path_, " has schema version ",
                     schema_version, " and was opened read-only, so it cannot "
                     "be upgraded to version ", kSchemaVersion),
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
    if (from_version == 0) {
      const int rc = sqlite3_exec(db_, kSchema, nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) return Failure(rc, what, "");
    }
    if (from_version < 4) {
      const int rc =
          sqlite3_exec(db_, kSchemaVersion4, nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) return Failure(rc, what, "");
    }
    if (from_version < 5) {
      const int rc =
          sqlite3_exec(db_, kSchemaVersion5, nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) return Failure(rc, what, "");
    }
    const int rc =
        sqlite3_exec(db_, kSchemaVersion6, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return Failure(rc, what, "");
    return Execute(
        absl::StrCat("PRAGMA user_version = ", kSchemaVersion).c_str(),
        "set the schema version", "");
  });
}

absl::Status RunStore::Failure(int rc, absl::string_view what,
                               const std::string& run_id) const {
  if ((rc & 0xff) == SQLITE_IOERR && db_ != nullptr && OutOfSpace(db_)) {
    rc = SQLITE_FULL;
  }
  const SqliteFailureKind kind = Classify(rc);
  const char* detail = db_ != nullptr && rc != SQLITE_FULL ? sqlite3_errmsg(db_)
                                                           : sqlite3_errstr(rc);
  return StageFailure(kind.code, kStage, kind.reason,
                      absl::StrCat("cannot ", what, " in results database ",
                                   path_, ": ", detail),
                      {.run_id = run_id, .hint = std::string(kind.hint)});
}

absl::StatusOr<sqlite3_stmt*> RunStore::Prepare(const char* sql,
                                                absl::string_view what,
                                                const std::string& run_id) {
  if (auto it = statements_.find(sql); it != statements_.end()) {
    return it->second;
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    &stmt, nullptr);
  if (rc != SQLITE_OK) return Failure(rc, what, run_id);
  statements_[sql] = stmt;
  return stmt;
}

absl::Status RunStore::Execute(const char* sql, absl::string_view what,
                               const std::string& run_id) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? absl::OkStatus() : Failure(rc, what, run_id);
}

absl::Status RunStore::InTransaction(
    absl::string_view what, const std::string& run_id,
    const std::function<absl::Status()>& body) {
  // IMMEDIATE takes the write lock up front, so a busy database fails here
  // (after the busy timeout) rather than halfway through the batch.
  absl::Status status = Execute("BEGIN IMMEDIATE", what, run_id);
  if (!status.ok()) return status;
  status = body();
  if (status.ok()) {
    status = Execute("COMMIT", what, run_id);
    if (status.ok()) return status;
  }
  // SQLite may already have rolled back by itself (e.g. on a full disk).
  if (sqlite3_get_autocommit(db_) == 0) {
    absl::Status rolled_back = Execute(
        "ROLLBACK",
        absl::StrCat(what, " (rolling back after: ", status.message(), ")"),
        run_id);
    if (!rolled_back.ok()) return rolled_back;
  }
  return status;
}

absl::Status RunStore::UnknownRun(const std::string& run_id) const {
  return StageFailure(
      absl::StatusCode::kNotFound, kStage, "UNKNOWN_RUN",
      absl::StrCat("no run ", run_id, " in ", path_),
      {.run_id = run_id,
       .hint = "check the run id, and that this is the database the run was "
               "stored in (--db=PATH or BT_RESULTS_DB)"});
}

absl::Status RunStore::RequireUnfinished(const std::string& run_id,
                                         absl::string_view what) {
  absl::StatusOr<sqlite3_stmt*> stmt = Prepare(kRunState, what, run_id);
  if (!stmt.ok()) return stmt.status();
  Statement statement(*stmt);
  statement.BindText(1, run_id);
  const int rc = statement.Step();
  if (rc == SQLITE_DONE) return UnknownRun(run_id);
  if (rc != SQLITE_ROW) return Failure(rc, what, run_id);
  const auto state = static_cast<RunState>(statement.Int(0));
  if (IsFinished(state)) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "RUN_ALREADY_FINISHED",
        absl::StrCat("cannot ", what, ": run ", run_id, " in ", path_,
                     " already ended as ", RunState_Name(state),
                     "; its records are final"),
        {.run_id = run_id, .hint = "start a new run to record more"});
  }
  return absl::OkStatus();
}

absl::Status RunStore::BeginRun(const backtest::v1::BeginRunRequest& request) {
  const RunSummary& run = request.run();
  const std::string what = absl::StrCat("store new run ", run.run_id());
  return InTransaction(what, run.run_id(), [&]() -> absl::Status {
    absl::StatusOr<sqlite3_stmt*> exists =
        Prepare(kRunState, what, run.run_id());
    if (!exists.ok()) return exists.status();
    Statement lookup(*exists);
    lookup.BindText(1, run.run_id());
    const int found = lookup.Step();
    if (found == SQLITE_ROW) {
      return StageFailure(
          absl::StatusCode::kAlreadyExists, kStage, "RUN_ALREADY_EXISTS",
          absl::StrCat("run ", run.run_id(), " is already stored in ", path_,
                       "; nothing was changed"),
          {.run_id = run.run_id(),
           .hint = "run ids are unique: give the new run its own id"});
    }
    if (found != SQLITE_DONE) return Failure(found, what, run.run_id());

    absl::StatusOr<sqlite3_stmt*> insert =
        Prepare(kInsertRun, what, run.run_id());
    if (!insert.ok()) return insert.status();
    Statement statement(*insert);
    statement.BindText(1, run.run_id());
    statement.BindText(2, run.name());
    statement.BindInt(3, run.state());
    statement.BindText(4, run.strategy());
    statement.BindText(5, absl::StrJoin(run.symbols(), kSymbolSeparator));
    statement.BindText(6, run.created_at());
    statement.BindText(7, run.finished_at());
    statement.BindText(8, run.spec_hash());
    statement.BindText(9, run.data_hash());
    statement.BindText(10, run.engine_version());
    statement.BindText(11, run.first_time());
    statement.BindText(12, run.last_time());
    statement.BindText(13, request.canonical_spec());
    statement.BindReal(14, request.initial_cash());
    statement.BindInt(15, request.interval_seconds());
    statement.BindBlob(16, request.metrics().SerializeAsString());
    statement.BindText(17, run.owner());
    if (const int rc = statement.Step(); rc != SQLITE_DONE) {
      return Failure(rc, what, run.run_id());
    }

    absl::StatusOr<sqlite3_stmt*> hash =
        Prepare(kInsertSymbolHash, what, run.run_id());
    if (!hash.ok()) return hash.status();
    Statement hashes(*hash);
    hashes.BindText(1, run.run_id());
    for (const auto& [symbol, digest] : request.symbol_hashes()) {
      hashes.BindText(2, symbol);
      hashes.BindText(3, digest);
      if (const int rc = hashes.Step(); rc != SQLITE_DONE) {
        return Failure(rc, what, run.run_id());
      }
      hashes.Reset();
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> RunStore::QueryInt(const char* sql,
                                           absl::string_view what,
                                           const std::string& run_id) {
  absl::StatusOr<sqlite3_stmt*> stmt = Prepare(sql, what, run_id);
  if (!stmt.ok()) return stmt.status();
  Statement statement(*stmt);
  statement.BindText(1, run_id);
  if (const int rc = statement.Step(); rc != SQLITE_ROW) {
    return Failure(rc, what, run_id);
  }
  return statement.Int(0);
}

template <typename Record, typename BindColumns>
absl::Status RunStore::InsertRows(
    const char* next_seq_sql, const char* insert_sql, const std::string& run_id,
    absl::string_view kind,
    const google::protobuf::RepeatedPtrField<Record>& records,
    const BindColumns& bind_columns) {
  if (records.empty()) return absl::OkStatus();
  const std::string what = absl::StrCat("store ", kind, " of run ", run_id);
  absl::StatusOr<int64_t> seq = QueryInt(next_seq_sql, what, run_id);
  if (!seq.ok()) return seq.status();
  absl::StatusOr<sqlite3_stmt*> stmt = Prepare(insert_sql, what, run_id);
  if (!stmt.ok()) return stmt.status();
  // One statement, re-bound and stepped per row: the fast path of SQLite
  // (no parsing, run_id bound once).
  Statement statement(*stmt);
  statement.BindText(1, run_id);
  for (const Record& record : records) {
    statement.BindInt(2, (*seq)++);
    bind_columns(statement, record);
    if (const int rc = statement.Step(); rc != SQLITE_DONE) {
      return Failure(rc, what, run_id);
    }
    statement.Reset();
  }
  return absl::OkStatus();
}

absl::Status RunStore::InsertTrades(
    const std::string& run_id,
    const google::protobuf::RepeatedPtrField<backtest::v1::Trade>& trades,
    bool open) {
  return InsertRows(kNextTradeSeq, kInsertTrade, run_id, "trades", trades,
                    [open](Statement& row, const backtest::v1::Trade& trade) {
                      row.BindInt(3, open ? 1 : 0);
                      row.BindText(4, trade.symbol());
                      row.BindInt(5, trade.side());
                      row.BindInt(6, trade.entry_time());
                      row.BindReal(7, trade.entry_price());
                      row.BindInt(8, trade.exit_time());
                      row.BindReal(9, trade.exit_price());
                      row.BindReal(10, trade.quantity());
                      row.BindReal(11, trade.gross_pnl());
                      row.BindReal(12, trade.commission());
                      row.BindReal(13, trade.net_pnl());
                      row.BindText(14, trade.exit_reason());
                      if (trade.has_r_multiple()) {
                        row.BindReal(15, trade.r_multiple());
                      } else {
                        row.BindNull(15);
                      }
                      row.BindReal(16, trade.borrow_fees());
                      row.BindReal(17, trade.slippage());
                      row.BindReal(18, trade.mae());
                      row.BindReal(19, trade.mfe());
                      row.BindReal(20, trade.initial_stop());
                      row.BindText(21, trade.strategy());
                    });
}

absl::Status RunStore::InsertEquity(
    const std::string& run_id,
    const google::protobuf::RepeatedPtrField<EquityPoint>& points) {
  if (points.empty()) return absl::OkStatus();
  const std::string what = absl::StrCat("store equity of run ", run_id);
  // Refused like NaN in any other record column (SQLite stores NaN as NULL,
  // which NOT NULL rejects): it is a bug upstream and would make every
  // metric NaN.
  const int strategies = points[0].strategy_equity_size();
  for (int i = 0; i < points.size(); ++i) {
    const EquityPoint& point = points[i];
    // A chunk stores the same number of strategy values for every point.
    if (point.strategy_equity_size() != strategies) {
      return WithContext(
          InvalidFields(
              kStage, "INVALID_APPEND_RECORDS",
              {{absl::StrCat("equity[", i, "].strategy_equity"),
                absl::StrCat("has ", point.strategy_equity_size(),
                             " values but equity[0] has ", strategies,
                             ": every point carries one per strategy of the "
                             "run (none in a run of one)")}}),
          kStage, {.run_id = run_id, .bar_time = FormatTime(point.time())});
    }
    if (const std::string value = FirstNaN(point); !value.empty()) {
      return StageFailure(
          absl::StatusCode::kInternal, kStage, "STORAGE_FAILED",
          absl::StrCat("cannot ", what, " in results database ", path_,
                       ": point ", i, " of the batch has ", value,
                       " NaN (not a number)"),
          {.run_id = run_id,
           .bar_time = FormatTime(point.time()),
           .hint = "the stage that valued the portfolio produced NaN; "
                   "nothing of this batch was stored"});
    }
  }
  absl::StatusOr<int64_t> seq = QueryInt(kNextEquityChunkSeq, what, run_id);
  if (!seq.ok()) return seq.status();
  absl::StatusOr<sqlite3_stmt*> stmt =
      Prepare(kInsertEquityChunk, what, run_id);
  if (!stmt.ok()) return stmt.status();
  Statement statement(*stmt);
  statement.BindText(1, run_id);
  const int64_t size = points.size();
  for (int64_t begin = 0; begin < size; begin += kMaxPointsPerChunk) {
    const int64_t end = std::min(size, begin + kMaxPointsPerChunk);
    statement.BindInt(2, (*seq)++);
    statement.BindInt(3, points[begin].time());
    statement.BindInt(4, points[end - 1].time());
    statement.BindInt(5, end - begin);
    statement.BindBlob(6, EncodePoints(points, begin, end));
    statement.BindInt(7, strategies);
    statement.BindBlob(8, EncodeStrategyEquity(points, begin, end, strategies));
    if (const int rc = statement.Step(); rc != SQLITE_DONE) {
      return Failure(rc, what, run_id);
    }
    statement.Reset();
  }
  return absl::OkStatus();
}

absl::Status RunStore::AppendRecords(const AppendRecordsRequest& request) {
  const std::string& run_id = request.run_id();
  const std::string what = absl::StrCat("append records to run ", run_id);
  return InTransaction(what, run_id, [&]() -> absl::Status {
    absl::Status status = RequireUnfinished(run_id, what);
    if (!status.ok()) return status;
    status = InsertEquity(run_id, request.equity());
    if (!status.ok()) return status;
    status =
        InsertRows(kNextFillSeq, kInsertFill, run_id, "fills", request.fills(),
                   [](Statement& row, const backtest::v1::Fill& fill) {
                     row.BindInt(3, fill.order_id());
                     row.BindInt(4, fill.symbol());
                     row.BindInt(5, fill.side());
                     row.BindInt(6, fill.time());
                     row.BindReal(7, fill.quantity());
                     row.BindReal(8, fill.price());
                     row.BindReal(9, fill.commission());
                     row.BindReal(10, fill.slippage());
                     row.BindText(11, fill.reason());
                     row.BindReal(12, fill.raw_price());
                     row.BindInt(13, fill.role());
                     row.BindInt(14, fill.type());
                     row.BindInt(15, fill.partial() ? 1 : 0);
                     row.BindReal(16, fill.remaining_quantity());
                     row.BindText(17, fill.same_bar_resolution());
                     row.BindInt(18, fill.gap() ? 1 : 0);
                     row.BindText(19, fill.tag());
                     row.BindInt(20, fill.strategy());
                   });
    if (!status.ok()) return status;
    status = InsertRows(
        kNextRejectionSeq, kInsertRejection, run_id, "rejections",
        request.rejections(),
        [](Statement& row, const backtest::v1::Rejection& rejection) {
          row.BindInt(3, rejection.order_id());
          row.BindInt(4, rejection.symbol());
          row.BindInt(5, rejection.side());
          row.BindReal(6, rejection.quantity());
          row.BindInt(7, rejection.time());
          row.BindText(8, rejection.stage());
          row.BindText(9, rejection.code());
          row.BindText(10, rejection.message());
          row.BindText(11, rejection.tag());
          row.BindInt(12, rejection.strategy());
        });
    if (!status.ok()) return status;
    return InsertTrades(run_id, request.trades(), /*open=*/false);
  });
}

absl::StatusOr<RunSummary> RunStore::FinishRun(
    const backtest::v1::FinishRunRequest& request,
    const std::string& finished_at, const MetricsFunction& compute_metrics) {
  const std::string& run_id = request.run_id();
  const std::string what = absl::StrCat("finish run ", run_id);
  RunSummary summary;
  const absl::Status result =
      InTransaction(what, run_id, [&]() -> absl::Status {
        absl::Status status = RequireUnfinished(run_id, what);
        if (status.ok())
          status = InsertTrades(run_id, request.open_trades(), true);
        if (!status.ok()) return status;

        absl::StatusOr<sqlite3_stmt*> finish =
            Prepare(kFinishRun, what, run_id);
        if (!finish.ok()) return finish.status();
        {
          Statement statement(*finish);
          statement.BindText(1, run_id);
          statement.BindInt(2, request.state());
          statement.BindText(3, finished_at);
          if (request.has_error()) {
            statement.BindBlob(4, request.error().SerializeAsString());
          } else {
            statement.BindNull(4);
          }
          if (const int rc = statement.Step(); rc != SQLITE_DONE) {
            return Failure(rc, what, run_id);
          }
        }

        absl::StatusOr<StoredRun> run = ReadRun(run_id);
        if (!run.ok()) return run.status();
        absl::StatusOr<RunRecords> records = ReadRecords(run_id);
        if (!records.ok()) return records.status();
        absl::StatusOr<backtest::v1::Metrics> metrics =
            compute_metrics(*run, *records);
        if (!metrics.ok()) return metrics.status();
        summary = std::move(run->summary);
        *summary.mutable_metrics() = *std::move(metrics);

        absl::StatusOr<sqlite3_stmt*> set = Prepare(kSetMetrics, what, run_id);
        if (!set.ok()) return set.status();
        Statement statement(*set);
        statement.BindText(1, run_id);
        statement.BindBlob(2, summary.metrics().SerializeAsString());
        if (const int rc = statement.Step(); rc != SQLITE_DONE) {
          return Failure(rc, what, run_id);
        }
        return absl::OkStatus();
      });
  if (!result.ok()) return result;
  return summary;
}

absl::StatusOr<StoredRun> RunStore::ReadRunRow(Statement& row) const {
  StoredRun run;
  RunSummary& summary = run.summary;
  summary.set_run_id(row.Text(0));
  summary.set_name(row.Text(1));
  summary.set_state(static_cast<RunState>(row.Int(2)));
  summary.set_strategy(row.Text(3));
  for (absl::string_view symbol :
       absl::StrSplit(row.Text(4), kSymbolSeparator, absl::SkipEmpty())) {
    summary.add_symbols(std::string(symbol));
  }
  summary.set_created_at(row.Text(5));
  summary.set_finished_at(row.Text(6));
  summary.set_spec_hash(row.Text(7));
  summary.set_data_hash(row.Text(8));
  summary.set_engine_version(row.Text(9));
  summary.set_first_time(row.Text(10));
  summary.set_last_time(row.Text(11));
  run.canonical_spec = row.Text(12);
  run.initial_cash = row.Real(13);
  run.interval_seconds = row.Int(14);
  const bool error_ok =
      row.IsNull(15) || summary.mutable_error()->ParseFromString(row.Text(15));
  const bool metrics_ok =
      row.IsNull(16) ||
      summary.mutable_metrics()->ParseFromString(row.Text(16));
  const bool metrics_spec_ok = run.metrics_spec.ParseFromString(row.Text(17));
  summary.set_owner(row.Text(18));
  if (!error_ok || !metrics_ok || !metrics_spec_ok) {
    const char* column = !error_ok     ? "error"
                         : !metrics_ok ? "metrics"
                                       : "metrics spec";
    return StageFailure(
        absl::StatusCode::kDataLoss, kStage, "DATABASE_CORRUPT",
        absl::StrCat("the stored ", column, " of run ", summary.run_id(),
                     " in ", path_, " cannot be decoded"),
        {.run_id = summary.run_id(), .hint = std::string(kChangedFileHint)});
  }
  return run;
}

absl::StatusOr<std::vector<RunSummary>> RunStore::ListRuns(
    const RunFilter& filter) {
  constexpr absl::string_view kWhat = "list runs";
  absl::StatusOr<sqlite3_stmt*> stmt = Prepare(kListRuns, kWhat, "");
  if (!stmt.ok()) return stmt.status();
  Statement statement(*stmt);
  statement.BindText(1, filter.strategy);
  statement.BindInt(2, filter.state.has_value() ? *filter.state : -1);
  statement.BindInt(3, filter.limit);
  statement.BindText(4, filter.symbol);
  statement.BindText(5, filter.created_from);
  statement.BindText(6, filter.created_before);
  statement.BindText(7, filter.owner);
  std::vector<RunSummary> runs;
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW) {
    absl::StatusOr<StoredRun> run = ReadRunRow(statement);
    if (!run.ok()) return run.status();
    runs.push_back(std::move(run->summary));
  }
  if (rc != SQLITE_DONE) return Failure(rc, kWhat, "");
  return runs;
}

absl::StatusOr<std::vector<std::string>> RunStore::FindRunIds(
    absl::string_view prefix, int limit) {
  const std::string what = absl::StrCat("look up runs starting with ", prefix);
  absl::StatusOr<sqlite3_stmt*> stmt = Prepare(kFindRunIds, what, "");
  if (!stmt.ok()) return stmt.status();
  Statement statement(*stmt);
  statement.BindText(1, prefix);
  statement.BindInt(2, limit);
  std::vector<std::string> ids;
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW)
    ids.push_back(statement.Text(0));
  if (rc != SQLITE_DONE) return Failure(rc, what, "");
  return ids;
}

absl::StatusOr<StoredRun> RunStore::ReadRun(const std::string& run_id) {
  const std::string what = absl::StrCat("read run ", run_id);
  absl::StatusOr<sqlite3_stmt*> stmt = Prepare(kSelectRun, what, run_id);
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<StoredRun> run;
  {
    Statement statement(*stmt);
    statement.BindText(1, run_id);
    const int rc = statement.Step();
    if (rc == SQLITE_DONE) return UnknownRun(run_id);
    if (rc != SQLITE_ROW) return Failure(rc, what, run_id);
    run = ReadRunRow(statement);
    if (!run.ok()) return run.status();
  }
  absl::StatusOr<sqlite3_stmt*> hashes =
      Prepare(kSelectSymbolHashes, what, run_id);
  if (!hashes.ok()) return hashes.status();
  Statement statement(*hashes);
  statement.BindText(1, run_id);
  int rc;
  while ((rc = statement.Step()) == SQLITE_ROW) {
    run->symbol_hashes[statement.Text(0)] = statement.Text(1);
  }
  if (rc != SQLITE_DONE) return Failure(rc, what, run_id);
  return run;
}

absl::StatusOr<RunRecords> RunStore::ReadRecords(const std::string& run_id) {
  const std::string what = absl::StrCat("read the records of run ", run_id);
  RunRecords records;
  // Runs `read_row` for every row `sql` selects for this run, until one fails.
  auto for_each_row = [&](const char* sql, auto read_row) -> absl::Status {
    absl::StatusOr<sqlite3_stmt*> stmt = Prepare(sql, what, run_id);
    if (!stmt.ok()) return stmt.status();
    Statement statement(*stmt);
    statement.BindText(1, run_id);
    int rc;
    while ((rc = statement.Step()) == SQLITE_ROW) {
      if (absl::Status status = read_row(statement); !status.ok()) {
        return status;
      }
    }
    return rc == SQLITE_DONE ? absl::OkStatus() : Failure(rc, what, run_id);
  };

  // Sized up front: a curve of millions of points is not regrown.
  absl::StatusOr<int64_t> bytes = QueryInt(kEquityBytes, what, run_id);
  if (!bytes.ok()) return bytes.status();
  records.equity.reserve(*bytes / kBytesPerPoint);
  absl::Status status =
      for_each_row(kSelectEquityChunks, [&](Statement& row) -> absl::Status {
        const int64_t count = row.Int(1);
        const absl::string_view points = row.View(2);
        const int64_t strategies = row.Int(3);
        const absl::string_view strategy_equity = row.View(4);
        if (DecodeEquityChunk(points, count, strategies, strategy_equity,
                              records.equity)) {
          return absl::OkStatus();
        }
        return StageFailure(
            absl::StatusCode::kDataLoss, kStage, "DATABASE_CORRUPT",
            absl::StrCat("equity chunk ", row.Int(0), " of run ", run_id,
                         " in ", path_, " does not hold the ", count,
                         " points it counts: its points are ", points.size(),
                         " bytes (", kBytesPerPoint,
                         " per point), its strategy equity ",
                         strategy_equity.size(), " bytes (", kBytesPerValue,
                         " per point for each of ", strategies, " strategies)"),
            {.run_id = run_id, .hint = std::string(kChangedFileHint)});
      });
  if (!status.ok()) return status;
  status = for_each_row(kSelectFills, [&](Statement& row) -> absl::Status {
    backtest::v1::Fill& fill = records.fills.emplace_back();
    fill.set_order_id(row.Int(0));
    fill.set_symbol(static_cast<int32_t>(row.Int(1)));
    fill.set_side(static_cast<backtest::v1::Side>(row.Int(2)));
    fill.set_time(row.Int(3));
    fill.set_quantity(row.Real(4));
    fill.set_price(row.Real(5));
    fill.set_commission(row.Real(6));
    fill.set_slippage(row.Real(7));
    fill.set_reason(row.Text(8));
    fill.set_raw_price(row.Real(9));
    fill.set_role(static_cast<backtest::v1::OrderRole>(row.Int(10)));
    fill.set_type(static_cast<backtest::v1::OrderType>(row.Int(11)));
    fill.set_partial(row.Int(12) != 0);
    fill.set_remaining_quantity(row.Real(13));
    fill.set_same_bar_resolution(row.Text(14));
    fill.set_gap(row.Int(15) != 0);
    fill.set_tag(row.Text(16));
    fill.set_strategy(static_cast<int32_t>(row.Int(17)));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  status = for_each_row(kSelectRejections, [&](Statement& row) -> absl::Status {
    backtest::v1::Rejection& rejection = records.rejections.emplace_back();
    rejection.set_order_id(row.Int(0));
    rejection.set_symbol(static_cast<int32_t>(row.Int(1)));
    rejection.set_side(static_cast<backtest::v1::Side>(row.Int(2)));
    rejection.set_quantity(row.Real(3));
    rejection.set_time(row.Int(4));
    rejection.set_stage(row.Text(5));
    rejection.set_code(row.Text(6));
    rejection.set_message(row.Text(7));
    rejection.set_tag(row.Text(8));
    rejection.set_strategy(static_cast<int32_t>(row.Int(9)));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  status = for_each_row(kSelectTrades, [&](Statement& row) -> absl::Status {
    backtest::v1::Trade& trade = row.Int(0) != 0
                                     ? records.open_trades.emplace_back()
                                     : records.closed_trades.emplace_back();
    trade.set_symbol(row.Text(1));
    trade.set_side(static_cast<backtest::v1::Side>(row.Int(2)));
    trade.set_entry_time(row.Int(3));
    trade.set_entry_price(row.Real(4));
    trade.set_exit_time(row.Int(5));
    trade.set_exit_price(row.Real(6));
    trade.set_quantity(row.Real(7));
    trade.set_gross_pnl(row.Real(8));
    trade.set_commission(row.Real(9));
    trade.set_net_pnl(row.Real(10));
    trade.set_exit_reason(row.Text(11));
    if (!row.IsNull(12)) trade.set_r_multiple(row.Real(12));
    trade.set_borrow_fees(row.Real(13));
    trade.set_slippage(row.Real(14));
    trade.set_mae(row.Real(15));
    trade.set_mfe(row.Real(16));
    trade.set_initial_stop(row.Real(17));
    trade.set_strategy(row.Text(18));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return records;
}

absl::Status RunStore::StoreTrace(const std::string& run_id,
                                  const backtest::v1::Trace& trace) {
  const std::string what = absl::StrCat("store the trace of run ", run_id);
  return InTransaction(what, run_id, [&]() -> absl::Status {
    absl::StatusOr<int64_t> known = QueryInt(
        "SELECT count(*) FROM runs WHERE run_id = ?1", what, run_id);
    if (!known.ok()) return known.status();
    if (*known == 0) return UnknownRun(run_id);
    absl::StatusOr<sqlite3_stmt*> stmt = Prepare(kStoreTrace, what, run_id);
    if (!stmt.ok()) return stmt.status();
    Statement statement(*stmt);
    statement.BindText(1, run_id);
    statement.BindBlob(2, trace.SerializeAsString());
    if (const int rc = statement.Step(); rc != SQLITE_DONE) {
      return Failure(rc, what, run_id);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<backtest::v1::Trace> RunStore::ReadTrace(
    const std::string& run_id) {
  const std::string what = absl::StrCat("read the trace of run ", run_id);
  absl::StatusOr<sqlite3_stmt*> stmt = Prepare(kSelectTrace, what, run_id);
  if (!stmt.ok()) return stmt.status();
  Statement statement(*stmt);
  statement.BindText(1, run_id);
  const int rc = statement.Step();
  if (rc == SQLITE_DONE) {
    return StageFailure(
        absl::StatusCode::kNotFound, kStage, "NO_TRACE",
        absl::StrCat("run ", run_id, " in ", path_, " has no stored trace"),
        {.run_id = run_id,
         .hint = "runs stored before traces were kept, and runs whose "
                 "coordinator stopped before they ended, have none; a trace "
                 "the database could not take when its run ended is stored "
                 "when the coordinator's next run ends"});
  }
  if (rc != SQLITE_ROW) return Failure(rc, what, run_id);
  backtest::v1::Trace trace;
  if (!trace.ParseFromString(statement.Text(0))) {
    return StageFailure(
        absl::StatusCode::kDataLoss, kStage, "DATABASE_CORRUPT",
        absl::StrCat("the stored trace of run ", run_id, " in ", path_,
                     " cannot be decoded"),
        {.run_id = run_id, .hint = std::string(kChangedFileHint)});
  }
  return trace;
}

}  // namespace seed::results
