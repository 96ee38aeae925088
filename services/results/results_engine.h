// The results stage: records what a run produced (equity, fills, rejections,
// trades), keeps each run's lease and progress, computes its metrics when it
// ends, stores research jobs and derives their state and ranking from their
// children, and answers list/show queries page by page, all backed by a
// RunStore: a SQLite file, or a PostgreSQL database that other results
// services and coordinators may share. Its code: results_engine.cc (writes
// and traces), results_engine_queries.cc (runs and records read back),
// results_engine_jobs.cc (jobs). Thread-safe: calls are serialized on one
// database connection.
#ifndef SEED_SERVICES_RESULTS_RESULTS_ENGINE_H_
#define SEED_SERVICES_RESULTS_RESULTS_ENGINE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backtest/v1/results.pb.h"
#include "services/results/run_store.h"

namespace seed::results {

class ResultsEngine {
 public:
  // Page sizes: the default for ListRunsRequest.limit, ListJobsRequest.limit
  // and GetJobRequest.page_size when 0, and the most one page holds (a
  // larger size asks for this many).
  static constexpr int kDefaultListLimit = 50;
  static constexpr int kMaxListLimit = 1000;
  // ListRunRecordsRequest.page_size: the default and the most.
  static constexpr int kDefaultRecordPage = 10000;
  static constexpr int kMaxRecordPage = 100000;
  // The most records GetRun returns (include_records), in bytes of the
  // response: 48 MiB, so that a response stays well inside gRPC's 64 MiB
  // messages (common/server.h) with the rest of the run beside them.
  static constexpr int64_t kMaxRecordsBytes = int64_t{48} << 20;
  // The longest lease a run may ask for (BeginRunRequest.lease_seconds): a
  // day, for a coordinator that queues a run long before it starts.
  static constexpr int64_t kMaxLeaseSeconds = 86400;
  // How many candidates an ambiguous run or job id prefix error names.
  static constexpr int kMaxListedMatches = 10;

  // `database_path` is a SQLite file's path or a postgresql:// (or
  // postgres://) connection URI (RunStore::Open); `clock` tells the time
  // of created_at, finished_at and leases. Example:
  //   ResultsEngine::Open(DefaultDatabasePath());
  //   ResultsEngine::Open("postgresql://seed@db.internal/results");
  static absl::StatusOr<std::unique_ptr<ResultsEngine>> Open(
      const std::string& database_path, OpenMode mode = OpenMode::kReadWrite,
      Clock clock = SystemClock());

  // Where the database is: the absolute path of the SQLite file, or the
  // PostgreSQL URI without its password.
  const std::string& database_path() const { return database_path_; }
  // What the engine asked of its database so far.
  SqlStats database_stats();

  // Stores a new run; state defaults to RUNNING (QUEUED is allowed, the
  // data identity may come later with UpdateRun) and created_at to now; its
  // lease is lease_seconds (0: RunStore::kDefaultLeaseSeconds, at most
  // kMaxLeaseSeconds). Response: location = database_path() (never a
  // password). An existing run id fails RUN_ALREADY_EXISTS (ALREADY_EXISTS); a
  // canonical_spec that is neither empty nor a BacktestSpec in JSON (the
  // run's strategies are read from it) fails INVALID_BEGIN_RUN with the
  // other problems of the request. A child of a research job (job set)
  // follows RunStore::BeginRun.
  absl::Status BeginRun(const backtest::v1::BeginRunRequest& request,
                        backtest::v1::BeginRunResponse* response);
  // Stores one batch atomically and renews the run's lease.
  absl::Status AppendRecords(const backtest::v1::AppendRecordsRequest& request,
                             backtest::v1::AppendRecordsResponse* response);
  // Sets the run's data identity (once) and progress, moves it from QUEUED
  // to RUNNING, renews its lease (RunStore::UpdateRun). state may only be
  // RUNNING or unset; negative counts fail INVALID_UPDATE_RUN.
  absl::Status UpdateRun(const backtest::v1::UpdateRunRequest& request,
                         backtest::v1::UpdateRunResponse* response);
  // Stores the open trades and how the run ended, then the metrics computed
  // from the stored records, the strategies of the stored spec and the
  // request's benchmark bars (metrics.h; the bars themselves are not
  // stored); returns the summary with them. Bars
  // whose times are not strictly increasing, whose closes are not finite and
  // positive or not one per time fail INVALID_FINISH_RUN, listing each.
  absl::Status FinishRun(const backtest::v1::FinishRunRequest& request,
                         backtest::v1::FinishRunResponse* response);
  // A page of runs, newest first, or a job's children by index (parent: a
  // job id or a unique prefix); filters by strategy name, state name
  // (case-insensitive; ABANDONED includes runs whose lease ran out), symbol
  // and created_at range (since/until, see results.proto). A bad state or
  // time fails INVALID_LIST_RUNS naming each field; a page token of another
  // query INVALID_PAGE_TOKEN.
  absl::Status ListRuns(const backtest::v1::ListRunsRequest& request,
                        backtest::v1::ListRunsResponse* response);
  // Accepts a unique prefix of a run id (an exact id always wins). With
  // include_records, a run whose records would take more than
  // kMaxRecordsBytes fails RECORDS_TOO_LARGE (RESOURCE_EXHAUSTED): page them
  // with ListRunRecords.
  absl::Status GetRun(const backtest::v1::GetRunRequest& request,
                      backtest::v1::GetRunResponse* response);
  // A page of one kind of a run's records, in the order GetRun gives them.
  absl::Status ListRunRecords(
      const backtest::v1::ListRunRecordsRequest& request,
      backtest::v1::ListRunRecordsResponse* response);
  // Stores a run's trace (replacing any stored before); UNKNOWN_RUN for a
  // run id that is not stored (exact id, no prefix).
  absl::Status StoreTrace(const backtest::v1::StoreTraceRequest& request,
                          backtest::v1::StoreTraceResponse* response);
  // A run's trace by id or unique prefix; NO_TRACE when none was stored.
  absl::Status GetTrace(const backtest::v1::GetTraceRequest& request,
                        backtest::v1::GetTraceResponse* response);

  // Research jobs (results_engine_jobs.cc). CreateJob stores a job, or
  // returns the one stored under its id with the same spec_hash
  // (RunStore::CreateJob); objective defaults to sharpe and goal to
  // maximize for a sweep or walk-forward, created_at to now; an unknown
  // objective or goal fails INVALID_CREATE_JOB. The response has the
  // derived fields.
  absl::Status CreateJob(const backtest::v1::CreateJobRequest& request,
                         backtest::v1::CreateJobResponse* response);
  // A job (id or unique prefix) with its derived fields and result, and a
  // page of its children (job_view.h) read from their light columns only.
  absl::Status GetJob(const backtest::v1::GetJobRequest& request,
                      backtest::v1::GetJobResponse* response);
  // A page of jobs, newest first, with their derived fields, without
  // results.
  absl::Status ListJobs(const backtest::v1::ListJobsRequest& request,
                        backtest::v1::ListJobsResponse* response);
  // Stores a job's result (exact id), replacing one stored before.
  absl::Status StoreJobResult(
      const backtest::v1::StoreJobResultRequest& request,
      backtest::v1::StoreJobResultResponse* response);

 private:
  ResultsEngine(std::unique_ptr<RunStore> store, Clock clock)
      : database_path_(store->path()),
        clock_(std::move(clock)),
        store_(std::move(store)) {}

  // The stored run (or job) id `prefix` names, or why none does.
  absl::StatusOr<std::string> ResolveRunId(const std::string& prefix)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> ResolveJobId(const std::string& prefix)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A job with its derived fields, from the counts of its children.
  absl::StatusOr<backtest::v1::Job> DerivedJob(StoredJob stored)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string database_path_;
  const Clock clock_;
  absl::Mutex mu_;
  const std::unique_ptr<RunStore> store_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_RESULTS_ENGINE_H_
