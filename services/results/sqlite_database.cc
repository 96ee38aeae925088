#include "services/results/sqlite_database.h"

#include <cerrno>
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "sqlite3.h"

namespace seed::results {
namespace {

constexpr absl::string_view kStage = "results";
// How long a write waits for another connection's lock before failing
// DATABASE_BUSY: long enough for any single batch another process commits.
constexpr int kBusyTimeoutMs = 10000;

// The common dialect's tokens (sql_database.h) in SQLite. They expand to
// the words the schema was first written with, so new files hold the same
// schema text as files written before there were two drivers.
const std::map<std::string, std::string>& Tokens() {
  static const auto* const tokens = new std::map<std::string, std::string>{
      {"INT", "INTEGER"},
      {"REAL", "REAL"},
      {"TEXT", "TEXT"},
      {"BLOB", "BLOB"},
      {"EMPTY_BLOB", "x''"},
      {"ROWID", ""},
      {"WITHOUT_ROWID", " WITHOUT ROWID"},
      {"STRPOS", "instr"},
      {"FOR_UPDATE", ""},
  };
  return *tokens;
}

struct FailureKind {
  absl::StatusCode code;
  absl::string_view reason;
  absl::string_view hint;
};

FailureKind Classify(int rc) {
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

// The failure for SQLite result code `rc` on connection `db` (may be null).
absl::Status Failure(sqlite3* db, int rc) {
  if ((rc & 0xff) == SQLITE_IOERR && db != nullptr && OutOfSpace(db)) {
    rc = SQLITE_FULL;
  }
  const FailureKind kind = Classify(rc);
  const char* detail = db != nullptr && rc != SQLITE_FULL ? sqlite3_errmsg(db)
                                                          : sqlite3_errstr(rc);
  return StageFailure(kind.code, kStage, kind.reason, detail,
                      {.hint = std::string(kind.hint)});
}

class SqliteStatement : public SqlStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }

  void BindInt(int index, int64_t value) override {
    Keep(sqlite3_bind_int64(stmt_, index, value));
  }
  void BindReal(int index, double value) override {
    Keep(sqlite3_bind_double(stmt_, index, value));
  }
  void BindText(int index, absl::string_view value) override {
    Keep(sqlite3_bind_text64(stmt_, index, value.data(), value.size(),
                             SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void BindBlob(int index, absl::string_view value) override {
    Keep(sqlite3_bind_blob64(stmt_, index, value.data(), value.size(),
                             SQLITE_TRANSIENT));
  }
  void BindNull(int index) override { Keep(sqlite3_bind_null(stmt_, index)); }

  absl::StatusOr<bool> Step() override {
    const int rc =
        bind_result_ != SQLITE_OK ? bind_result_ : sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Failure(db_, rc);
  }
  void Reset() override { sqlite3_reset(stmt_); }
  void Clear() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    bind_result_ = SQLITE_OK;
  }
  int64_t RowsChanged() override { return sqlite3_changes64(db_); }

  bool IsNull(int column) override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  int64_t Int(int column) override {
    return sqlite3_column_int64(stmt_, column);
  }
  double Real(int column) override {
    return sqlite3_column_double(stmt_, column);
  }
  absl::string_view Bytes(int column) override {
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

  sqlite3* const db_;
  sqlite3_stmt* const stmt_;
  int bind_result_ = SQLITE_OK;
};

class SqliteDatabase : public SqlDatabase {
 public:
  SqliteDatabase(std::string path, sqlite3* db)
      : path_(std::move(path)), db_(db) {}
  ~SqliteDatabase() override {
    statements_.clear();  // finalized before the connection closes
    sqlite3_close_v2(db_);
  }

  absl::string_view engine() const override { return "SQLite"; }
  const std::string& location() const override { return path_; }

  absl::StatusOr<Statement> Prepare(absl::string_view sql) override {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      const std::string expanded = ExpandDialect(sql, Tokens());
      sqlite3_stmt* stmt = nullptr;
      const int rc = sqlite3_prepare_v3(
          db_, expanded.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return Failure(db_, rc);
      it = statements_
               .emplace(std::string(sql),
                        std::make_unique<SqliteStatement>(db_, stmt))
               .first;
    }
    return Statement(it->second.get());
  }

  absl::Status Execute(absl::string_view sql) override {
    const std::string expanded = ExpandDialect(sql, Tokens());
    const int rc =
        sqlite3_exec(db_, expanded.c_str(), nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? absl::OkStatus() : Failure(db_, rc);
  }

  // IMMEDIATE takes the write lock up front, so a busy database fails here
  // (after the busy timeout) rather than halfway through the transaction.
  absl::Status BeginWrite() override { return Execute("BEGIN IMMEDIATE"); }
  absl::Status Commit() override { return Execute("COMMIT"); }
  absl::Status Rollback() override { return Execute("ROLLBACK"); }
  // SQLite may roll back by itself (e.g. on a full disk).
  bool InTransaction() override { return sqlite3_get_autocommit(db_) == 0; }
  // The write transaction already excludes every other writer.
  absl::Status LockSchema() override { return absl::OkStatus(); }

  absl::StatusOr<int64_t> SchemaVersion() override {
    absl::StatusOr<Statement> version = Prepare("PRAGMA user_version");
    if (!version.ok()) return version.status();
    absl::StatusOr<bool> row = (*version)->Step();
    if (!row.ok()) return row.status();
    return *row ? (*version)->Int(0) : 0;
  }
  absl::Status SetSchemaVersion(int64_t version) override {
    return Execute(absl::StrCat("PRAGMA user_version = ", version));
  }
  // WAL lets readers (bt list, show) work while a run is being written.
  absl::Status PrepareForWrites() override {
    return Execute("PRAGMA journal_mode = WAL");
  }

 private:
  const std::string path_;
  sqlite3* const db_;
  std::map<std::string, std::unique_ptr<SqliteStatement>, std::less<>>
      statements_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqlDatabase>> OpenSqliteDatabase(
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
  auto database = std::make_unique<SqliteDatabase>(absolute.string(), db);
  if (rc != SQLITE_OK) {
    return DescribeFailure(Failure(db, rc), "open the database",
                           database->location(), "");
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  return database;
}

}  // namespace seed::results
