// The results stage: records what a run produced (equity, fills, rejections,
// trades), computes its metrics when it ends, and answers list/show queries,
// all backed by a RunStore: a SQLite file, or a PostgreSQL database that
// other results services and coordinators may share. Thread-safe: calls are
// serialized on one database connection.
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
  // Default for ListRunsRequest.limit = 0.
  static constexpr int kDefaultListLimit = 50;
  // How many candidates an ambiguous run id prefix error names.
  static constexpr int kMaxListedMatches = 10;

  // `database_path` is a SQLite file's path or a postgresql:// (or
  // postgres://) connection URI (RunStore::Open). Example:
  //   ResultsEngine::Open(DefaultDatabasePath());
  //   ResultsEngine::Open("postgresql://seed@db.internal/results");
  static absl::StatusOr<std::unique_ptr<ResultsEngine>> Open(
      const std::string& database_path, OpenMode mode = OpenMode::kReadWrite);

  // Where the database is: the absolute path of the SQLite file, or the
  // PostgreSQL URI without its password.
  const std::string& database_path() const { return database_path_; }

  // Stores a new run; state defaults to RUNNING and created_at to now.
  // Response: location = database_path() (never a password). An existing run id
  // fails RUN_ALREADY_EXISTS (ALREADY_EXISTS); a canonical_spec that is neither
  // empty nor a BacktestSpec in JSON (the run's strategies are read from
  // it) fails INVALID_BEGIN_RUN with the other problems of the request.
  absl::Status BeginRun(const backtest::v1::BeginRunRequest& request,
                        backtest::v1::BeginRunResponse* response);
  // Stores one batch atomically.
  absl::Status AppendRecords(const backtest::v1::AppendRecordsRequest& request,
                             backtest::v1::AppendRecordsResponse* response);
  // Stores the open trades and how the run ended, then the metrics computed
  // from the stored records, the strategies of the stored spec and the
  // request's benchmark bars (metrics.h; the bars themselves are not
  // stored); returns the summary with them. Bars
  // whose times are not strictly increasing, whose closes are not finite and
  // positive or not one per time fail INVALID_FINISH_RUN, listing each.
  absl::Status FinishRun(const backtest::v1::FinishRunRequest& request,
                         backtest::v1::FinishRunResponse* response);
  // Newest first; filters by strategy name, state name (case-insensitive),
  // symbol and created_at range (since/until, see results.proto). A bad state
  // or time fails INVALID_LIST_RUNS naming each field.
  absl::Status ListRuns(const backtest::v1::ListRunsRequest& request,
                        backtest::v1::ListRunsResponse* response);
  // Accepts a unique prefix of a run id (an exact id always wins).
  absl::Status GetRun(const backtest::v1::GetRunRequest& request,
                      backtest::v1::GetRunResponse* response);
  // Stores a run's trace (replacing any stored before); UNKNOWN_RUN for a
  // run id that is not stored (exact id, no prefix).
  absl::Status StoreTrace(const backtest::v1::StoreTraceRequest& request,
                          backtest::v1::StoreTraceResponse* response);
  // A run's trace by id or unique prefix; NO_TRACE when none was stored.
  absl::Status GetTrace(const backtest::v1::GetTraceRequest& request,
                        backtest::v1::GetTraceResponse* response);

 private:
  explicit ResultsEngine(std::unique_ptr<RunStore> store)
      : database_path_(store->path()), store_(std::move(store)) {}

  // The stored run id `prefix` names, or why none does.
  absl::StatusOr<std::string> ResolveRunId(const std::string& prefix)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string database_path_;
  absl::Mutex mu_;
  const std::unique_ptr<RunStore> store_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_RESULTS_ENGINE_H_
