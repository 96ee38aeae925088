// Stores runs and everything they recorded (equity, fills, rejections, trades,
// metrics, traces) in a SQL database, so results outlive the process and can
// be listed, shown and exported later: a SQLite file (the embedded default)
// or a PostgreSQL database that several results services and coordinators
// share. The store is written once over the SQL layer (sql_database.h); its
// code is split by concern: run_store.cc (opening, schema and versions,
// transactions), run_store_runs.cc (run rows), run_store_leases.cc (leases
// and abandoned runs), run_store_records.cc (records, whole or a page at a
// time), run_store_jobs.cc (research jobs and their children) and
// run_store_traces.cc (traces). Not thread-safe: one connection, used by
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
#include "absl/time/time.h"
#include "backtest/v1/orders.pb.h"
#include "backtest/v1/research.pb.h"
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

// The time now; injectable so that tests of leases need not sleep.
using Clock = std::function<absl::Time()>;
// The system's clock (absl::Now).
Clock SystemClock();
// `time` as created_at and finished_at hold it: "2026-11-23T05:31:00Z".
std::string IsoUtc(absl::Time time);

// A run's row: what BeginRun stored plus how it ended. A QUEUED or RUNNING
// run whose lease ran out reads as ABANDONED, with its error (see
// RunStore's lease comment).
struct StoredRun {
  backtest::v1::RunSummary summary;  // with metrics once finished
  std::string canonical_spec;
  std::map<std::string, std::string> symbol_hashes;
  double initial_cash = 0;
  int64_t interval_seconds = 0;
  // How the run's metrics are measured (BeginRunRequest.metrics).
  backtest::v1::MetricsSpec metrics_spec;
  // The lease: its length and when it runs out (UTC epoch seconds).
  int64_t lease_seconds = 0;
  int64_t lease_expires = 0;
  // Progress (UpdateRunRequest): steps done, the last step reached.
  int64_t steps_done = 0;
  std::string step_time;
  // A child of a research job: its place in it (job_id empty otherwise).
  backtest::v1::JobMembership job;
  // A finished child: its objective (the job's metric), when defined.
  std::optional<double> objective;
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

// Where a page of runs ended, in the order the runs are listed: by
// created_at and rowid (the order begun) newest first, or a job's children
// by child index.
struct RunPosition {
  std::string created_at;
  int64_t rowid = 0;
  int64_t child_index = 0;  // with RunFilter.parent
};

struct RunFilter {
  std::string strategy;                         // empty: any
  std::optional<backtest::v1::RunState> state;  // unset: any; ABANDONED
                                                // includes runs whose
                                                // lease ran out
  std::string symbol;  // empty: any; else runs whose symbols include it
  // Bounds on created_at as "YYYY-MM-DDTHH:MM:SS" (UTC), compared as text
  // with the stored ISO 8601 values; empty: unbounded.
  std::string created_from;    // inclusive
  std::string created_before;  // exclusive
  std::string owner;           // empty: any; else runs this principal owns
  // A job id (exact): its children only, by child index.
  std::string parent;
  // The runs listed after this position; unset: from the first.
  std::optional<RunPosition> after;
  int limit = 50;
};

struct RunPage {
  std::vector<backtest::v1::RunSummary> runs;
  // Where the page ended, when more runs may follow.
  std::optional<RunPosition> next;
};

// Where a page of one record kind ended: equity {chunk seq, points of that
// chunk done}; fills and rejections {seq}; trades {open, exit_time,
// entry_time, seq} (their listed order). Empty: the first page.
using RecordPosition = std::vector<int64_t>;

struct RecordPage {
  // The kind asked for; trades closed (by exit time), then open.
  std::vector<backtest::v1::EquityPoint> equity;
  std::vector<backtest::v1::Fill> fills;
  std::vector<backtest::v1::Rejection> rejections;
  std::vector<backtest::v1::Trade> trades;
  // Where the page ended, when more records may follow.
  std::optional<RecordPosition> next;
};

// A research job's row: the Job fields stored (the derived ones unset), and
// when its result was stored (empty: none).
struct StoredJob {
  backtest::v1::Job job;  // result only when asked for
  bool has_result = false;
  std::string result_at;
  int64_t rowid = 0;  // the order jobs were created in
};

// Where a page of jobs ended: newest first by created_at and rowid.
struct JobPosition {
  std::string created_at;
  int64_t rowid = 0;
};

struct JobPage {
  std::vector<StoredJob> jobs;
  std::optional<JobPosition> next;
};

// One child of a job as its listing needs it: the light columns only, never
// its records.
struct StoredChild {
  std::string run_id;
  backtest::v1::JobMembership membership;
  backtest::v1::RunState state = backtest::v1::RUN_STATE_UNSPECIFIED;
  std::string finished_at;
  std::optional<backtest::v1::StageError> error;
  std::optional<double> objective;
  // A finished child's metrics, reduced to what a job lists of it (trades,
  // total_return, sharpe, final_equity and the job's objective).
  std::optional<backtest::v1::Metrics> summary;
};

// A job's children by effective state (ABANDONED when a lease ran out), and
// the newest finished_at among them.
struct ChildCounts {
  std::map<backtest::v1::RunState, int64_t> by_state;
  std::string newest_finished_at;
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
  // version 6 the runs' leases and progress, their place in a research job,
  // the jobs themselves, and each run's owner (the principal that
  // submitted it). A version 3, 4 or 5 database is upgraded in place when
  // opened for writing, keeping its runs (read back with the newer fields
  // empty; a run still QUEUED or RUNNING gets a lease of
  // kDefaultLeaseSeconds from the upgrade); older files are refused
  // (DATABASE_TOO_OLD). A new database gets the tables of this version when
  // first opened for writing. The tables and blob layouts are documented in
  // run_store.cc (kSchema and the versions after it).
  static constexpr int kSchemaVersion = 6;
  // The oldest version upgraded in place.
  static constexpr int kLastMigratableVersion = 3;
  // Most points one equity chunk row holds: about 24 MiB (and 8 MiB per
  // strategy of the run), far below SQLite's 1 GB blob limit. A larger batch
  // is stored as several chunks.
  static constexpr int64_t kMaxPointsPerChunk = int64_t{1} << 20;
  // The lease a run gets when BeginRun names none: a coordinator renews it
  // with every batch of records and progress update (every few seconds), so
  // a minute survives a long pause of one, and a run whose coordinator died
  // is given up within a minute.
  static constexpr int64_t kDefaultLeaseSeconds = 60;

  // Opens (creating when kReadWrite) the database at `path`: the path of a
  // SQLite file, or a postgresql:// (or postgres://) connection URI.
  // `clock` tells leases' time. Example:
  //   absl::StatusOr<std::unique_ptr<RunStore>> store =
  //       RunStore::Open(DefaultDatabasePath());
  static absl::StatusOr<std::unique_ptr<RunStore>> Open(
      const std::string& path, OpenMode mode = OpenMode::kReadWrite,
      Clock clock = SystemClock());

  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  // Where the database is: the absolute path of the SQLite file, or the
  // PostgreSQL URI without its password.
  const std::string& path() const { return db_->location(); }
  // What this store asked of its database so far.
  const SqlStats& stats() const { return db_->stats(); }

  // Leases. A run holds a lease from BeginRun (lease_seconds, 0:
  // kDefaultLeaseSeconds) that AppendRecords and UpdateRun renew for as long
  // again. A QUEUED or RUNNING run whose lease ran out (its expiry at or
  // before now) is ABANDONED: every read reports it so, with an error of
  // stage coordinator, reason ABANDONED, saying when the lease ran out and
  // how far the run got; a store opened for writing also stores that, with
  // the expiry as finished_at, the first time it reads the run (a
  // read-only store only reports it). Every later write to the run fails
  // RUN_ABANDONED (FAILED_PRECONDITION). An ABANDONED run has no metrics.

  // Stores a new run (its state, identity, fingerprint and lease). A run id
  // that is already stored fails with ALREADY_EXISTS (RUN_ALREADY_EXISTS)
  // and changes nothing. A child of a research job (request.job) needs its
  // job stored (UNKNOWN_JOB) and an index below its children_expected (when
  // set); the child stored before under the job and index, whatever its run
  // id, is replaced (its row, records, trace and metrics removed in the same
  // transaction) unless it SUCCEEDED (ALREADY_EXISTS, CHILD_ALREADY_SUCCEEDED)
  // or holds a live lease (ALREADY_EXISTS, CHILD_RUNNING: another
  // coordinator runs it); those change nothing, so of two shards that begin
  // one child at once exactly one stores it.
  absl::Status BeginRun(const backtest::v1::BeginRunRequest& request);

  // Appends one batch in a single transaction: all of it is stored or none,
  // and the run's lease is renewed. Its equity points become one chunk row
  // (see kMaxPointsPerChunk). Fails UNKNOWN_RUN, RUN_ALREADY_FINISHED once
  // the run has ended, RUN_ABANDONED once its lease ran out, STORAGE_FAILED
  // for a NaN cash, equity or strategy equity, or INVALID_APPEND_RECORDS
  // when the batch's points do not all carry the same number of strategy
  // equities.
  absl::Status AppendRecords(const backtest::v1::AppendRecordsRequest& request);

  // Sets what the run learned since it began (results.proto
  // UpdateRunRequest) and renews its lease. The data identity (symbol hashes,
  // data hash, interval, first and last time) is set once: a value given
  // that differs from one stored fails DATA_IDENTITY_DIFFERS (naming each)
  // and changes nothing; empty values change nothing. Progress (steps_done,
  // current_time) replaces the stored one when given; state RUNNING moves a
  // QUEUED run on. Fails UNKNOWN_RUN, RUN_ALREADY_FINISHED, RUN_ABANDONED.
  absl::Status UpdateRun(const backtest::v1::UpdateRunRequest& request);

  // Computes a run's metrics from the run and its records as stored, or
  // says why it cannot.
  using MetricsFunction = std::function<absl::StatusOr<backtest::v1::Metrics>(
      const StoredRun& run, const RunRecords& records)>;

  // Ends a run in a single transaction: stores the open trades, the state,
  // the error and finished_at, then the metrics `compute_metrics` derives from
  // the stored records; a child of a job also its objective (the job's
  // metric, research/objective.h ReadMetric) and summary. Returns the
  // finished run's summary. When `compute_metrics` fails, nothing is stored
  // and its failure returned. Fails like AppendRecords.
  absl::StatusOr<backtest::v1::RunSummary> FinishRun(
      const backtest::v1::FinishRunRequest& request,
      const std::string& finished_at, const MetricsFunction& compute_metrics);

  // A page of runs: newest first (created_at, then the order runs were
  // begun), or a job's children by child index; at most filter.limit.
  absl::StatusOr<RunPage> ListRuns(const RunFilter& filter);

  // Run ids that start with `prefix` (at most `limit`, in id order).
  absl::StatusOr<std::vector<std::string>> FindRunIds(absl::string_view prefix,
                                                      int limit);

  // Fail UNKNOWN_RUN when `run_id` is not stored.
  absl::StatusOr<StoredRun> ReadRun(const std::string& run_id);
  absl::StatusOr<RunRecords> ReadRecords(const std::string& run_id);
  // Up to `limit` records of `kind` after `after`, in the order ReadRecords
  // gives them; an equity chunk is read in part, never whole.
  absl::StatusOr<RecordPage> ReadRecordPage(const std::string& run_id,
                                            backtest::v1::RecordKind kind,
                                            const RecordPosition& after,
                                            int64_t limit);
  // About the bytes the run's records take in a GetRunResponse, from the
  // stored counts and the characters of their texts, without reading the
  // records: each number counts at its largest encoding, so only texts
  // beyond ASCII take more than this.
  absl::StatusOr<int64_t> RecordsSizeEstimate(const std::string& run_id);

  // Stores the run's trace, replacing one stored before. Fails UNKNOWN_RUN.
  absl::Status StoreTrace(const std::string& run_id,
                          const backtest::v1::Trace& trace);
  // The stored trace; NOT_FOUND with reason NO_TRACE when the run has none
  // (a run stored before traces were, whose coordinator stopped first, or
  // whose trace the coordinator still keeps: trace_keeping_results.h).
  absl::StatusOr<backtest::v1::Trace> ReadTrace(const std::string& run_id);

  // The UNKNOWN_RUN failure: "no run <run_id> in <path()>".
  absl::Status UnknownRun(const std::string& run_id) const;

  // Stores a research job's stored fields (the derived ones are ignored), or
  // returns the job stored under its id when its spec_hash is the same (of
  // several shards creating it at once, one stores it); another spec_hash
  // fails ALREADY_EXISTS, JOB_SPEC_DIFFERS. Params must not hold a comma.
  absl::StatusOr<StoredJob> CreateJob(const backtest::v1::Job& job);
  // The job with `job_id` (exact); its result too when `with_result`.
  // Fails UNKNOWN_JOB.
  absl::StatusOr<StoredJob> ReadJob(const std::string& job_id,
                                    bool with_result);
  // Job ids that start with `prefix` (at most `limit`, in id order).
  absl::StatusOr<std::vector<std::string>> FindJobIds(absl::string_view prefix,
                                                      int limit);
  // Newest first, without their results.
  absl::StatusOr<JobPage> ListJobs(const std::optional<JobPosition>& after,
                                   int limit);
  // Stores the job's result, replacing one stored before. Fails UNKNOWN_JOB.
  absl::Status StoreJobResult(const std::string& job_id,
                              const backtest::v1::JobResult& result);
  // Every child stored under the job, by child index, with its effective
  // state (stored ABANDONED as ReadRun does).
  absl::StatusOr<std::vector<StoredChild>> ReadChildren(
      const std::string& job_id);
  // The job's children counted by effective state, in one query.
  absl::StatusOr<ChildCounts> CountChildren(const std::string& job_id);
  // The UNKNOWN_JOB failure: "no research job <job_id> in <path()>".
  absl::Status UnknownJob(const std::string& job_id) const;

 private:
  // A run's row locked for a write (LockUnfinished).
  struct LockedRun {
    backtest::v1::RunState state;
    int64_t lease_seconds = 0;
  };
  // A run found ABANDONED on a read: what storing it takes.
  struct Abandoned {
    std::string run_id;
    std::string finished_at;
    backtest::v1::StageError error;
  };

  RunStore(std::unique_ptr<SqlDatabase> db, OpenMode mode, Clock clock)
      : db_(std::move(db)), mode_(mode), clock_(std::move(clock)) {}

  // Now, in UTC epoch seconds, as leases count it.
  int64_t Now() const;

  // Checks the stored schema version and creates or upgrades the schema.
  absl::Status Configure();
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

  // Reads a row selected with the run columns, in their order, as stored.
  absl::StatusOr<StoredRun> ReadRunRow(SqlStatement& row) const;
  // A run as stored that is QUEUED or RUNNING with its lease run out at
  // `now` becomes ABANDONED (state, error and finished_at), and what
  // storing that takes is added to `found` (when not null).
  void NoteAbandoned(StoredRun& run, int64_t now,
                     std::vector<Abandoned>* found) const;
  // Stores the runs a read found ABANDONED, in run id order (kept QUEUED
  // or RUNNING when their lease was renewed meanwhile, which cannot happen:
  // a write to a run whose lease ran out fails). A store opened read-only,
  // or inside a transaction, stores nothing; a failure to store is logged,
  // not returned: the read that found them succeeded, and the next read
  // tries again.
  void StoreAbandoned(std::vector<Abandoned> found);
  // Fails unless the run is stored and has not ended (or been abandoned).
  // In a transaction, it locks the run's row until the transaction ends, so
  // the run's records are numbered by one connection at a time.
  absl::StatusOr<LockedRun> LockUnfinished(const std::string& run_id,
                                           absl::string_view what);
  // Runs a write to one run (`body`, in a transaction, after
  // LockUnfinished), renewing the run's lease when `renew`; a write refused
  // because the lease ran out stores the run ABANDONED.
  absl::Status WriteToRun(
      const std::string& run_id, absl::string_view what, bool renew,
      const std::function<absl::Status(const LockedRun&)>& body);
  // In BeginRun's transaction: the checks and replacement of a job's child.
  absl::Status MakeRoomForChild(const backtest::v1::BeginRunRequest& request,
                                const std::string& what);
  // Removes a run with everything it recorded (within a transaction).
  absl::Status DeleteRun(const std::string& run_id, const std::string& what);
  // A finished child's objective and summary, from its job's objective.
  absl::Status StoreChildObjective(const StoredRun& run,
                                   const backtest::v1::Metrics& metrics,
                                   const std::string& what);
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
  // A page of equity points (ReadRecordPage).
  absl::Status ReadEquityPage(const std::string& run_id,
                              const RecordPosition& after, int64_t limit,
                              RecordPage& page);
  // The single integer `sql` selects for `run_id` (bound to ?1).
  absl::StatusOr<int64_t> QueryInt(absl::string_view sql,
                                   absl::string_view what,
                                   const std::string& run_id);
  // Reads a row selected with the job columns, in their order.
  absl::StatusOr<StoredJob> ReadJobRow(SqlStatement& row,
                                       bool with_result) const;

  const std::unique_ptr<SqlDatabase> db_;
  const OpenMode mode_;
  const Clock clock_;
};

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_RUN_STORE_H_
