// The SQL layer the results store is written on: one connection to a
// database (SQLite file or PostgreSQL server), cached prepared statements
// with typed binds and reads, transactions, and the schema version. Two
// drivers implement it (sqlite_database.h, postgres_database.h); the store
// writes each query once and runs it on both.
//
// SQL text given to Prepare and Execute is in the common dialect below; each
// driver expands it to its own:
//   - placeholders are ?1, ?2, ... (PostgreSQL receives $1, $2, ...);
//   - column types are written {INT} (64-bit), {REAL} (binary64), {TEXT}
//     (compared bytewise), {BLOB}; {EMPTY_BLOB} is an empty blob literal;
//   - {ROWID} opens a table that needs an insertion-order column named rowid
//     (SQLite has one in every rowid table; PostgreSQL gets a bigserial);
//   - {WITHOUT_ROWID} ends a table SQLite may store without a rowid;
//   - {STRPOS}(haystack, needle) is the 1-based position of needle, 0 if
//     absent;
//   - {FOR_UPDATE} ends a SELECT whose rows the transaction locks until it
//     ends (PostgreSQL; SQLite's write transactions lock the whole file).
// Upserts (INSERT ... ON CONFLICT (...) DO UPDATE SET c = excluded.c / DO
// NOTHING) and INSERT ... RETURNING are written the same in both.
//
// Failures are absl::Status values carrying a stage error of stage
// "results" (common/stage_error.h) whose reason says what went wrong
// (DATABASE_READ_ONLY, DISK_FULL, DATABASE_BUSY, DATABASE_CORRUPT,
// DATABASE_CANNOT_OPEN, DATABASE_UNREACHABLE, STORAGE_FAILED) with a hint;
// the message is the driver's own words, to which DescribeFailure adds what
// was being done and where.
//
// Not thread-safe: a connection and its statements are used by one thread
// at a time.
#ifndef SEED_SERVICES_RESULTS_SQL_DATABASE_H_
#define SEED_SERVICES_RESULTS_SQL_DATABASE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seed::results {

enum class OpenMode {
  kReadWrite,  // creates the file, its directories and the schema as needed
  kReadOnly,   // the database must exist; every write fails DATABASE_READ_ONLY
};

// A prepared statement, owned by its database and reused: bind, step through
// its rows, read columns (0-based) of the current row. Binds (1-based) stay
// until cleared; a bind that fails is reported by the next Step.
class SqlStatement {
 public:
  virtual ~SqlStatement() = default;

  virtual void BindInt(int index, int64_t value) = 0;
  // NaN is stored as NULL, as SQLite does: a NOT NULL column refuses it.
  virtual void BindReal(int index, double value) = 0;
  virtual void BindText(int index, absl::string_view value) = 0;
  virtual void BindBlob(int index, absl::string_view value) = 0;
  virtual void BindNull(int index) = 0;

  // Runs the statement on the first call, then moves to the next row: true
  // when a row is ready to read, false when there are no more.
  virtual absl::StatusOr<bool> Step() = 0;
  // Ready to run again; binds are kept.
  virtual void Reset() = 0;
  // Reset, and every bind cleared.
  virtual void Clear() = 0;
  // Rows the last run inserted, updated or deleted.
  virtual int64_t RowsChanged() = 0;

  virtual bool IsNull(int column) = 0;
  virtual int64_t Int(int column) = 0;
  virtual double Real(int column) = 0;
  // A text or blob column; valid until the next Step, Reset or Clear.
  virtual absl::string_view Bytes(int column) = 0;
  std::string Text(int column) { return std::string(Bytes(column)); }

  // Runs a statement that returns no rows (a row is not a failure).
  absl::Status Execute() { return Step().status(); }
};

// A statement in use: clears it for its next user when it goes out of scope.
class Statement {
 public:
  explicit Statement(SqlStatement* statement) : statement_(statement) {}
  ~Statement() {
    if (statement_ != nullptr) statement_->Clear();
  }
  Statement(Statement&& other)
      : statement_(std::exchange(other.statement_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  SqlStatement* operator->() const { return statement_; }
  SqlStatement& operator*() const { return *statement_; }

 private:
  SqlStatement* statement_;
};

class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;

  // "SQLite" or "PostgreSQL", for messages.
  virtual absl::string_view engine() const = 0;
  // Where the database is, safe to show: the absolute file path, or the
  // connection URI without its password.
  virtual const std::string& location() const = 0;

  // The statement for `sql` (common dialect, see the top of this file),
  // compiled once per connection and reused. Example:
  //   absl::StatusOr<Statement> select = db.Prepare(
  //       "SELECT state FROM runs WHERE run_id = ?1");
  //   (*select)->BindText(1, run_id);
  //   absl::StatusOr<bool> row = (*select)->Step();
  virtual absl::StatusOr<Statement> Prepare(absl::string_view sql) = 0;
  // Runs `sql` (common dialect, one statement or several, no parameters).
  virtual absl::Status Execute(absl::string_view sql) = 0;

  // A transaction that will write: SQLite takes the write lock up front (so
  // a busy database fails here rather than halfway through); PostgreSQL
  // locks rows as they are selected {FOR_UPDATE} or written.
  virtual absl::Status BeginWrite() = 0;
  virtual absl::Status Commit() = 0;
  virtual absl::Status Rollback() = 0;
  // Whether a transaction is open (a failure may have ended one already).
  virtual bool InTransaction() = 0;
  // In a write transaction: waits until no other connection is changing the
  // schema, and keeps others from doing so until the transaction ends.
  virtual absl::Status LockSchema() = 0;

  // The schema version stored with the data (SQLite: PRAGMA user_version;
  // PostgreSQL: the table schema_version); 0 for an empty database.
  virtual absl::StatusOr<int64_t> SchemaVersion() = 0;
  virtual absl::Status SetSchemaVersion(int64_t version) = 0;
  // Called once the schema version is known to be usable, before a store
  // opened for writing writes (SQLite switches to WAL journaling).
  virtual absl::Status PrepareForWrites() = 0;
};

// Whether `location` names a PostgreSQL database (a postgresql:// or
// postgres:// URI) rather than a SQLite file.
bool IsPostgresLocation(absl::string_view location);

// Opens the database `location` names: a PostgreSQL URI (see
// IsPostgresLocation), else the path of a SQLite file.
absl::StatusOr<std::unique_ptr<SqlDatabase>> OpenSqlDatabase(
    const std::string& location, OpenMode mode);

// `failure` (from a driver) as the store reports it: "cannot <what> in
// results database <location>: <driver message>", with its reason, hint and
// code, and `run_id` when not empty.
absl::Status DescribeFailure(const absl::Status& failure,
                             absl::string_view what, absl::string_view location,
                             const std::string& run_id);

// `sql` with each {TOKEN} of the common dialect replaced by its value in
// `tokens` (drivers use it); a brace that opens no known token is kept.
std::string ExpandDialect(absl::string_view sql,
                          const std::map<std::string, std::string>& tokens);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_SQL_DATABASE_H_
