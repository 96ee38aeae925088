// Stores runs and everything they recorded (equity, fills, rejections, trades,
// metrics, traces) in a SQL database, so results outlive the process and can
// be listed, shown and exported later: a SQLite file (the embedded default)
// or a PostgreSQL database that several results services and coordinators
// share. The store is written once over the SQL layer (sql_database.h); its
// code is split by concern: run_store.cc (opening, schema and versions,
// transactions), run_store_runs.cc (run rows), run_store_records.cc (records)
// and run_store_traces.cc (traces). Not thread-safe: one connection, used by
// one thread at a time (ResultsEngine serializes its calls); any number of
// stores, in any processes, may use one database at once.
#ifndef SEED_SERVICES_RESULTS_RUN_STORE_H_
#define SEED_SERVICES_RESULTS_RUN_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/orders.pb.h"
#include "backtest/v1/results.pb.h"
#include "backtest/v1/run.pb.h"
#include "backtest/v1/spec.pb.h"
#include "backtest/v1/trace.pb.h"
#include "services/results/sql_database.h"

namespace seed::results {

// Where results go when no path is given: $BT_RESULTS_DB if set, else
// $XDG_DATA_HOME/seed-backtester/results.db, else
// $HOME/.local/share/seed-backtester/results.db, else (no HOME)
// seed-backtester/results.db in the current directory. Empty variables count
// as unset.
std::string DefaultDatabasePath();

// A run's row: what BeginRun stored plus how it ended.
struct StoredRun {
  backtest::v1::RunSummary summary;  // with metrics once finished
  std::string canonical_spec;
  std::map<std::string, std::string> symbol_hashes;
  double initial_cash = 0;
  int64_t interval_seconds = 0;
  // How the run's metrics are measured (BeginRunRequest.metrics).
  backtest::v1::MetricsSpec metrics_spec;
};

// Everything a run recorded, each kind in the order it was appended (closed
// trades by exit time, open trades by entry time).
struct RunRecords {
  std::vector<backtest::v1::EquityPoint> equity;
  std::vector<backtest::v1::Fill> fills;
  std::vector<backtest::v1::Rejection> rejections;
  std::vector<backtest::v1::Trade> closed_trades;
  std::vector<backtest::v1::Trade> open_trades;
};

struct RunFilter {
  std::string strategy;                         // empty: any
  std::optional<backtest::v1::RunState> state;  // unset: any
  std::string symbol;  // empty: any; else runs whose symbols include it
  // Bounds on created_at as "YYYY-MM-DDTHH:MM:SS" (UTC), compared as text
  // with the stored ISO 8601 values; empty: unbounded.
  std::string created_from;    // inclusive
  std::string created_before;  // exclusive
  std::string owner;           // empty: any; else runs this principal owns
  int limit = 50;
};

class RunStore {
 public:
  // Bumped whenever the schema changes; stored with the data (SQLite: PRAGMA
  // user_version; PostgreSQL: the table schema_version).
  // Version 2 stored the equity curve in chunks (equity_chunks); version 3
  // adds each run's MetricsSpec (runs.metrics_spec); version 4 the fills'
  // and trades' order-type columns (raw price, role, MAE/MFE, ...) and the
  // runs' traces; version 5 the records' strategy (a run of several: fills,
  // rejections and trades name theirs, equity chunks carry each point's
  // strategy equity in a blob of their own) and the rejections' tag;
  // version 6 each run's owner (the principal that submitted it). A
  // version 3, 4 or 5 file is upgraded in place when opened for writing,
  // keeping its runs (read back with the newer fields empty); older files
  // are refused (DATABASE_TOO_OLD). A new PostgreSQL database gets the
  // tables of this version when first opened for writing. The tables and
  // blob layouts are documented in run_store.cc (kSchema and the versions
  // after it).
  static constexpr int kSchemaVersion = 6;
  // The oldest version upgraded in place.
  static constexpr int kLastMigratableVersion = 3;
  // Most points one equity chunk row holds: about 24 MiB (and 8 MiB per
  // strategy of the run), far below SQLite's 1 GB blob limit. A larger batch
  // is stored as several chunks.
  static constexpr int64_t kMaxPointsPerChunk = int64_t{1} << 20;

  // Opens (creating when kReadWrite) the database at `path`: the path of a
  // SQLite file, or a postgresql:// (or postgres://) connection URI.
  // Example:
  //   absl::StatusOr<std::unique_ptr<RunStore>> store =
  //       RunStore::Open(DefaultDatabasePath());
  static absl::StatusOr<std::unique_ptr<RunStore>> Open(
      const std::string& path, OpenMode mode = OpenMode::kReadWrite);

  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  // Where the database is: the absolute path of the SQLite file, or the
  // PostgreSQL URI without its password.
  const std::string& path() const { return db_->location(); }

  // Stores a new run (its state, identity and fingerprint). A run id that is
  // already stored fails with ALREADY_EXISTS and changes nothing.
  absl::Status BeginRun(const backtest::v1::BeginRunRequest& request);

  // Appends one batch in a single transaction: all of it is stored or none.
  // Its equity points become one chunk row (see kMaxPointsPerChunk). Fails
  // UNKNOWN_RUN, RUN_ALREADY_FINISHED once the run has ended,
  // STORAGE_FAILED for a NaN cash, equity or strategy equity, or
  // INVALID_APPEND_RECORDS when the batch's points do not all carry the same
  // number of strategy equities.
  absl::Status AppendRecords(const backtest::v1::AppendRecordsRequest& request);

  // Computes a run's metrics from the run and its records as stored, or
  // says why it cannot.
  using MetricsFunction = std::function<absl::StatusOr<backtest::v1::Metrics>(
      const StoredRun& run, const RunRecords& records)>;

  // Ends a run in a single transaction: stores the open trades, the state,
  // the error and finished_at, then the metrics `compute_metrics` derives from
  // the stored records. Returns the finished run's summary. When
  // `compute_metrics` fails, nothing is stored and its failure returned.
  absl::StatusOr<backtest::v1::RunSummary> FinishRun(
      const backtest::v1::FinishRunRequest& request,
      const std::string& finished_at, const MetricsFunction& compute_metrics);

  // Newest first (created_at, then the order runs were begun).
  absl::StatusOr<std::vector<backtest::v1::RunSummary>> ListRuns(
      const RunFilter& filter);

  // Run ids that start with `prefix` (at most `limit`, in id order).
  absl::StatusOr<std::vector<std::string>> FindRunIds(absl::string_view prefix,
                                                      int limit);

  // Fail UNKNOWN_RUN when `run_id` is not stored.
  absl::StatusOr<StoredRun> ReadRun(const std::string& run_id);
  absl::StatusOr<RunRecords> ReadRecords(const std::string& run_id);

  // Stores the run's trace, replacing one stored before. Fails UNKNOWN_RUN.
  absl::Status StoreTrace(const std::string& run_id,
                          const backtest::v1::Trace& trace);
  // The stored trace; NOT_FOUND with reason NO_TRACE when the run has none
  // (a run stored before traces were, whose coordinator stopped first, or
  // whose trace the coordinator still keeps: trace_keeping_results.h).
  absl::StatusOr<backtest::v1::Trace> ReadTrace(const std::string& run_id);

  // The UNKNOWN_RUN failure: "no run <run_id> in <path()>".
  absl::Status UnknownRun(const std::string& run_id) const;

 private:
  explicit RunStore(std::unique_ptr<SqlDatabase> db) : db_(std::move(db)) {}

  // Checks the stored schema version and creates or upgrades the schema.
  absl::Status Configure(OpenMode mode);
  // Creates the schema in a new database (from_version 0) or upgrades it.
  absl::Status CreateSchema(int64_t from_version);
  // The statement for `sql` (the common dialect of sql_database.h).
  absl::StatusOr<Statement> Prepare(absl::string_view sql,
                                    absl::string_view what,
                                    const std::string& run_id);
  // Runs `body` in a write transaction and commits; rolls back on failure.
  absl::Status InTransaction(absl::string_view what, const std::string& run_id,
                             const std::function<absl::Status()>& body);
  // A failure of the database while doing `what`, as the store reports it.
  absl::Status Failure(const absl::Status& failure, absl::string_view what,
                       const std::string& run_id) const;

  // Reads a row selected with the run columns, in their order.
  absl::StatusOr<StoredRun> ReadRunRow(SqlStatement& row) const;
  // Fails unless the run is stored and has not ended. In a transaction, it
  // locks the run's row until the transaction ends, so the run's records
  // are numbered by one connection at a time.
  absl::Status RequireUnfinished(const std::string& run_id,
                                 absl::string_view what);
  // Inserts `records` as rows numbered on from the run's last seq:
  // `bind_columns(statement, record)` binds every column after run_id (1) and
  // seq (2).
  template <typename Record, typename BindColumns>
  absl::Status InsertRows(
      absl::string_view next_seq_sql, absl::string_view insert_sql,
      const std::string& run_id, absl::string_view kind,
      const google::protobuf::RepeatedPtrField<Record>& records,
      const BindColumns& bind_columns);
  // Stores `points` as chunks numbered on from the run's last chunk.
  absl::Status InsertEquity(
      const std::string& run_id,
      const google::protobuf::RepeatedPtrField<backtest::v1::EquityPoint>&
          points);
  absl::Status InsertTrades(
      const std::string& run_id,
      const google::protobuf::RepeatedPtrField<backtest::v1::Trade>& trades,
      bool open);
  // The single integer `sql` selects for `run_id` (bound to ?1).
  absl::StatusOr<int64_t> QueryInt(absl::string_view sql,
                                   absl::string_view what,
                                   const std::string& run_id);

  const std::unique_ptr<SqlDatabase> db_;
};

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_RUN_STORE_H_
