#include "services/results/postgres_database.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "absl/base/casts.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/stage_error.h"
// Debian puts libpq's headers in /usr/include/postgresql; the quoted
// includes inside libpq-fe.h resolve next to it.
#include "postgresql/libpq-fe.h"

namespace seed::results {
namespace {

constexpr absl::string_view kStage = "results";
// Type OIDs of the built-in types we bind and read (pg_type.dat; fixed since
// PostgreSQL 7).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
// Binary format in PQexecPrepared's formats and resultFormat.
constexpr int kBinary = 1;
// Seconds a connection attempt may take unless the URI says otherwise
// (connect_timeout): long enough for a server across a network.
constexpr char kConnectTimeoutSeconds[] = "10";
// How long a statement waits for a row another connection locked (the
// run's row, while that connection appends to the run) before failing
// DATABASE_BUSY: the SQLite driver's busy timeout.
constexpr char kLockTimeout[] = "10s";

// The common dialect's tokens (sql_database.h) in PostgreSQL. Text compares
// bytewise (collation "C"), as in SQLite, so run ids list in the same order.
const std::map<std::string, std::string>& Tokens() {
  static const auto* const tokens = new std::map<std::string, std::string>{
      {"INT", "BIGINT"},
      {"REAL", "DOUBLE PRECISION"},
      {"TEXT", "TEXT COLLATE \"C\""},
      {"BLOB", "BYTEA"},
      {"EMPTY_BLOB", "''::bytea"},
      {"ROWID", "\n  rowid BIGSERIAL NOT NULL,"},
      {"WITHOUT_ROWID", ""},
      {"STRPOS", "strpos"},
      {"FOR_UPDATE", " FOR UPDATE"},
  };
  return *tokens;
}

// `sql` with ?N placeholders as PostgreSQL's $N. A '?' inside a quoted
// literal or identifier, or in a -- comment, is left alone.
std::string DollarPlaceholders(absl::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  bool comment = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (comment) {
      comment = c != '\n';
    } else if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      comment = true;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?' && i + 1 < sql.size() &&
               absl::ascii_isdigit(sql[i + 1])) {
      out.push_back('$');
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void PutBigEndian(uint64_t value, int bytes, std::string& out) {
  out.resize(bytes);
  for (int i = 0; i < bytes; ++i) {
    out[i] = static_cast<char>(value >> (8 * (bytes - 1 - i)));
  }
}

uint64_t GetBigEndian(const char* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value = (value << 8) | static_cast<unsigned char>(in[i]);
  }
  return value;
}

// The password parts of `uri` as written (after USER: and in password=),
// so messages can be scrubbed of them.
std::vector<std::string> Passwords(absl::string_view uri) {
  std::vector<std::string> passwords;
  const size_t scheme = uri.find("://");
  if (scheme == absl::string_view::npos) return passwords;
  absl::string_view rest = uri.substr(scheme + 3);
  const absl::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    const absl::string_view user_info = authority.substr(0, at);
    if (const size_t colon = user_info.find(':');
        colon != absl::string_view::npos && colon + 1 < user_info.size()) {
      passwords.emplace_back(user_info.substr(colon + 1));
    }
  }
  if (const size_t query = rest.find('?'); query != absl::string_view::npos) {
    for (absl::string_view param :
         absl::StrSplit(rest.substr(query + 1), '&')) {
      if (absl::ConsumePrefix(&param, "password=") && !param.empty()) {
        passwords.emplace_back(param);
      }
    }
  }
  return passwords;
}

// `text` on one line, with every password in `passwords` replaced.
std::string Scrub(absl::string_view text,
                  const std::vector<std::string>& passwords) {
  std::string out(absl::StripAsciiWhitespace(text));
  absl::StrReplaceAll({{"\n", " "}, {"\t", ""}}, &out);
  for (const std::string& password : passwords) {
    absl::StrReplaceAll({{password, "****"}}, &out);
  }
  return out;
}

struct FailureKind {
  absl::StatusCode code;
  absl::string_view reason;
  std::string hint;
};

class PostgresDatabase;

class PostgresStatement : public SqlStatement {
 public:
  PostgresStatement(PostgresDatabase& db, std::string sql, int parameters)
      : db_(db), sql_(std::move(sql)), params_(parameters) {}
  ~PostgresStatement() override { PQclear(result_); }

  void BindInt(int index, int64_t value) override {
    Param* param = At(index);
    if (param == nullptr) return;
    param->type = kInt8Oid;
    param->null = false;
    PutBigEndian(static_cast<uint64_t>(value), 8, param->bytes);
  }
  void BindReal(int index, double value) override {
    if (std::isnan(value)) return BindNull(index);
    Param* param = At(index);
    if (param == nullptr) return;
    param->type = kFloat8Oid;
    param->null = false;
    PutBigEndian(absl::bit_cast<uint64_t>(value), 8, param->bytes);
  }
  void BindText(int index, absl::string_view value) override {
    Bind(index, kTextOid, value);
  }
  void BindBlob(int index, absl::string_view value) override {
    Bind(index, kByteaOid, value);
  }
  void BindNull(int index) override {
    Param* param = At(index);
    if (param == nullptr) return;
    param->null = true;
    param->bytes.clear();
  }

  absl::StatusOr<bool> Step() override;
  void Reset() override {
    PQclear(result_);
    result_ = nullptr;
    row_ = -1;
  }
  void Clear() override {
    Reset();
    for (Param& param : params_) param = Param();
    bind_error_.clear();
  }
  int64_t RowsChanged() override {
    int64_t rows = 0;
    return result_ != nullptr && absl::SimpleAtoi(PQcmdTuples(result_), &rows)
               ? rows
               : 0;
  }

  bool IsNull(int column) override {
    return PQgetisnull(result_, row_, column) != 0;
  }
  int64_t Int(int column) override {
    if (IsNull(column)) return 0;
    const char* value = PQgetvalue(result_, row_, column);
    switch (PQftype(result_, column)) {
      case kInt8Oid:
        return static_cast<int64_t>(GetBigEndian(value, 8));
      case kInt4Oid:
        return static_cast<int32_t>(GetBigEndian(value, 4));
      case kInt2Oid:
        return static_cast<int16_t>(GetBigEndian(value, 2));
      case kBoolOid:
        return value[0] != 0 ? 1 : 0;
      default:
        return 0;  // not an integer column: a query of ours is wrong
    }
  }
  double Real(int column) override {
    if (IsNull(column)) return 0;
    const char* value = PQgetvalue(result_, row_, column);
    switch (PQftype(result_, column)) {
      case kFloat8Oid:
        return absl::bit_cast<double>(GetBigEndian(value, 8));
      case kFloat4Oid:
        return absl::bit_cast<float>(
            static_cast<uint32_t>(GetBigEndian(value, 4)));
      default:
        return static_cast<double>(Int(column));
    }
  }
  absl::string_view Bytes(int column) override {
    return absl::string_view(PQgetvalue(result_, row_, column),
                             PQgetlength(result_, row_, column));
  }

 private:
  struct Param {
    Oid type = 0;  // 0: not bound yet, or NULL (the server infers the type)
    bool null = true;
    std::string bytes;
  };

  Param* At(int index) {
    if (index < 1 || index > static_cast<int>(params_.size())) {
      if (bind_error_.empty()) {
        bind_error_ = absl::StrCat("parameter ", index, " is out of range 1..",
                                   params_.size());
      }
      return nullptr;
    }
    return &params_[index - 1];
  }
  void Bind(int index, Oid type, absl::string_view value) {
    Param* param = At(index);
    if (param == nullptr) return;
    param->type = type;
    param->null = false;
    param->bytes.assign(value.data(), value.size());
  }
  // The parameter types, as a key: a statement is prepared once per
  // combination of bound types (a NULL lets the server infer its type).
  std::string Signature() const {
    std::string signature;
    for (const Param& param : params_) {
      absl::StrAppend(&signature, param.null ? 0 : param.type, ",");
    }
    return signature;
  }

  PostgresDatabase& db_;
  const std::string sql_;  // in PostgreSQL's dialect
  std::vector<Param> params_;
  std::string bind_error_;
  // Server-side statement names by Signature(), for connection generation
  // prepared_generation_ (a reconnect forgets them).
  std::map<std::string, std::string> prepared_;
  int64_t prepared_generation_ = -1;
  PGresult* result_ = nullptr;
  int row_ = -1;
};

class PostgresDatabase : public SqlDatabase {
 public:
  PostgresDatabase(PGconn* conn, std::string location,
                   std::vector<std::string> passwords, OpenMode mode)
      : conn_(conn),
        location_(std::move(location)),
        passwords_(std::move(passwords)),
        mode_(mode) {}
  ~PostgresDatabase() override {
    statements_.clear();
    PQfinish(conn_);
  }

  absl::string_view engine() const override { return "PostgreSQL"; }
  const std::string& location() const override { return location_; }

  // Sets up a new (or re-established) connection's session.
  absl::Status StartSession() {
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    ++generation_;
    return ExecuteExpanded(
        absl::StrCat("SET lock_timeout = '", kLockTimeout, "'",
                     mode_ == OpenMode::kReadOnly
                         ? "; SET default_transaction_read_only = on"
                         : ""));
  }

  absl::StatusOr<Statement> Prepare(absl::string_view sql) override {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      const std::string expanded =
          DollarPlaceholders(ExpandDialect(sql, Tokens()));
      it = statements_
               .emplace(std::string(sql),
                        std::make_unique<PostgresStatement>(
                            *this, expanded, HighestPlaceholder(sql)))
               .first;
    }
    return Statement(it->second.get());
  }

  absl::Status Execute(absl::string_view sql) override {
    return ExecuteExpanded(DollarPlaceholders(ExpandDialect(sql, Tokens())));
  }

  absl::Status BeginWrite() override {
    transaction_ = false;
    absl::Status status = Execute("BEGIN");
    transaction_ = status.ok();
    return status;
  }
  absl::Status Commit() override {
    transaction_ = false;
    absl::StatusOr<PGresult*> result = Run(PQexec(conn_, "COMMIT"));
    if (!result.ok()) return result.status();
    // COMMIT of a failed transaction answers ROLLBACK, not an error.
    const bool committed = absl::string_view(PQcmdStatus(*result)) == "COMMIT";
    PQclear(*result);
    if (committed) return absl::OkStatus();
    return StageFailure(absl::StatusCode::kAborted, kStage, "STORAGE_FAILED",
                        "the server rolled the transaction back",
                        {.hint = "records stored before this failure are "
                                 "intact; try again"});
  }
  absl::Status Rollback() override {
    transaction_ = false;
    return Execute("ROLLBACK");
  }
  // A transaction the connection lost is over too.
  bool InTransaction() override {
    const PGTransactionStatusType status = PQtransactionStatus(conn_);
    const bool open = status == PQTRANS_INTRANS || status == PQTRANS_INERROR ||
                      status == PQTRANS_ACTIVE;
    if (!open) transaction_ = false;
    return open;
  }
  // A transaction-scoped advisory lock: concurrent first opens of an empty
  // database create the tables once.
  absl::Status LockSchema() override {
    return Execute(
        "SELECT pg_advisory_xact_lock(hashtext('seed-backtester results "
        "schema'))");
  }

  absl::StatusOr<int64_t> SchemaVersion() override {
    // The catalog table, not to_regclass: its cached answer can miss a
    // table another connection created since this one last looked.
    absl::StatusOr<Statement> exists = Prepare(
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE "
        "schemaname = current_schema() AND tablename = "
        "'schema_version'");
    if (!exists.ok()) return exists.status();
    absl::StatusOr<bool> row = (*exists)->Step();
    if (!row.ok()) return row.status();
    if (!*row || (*exists)->Int(0) == 0) return 0;
    absl::StatusOr<Statement> version =
        Prepare("SELECT max(version) FROM schema_version");
    if (!version.ok()) return version.status();
    row = (*version)->Step();
    if (!row.ok()) return row.status();
    return *row ? (*version)->Int(0) : 0;
  }
  absl::Status SetSchemaVersion(int64_t version) override {
    return Execute(absl::StrCat(
        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL); "
        "DELETE FROM schema_version; "
        "INSERT INTO schema_version (version) VALUES (",
        version, ")"));
  }
  absl::Status PrepareForWrites() override { return absl::OkStatus(); }

  // Re-establishes a connection the server dropped; fails when it cannot,
  // and inside a transaction, which the drop ended: the rest of it must not
  // run outside one.
  absl::Status EnsureConnected() {
    if (PQstatus(conn_) == CONNECTION_OK) return absl::OkStatus();
    if (transaction_) return ConnectionFailure(/*at_login=*/false);
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return ConnectionFailure(/*at_login=*/true);
    }
    return StartSession();
  }

  // `result` when it succeeded, else the failure it reports (freeing it).
  absl::StatusOr<PGresult*> Run(PGresult* result) {
    const ExecStatusType status =
        result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      return result;
    }
    absl::Status failure = ResultFailure(result);
    PQclear(result);
    return failure;
  }

  PGconn* conn() { return conn_; }
  int64_t generation() const { return generation_; }
  std::string NextStatementName() {
    return absl::StrCat("seed_", ++statement_count_);
  }

  // A failure to reach or keep the server, naming it. At a login, a server
  // that answers with a fatal error refused it (a wrong password, no such
  // database); any other time, the server went away.
  absl::Status ConnectionFailure(bool at_login) {
    const std::string server = Server();
    const bool refused =
        at_login && absl::StrContains(PQerrorMessage(conn_), "FATAL:") &&
        !absl::StrContains(PQerrorMessage(conn_), "the database system is");
    if (refused) {
      return StageFailure(
          absl::StatusCode::kFailedPrecondition, kStage, "DATABASE_CANNOT_OPEN",
          absl::StrCat(server, " refused the connection: ", ErrorText()),
          {.hint = "check the user, password and database name (the "
                   "password comes from the URI, PGPASSWORD or ~/.pgpass), "
                   "and that the database exists and the role may connect"});
    }
    return StageFailure(
        absl::StatusCode::kUnavailable, kStage, "DATABASE_UNREACHABLE",
        absl::StrCat(server, " cannot be reached: ", ErrorText()),
        {.hint = absl::StrCat(
             "check that the PostgreSQL server at ", HostPort(),
             " is running and reachable from here, or choose another database "
             "with --db or BT_RESULTS_DB; records stored before this failure "
             "are intact")});
  }

 private:
  // "HOST:PORT" as the connection sees them.
  std::string HostPort() {
    return absl::StrCat(PQhost(conn_), ":", PQport(conn_));
  }
  // "database D at HOST:PORT".
  std::string Server() {
    return absl::StrCat("database ", PQdb(conn_), " at ", HostPort());
  }

  // The connection's last error on one line, without any password.
  std::string ErrorText() { return Scrub(PQerrorMessage(conn_), passwords_); }

  absl::Status ResultFailure(PGresult* result) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      return ConnectionFailure(/*at_login=*/false);
    }
    const char* state = result == nullptr
                            ? nullptr
                            : PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const std::string sqlstate = state == nullptr ? "" : state;
    const char* primary =
        result == nullptr ? nullptr
                          : PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    const std::string detail = primary != nullptr
                                   ? absl::StrCat(Scrub(primary, passwords_),
                                                  " (SQLSTATE ", sqlstate, ")")
                                   : ErrorText();
    const FailureKind kind = Classify(sqlstate);
    return StageFailure(kind.code, kStage, kind.reason, detail,
                        {.hint = kind.hint});
  }

  FailureKind Classify(absl::string_view sqlstate) {
    if (absl::StartsWith(sqlstate, "08") || sqlstate == "57P01" ||
        sqlstate == "57P02" || sqlstate == "57P03") {
      return {absl::StatusCode::kUnavailable, "DATABASE_UNREACHABLE",
              absl::StrCat("the PostgreSQL server at ", HostPort(),
                           " went away; check that it is running, then "
                           "retry: records stored before this failure are "
                           "intact")};
    }
    if (sqlstate == "53100") {
      return {
          absl::StatusCode::kResourceExhausted, "DISK_FULL",
          absl::StrCat("free space on the disk of the PostgreSQL server at ",
                       HostPort(),
                       ", or choose another database with --db or "
                       "BT_RESULTS_DB")};
    }
    if (sqlstate == "25006" || sqlstate == "42501") {
      return {absl::StatusCode::kFailedPrecondition, "DATABASE_READ_ONLY",
              "connect as a role that may write to the results tables, to a "
              "server that is not a read-only standby, or choose another "
              "database with --db or BT_RESULTS_DB"};
    }
    if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
      return {absl::StatusCode::kUnavailable, "DATABASE_BUSY",
              "another connection held the rows locked; retry when it is "
              "done"};
    }
    if (sqlstate == "XX001" || sqlstate == "XX002") {
      return {absl::StatusCode::kDataLoss, "DATABASE_CORRUPT",
              "the PostgreSQL server found damaged data; restore the "
              "database from a backup"};
    }
    if (sqlstate == "3D000" || absl::StartsWith(sqlstate, "28")) {
      return {absl::StatusCode::kFailedPrecondition, "DATABASE_CANNOT_OPEN",
              "check the user, password and database name in the URI"};
    }
    return {absl::StatusCode::kInternal, "STORAGE_FAILED",
            "the PostgreSQL server refused the statement; records stored "
            "before this failure are intact"};
  }

  absl::Status ExecuteExpanded(const std::string& sql) {
    if (absl::Status status = EnsureConnected(); !status.ok()) return status;
    absl::StatusOr<PGresult*> result = Run(PQexec(conn_, sql.c_str()));
    if (!result.ok()) return result.status();
    PQclear(*result);
    return absl::OkStatus();
  }

  // The number of parameters `sql` takes: its highest ?N.
  static int HighestPlaceholder(absl::string_view sql) {
    int highest = 0;
    for (size_t i = 0; i + 1 < sql.size(); ++i) {
      if (sql[i] != '?' || !absl::ascii_isdigit(sql[i + 1])) continue;
      size_t end = i + 1;
      while (end < sql.size() && absl::ascii_isdigit(sql[end])) ++end;
      int number = 0;
      if (absl::SimpleAtoi(sql.substr(i + 1, end - i - 1), &number)) {
        highest = std::max(highest, number);
      }
    }
    return highest;
  }

  PGconn* const conn_;
  const std::string location_;
  const std::vector<std::string> passwords_;
  const OpenMode mode_;
  // Between BeginWrite and Commit or Rollback.
  bool transaction_ = false;
  int64_t generation_ = 0;
  int64_t statement_count_ = 0;
  std::map<std::string, std::unique_ptr<PostgresStatement>, std::less<>>
      statements_;
};

absl::StatusOr<bool> PostgresStatement::Step() {
  if (result_ != nullptr) return ++row_ < PQntuples(result_);
  if (!bind_error_.empty()) {
    return StageFailure(absl::StatusCode::kInternal, kStage, "STORAGE_FAILED",
                        bind_error_);
  }
  if (absl::Status status = db_.EnsureConnected(); !status.ok()) return status;
  if (prepared_generation_ != db_.generation()) {
    prepared_.clear();
    prepared_generation_ = db_.generation();
  }
  const std::string signature = Signature();
  auto name = prepared_.find(signature);
  if (name == prepared_.end()) {
    std::vector<Oid> types;
    for (const Param& param : params_) {
      types.push_back(param.null ? 0 : param.type);
    }
    std::string server_name = db_.NextStatementName();
    absl::StatusOr<PGresult*> prepared =
        db_.Run(PQprepare(db_.conn(), server_name.c_str(), sql_.c_str(),
                          static_cast<int>(types.size()), types.data()));
    if (!prepared.ok()) return prepared.status();
    PQclear(*prepared);
    name = prepared_.emplace(signature, std::move(server_name)).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  const std::vector<int> formats(params_.size(), kBinary);
  for (const Param& param : params_) {
    values.push_back(param.null ? nullptr : param.bytes.data());
    lengths.push_back(static_cast<int>(param.bytes.size()));
  }
  absl::StatusOr<PGresult*> result = db_.Run(PQexecPrepared(
      db_.conn(), name->second.c_str(), static_cast<int>(params_.size()),
      values.data(), lengths.data(), formats.data(), kBinary));
  if (!result.ok()) return result.status();
  result_ = *result;
  row_ = 0;
  return PQntuples(result_) > 0;
}

}  // namespace

std::string RedactPassword(absl::string_view uri) {
  const size_t scheme = uri.find("://");
  if (scheme == absl::string_view::npos) return std::string(uri);
  std::string out(uri.substr(0, scheme + 3));
  absl::string_view rest = uri.substr(scheme + 3);
  const size_t authority_end = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, authority_end);
  rest = authority_end == absl::string_view::npos ? absl::string_view()
                                                  : rest.substr(authority_end);
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    const absl::string_view user_info = authority.substr(0, at);
    absl::StrAppend(&out, user_info.substr(0, user_info.find(':')),
                    authority.substr(at));
  } else {
    absl::StrAppend(&out, authority);
  }
  const size_t query = rest.find('?');
  absl::StrAppend(&out, rest.substr(0, query));
  if (query == absl::string_view::npos) return out;
  std::vector<absl::string_view> kept;
  for (absl::string_view param :
       absl::StrSplit(rest.substr(query + 1), '&', absl::SkipEmpty())) {
    if (!absl::StartsWith(param, "password=")) kept.push_back(param);
  }
  if (!kept.empty()) absl::StrAppend(&out, "?", absl::StrJoin(kept, "&"));
  return out;
}

absl::StatusOr<std::unique_ptr<SqlDatabase>> OpenPostgresDatabase(
    const std::string& uri, OpenMode mode) {
  const std::string location = RedactPassword(uri);
  const std::vector<std::string> passwords = Passwords(uri);
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &parse_error);
  PQconninfoFree(options);
  if (options == nullptr) {
    const std::string why = parse_error == nullptr
                                ? "out of memory"
                                : Scrub(parse_error, passwords);
    PQfreemem(parse_error);
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "DATABASE_CANNOT_OPEN",
        absl::StrCat("results database ", location,
                     " is not a valid PostgreSQL connection URI: ", why),
        {.hint = "write it as postgresql://USER@HOST:PORT/DATABASE (see "
                 "docs/results-store.md)"});
  }
  // The URI comes last so that its own settings win over these defaults.
  const char* const keywords[] = {
      "connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* const values[] = {kConnectTimeoutSeconds, "seed-results",
                                uri.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return StageFailure(absl::StatusCode::kResourceExhausted, kStage,
                        "STORAGE_FAILED",
                        absl::StrCat("cannot connect to results database ",
                                     location, ": out of memory"));
  }
  auto database =
      std::make_unique<PostgresDatabase>(conn, location, passwords, mode);
  absl::Status status = PQstatus(conn) == CONNECTION_OK
                            ? database->StartSession()
                            : database->ConnectionFailure(/*at_login=*/true);
  if (!status.ok()) {
    return DescribeFailure(status, "open the database", location, "");
  }
  return database;
}

}  // namespace seed::results
