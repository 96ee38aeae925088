// RunStore: the run rows (begin, finish, list, look up, read).
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/stage_error.h"
#include "services/results/run_store.h"
#include "services/results/run_store_internal.h"

namespace seed::results {
namespace {

using ::backtest::v1::RunState;
using ::backtest::v1::RunSummary;
using internal::kChangedFileHint;
using internal::kStage;

// Run symbols are tickers (data file names), which never contain a comma.
constexpr char kSymbolSeparator[] = ",";

// Locks the run's row until the transaction ends (see RequireUnfinished).
constexpr char kLockRunState[] =
    "SELECT state FROM runs WHERE run_id = ?1{FOR_UPDATE}";
// A run id already stored inserts nothing, even when another connection
// stores it at the same moment.
constexpr char kInsertRun[] =
    "INSERT INTO runs (run_id, name, state, strategy, symbols, created_at, "
    "finished_at, spec_hash, data_hash, engine_version, first_time, "
    "last_time, canonical_spec, initial_cash, interval_seconds, error, "
    "metrics, metrics_spec, owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
    "?9, ?10, ?11, ?12, ?13, ?14, ?15, NULL, NULL, ?16, ?17) "
    "ON CONFLICT (run_id) DO NOTHING";
constexpr char kInsertSymbolHash[] =
    "INSERT INTO symbol_hashes (run_id, symbol, hash) VALUES (?1, ?2, ?3)";
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
// rowid: the order runs were begun in (sql_database.h, {ROWID}).
constexpr char kListRuns[] = SEED_RUN_COLUMNS
    "WHERE (?1 = '' OR strategy = ?1) AND (?2 < 0 OR state = ?2) "
    "AND (?4 = '' OR {STRPOS}(',' || symbols || ',', ',' || ?4 || ',') > 0) "
    "AND (?5 = '' OR created_at >= ?5) AND (?6 = '' OR created_at < ?6) "
    "AND (?7 = '' OR owner = ?7) "
    "ORDER BY created_at DESC, rowid DESC LIMIT ?3";
#undef SEED_RUN_COLUMNS
constexpr char kSelectSymbolHashes[] =
    "SELECT symbol, hash FROM symbol_hashes WHERE run_id = ?1";
constexpr char kFindRunIds[] =
    "SELECT run_id FROM runs WHERE substr(run_id, 1, length(?1)) = ?1 "
    "ORDER BY run_id LIMIT ?2";

}  // namespace

absl::Status RunStore::RequireUnfinished(const std::string& run_id,
                                         absl::string_view what) {
  absl::StatusOr<Statement> statement = Prepare(kLockRunState, what, run_id);
  if (!statement.ok()) return statement.status();
  (*statement)->BindText(1, run_id);
  absl::StatusOr<bool> row = (*statement)->Step();
  if (!row.ok()) return Failure(row.status(), what, run_id);
  if (!*row) return UnknownRun(run_id);
  const auto state = static_cast<RunState>((*statement)->Int(0));
  if (internal::IsFinished(state)) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "RUN_ALREADY_FINISHED",
        absl::StrCat("cannot ", what, ": run ", run_id, " in ", path(),
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
    absl::StatusOr<Statement> insert = Prepare(kInsertRun, what, run.run_id());
    if (!insert.ok()) return insert.status();
    SqlStatement& statement = **insert;
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
    if (absl::Status status = statement.Execute(); !status.ok()) {
      return Failure(status, what, run.run_id());
    }
    if (statement.RowsChanged() == 0) {
      return StageFailure(
          absl::StatusCode::kAlreadyExists, kStage, "RUN_ALREADY_EXISTS",
          absl::StrCat("run ", run.run_id(), " is already stored in ", path(),
                       "; nothing was changed"),
          {.run_id = run.run_id(),
           .hint = "run ids are unique: give the new run its own id"});
    }

    absl::StatusOr<Statement> hashes =
        Prepare(kInsertSymbolHash, what, run.run_id());
    if (!hashes.ok()) return hashes.status();
    (*hashes)->BindText(1, run.run_id());
    for (const auto& [symbol, digest] : request.symbol_hashes()) {
      (*hashes)->BindText(2, symbol);
      (*hashes)->BindText(3, digest);
      if (absl::Status status = (*hashes)->Execute(); !status.ok()) {
        return Failure(status, what, run.run_id());
      }
      (*hashes)->Reset();
    }
    return absl::OkStatus();
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

        {
          absl::StatusOr<Statement> finish = Prepare(kFinishRun, what, run_id);
          if (!finish.ok()) return finish.status();
          (*finish)->BindText(1, run_id);
          (*finish)->BindInt(2, request.state());
          (*finish)->BindText(3, finished_at);
          if (request.has_error()) {
            (*finish)->BindBlob(4, request.error().SerializeAsString());
          } else {
            (*finish)->BindNull(4);
          }
          status = (*finish)->Execute();
          if (!status.ok()) return Failure(status, what, run_id);
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

        absl::StatusOr<Statement> set = Prepare(kSetMetrics, what, run_id);
        if (!set.ok()) return set.status();
        (*set)->BindText(1, run_id);
        (*set)->BindBlob(2, summary.metrics().SerializeAsString());
        status = (*set)->Execute();
        return status.ok() ? status : Failure(status, what, run_id);
      });
  if (!result.ok()) return result;
  return summary;
}

absl::StatusOr<StoredRun> RunStore::ReadRunRow(SqlStatement& row) const {
  StoredRun run;
  RunSummary& summary = run.summary;
  summary.set_run_id(row.Text(0));
  summary.set_name(row.Text(1));
  summary.set_state(static_cast<RunState>(row.Int(2)));
  summary.set_strategy(row.Text(3));
  for (absl::string_view symbol :
       absl::StrSplit(row.Bytes(4), kSymbolSeparator, absl::SkipEmpty())) {
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
                     " in ", path(), " cannot be decoded"),
        {.run_id = summary.run_id(), .hint = std::string(kChangedFileHint)});
  }
  return run;
}

absl::StatusOr<std::vector<RunSummary>> RunStore::ListRuns(
    const RunFilter& filter) {
  constexpr absl::string_view kWhat = "list runs";
  absl::StatusOr<Statement> statement = Prepare(kListRuns, kWhat, "");
  if (!statement.ok()) return statement.status();
  SqlStatement& rows = **statement;
  rows.BindText(1, filter.strategy);
  rows.BindInt(2, filter.state.has_value() ? *filter.state : -1);
  rows.BindInt(3, filter.limit);
  rows.BindText(4, filter.symbol);
  rows.BindText(5, filter.created_from);
  rows.BindText(6, filter.created_before);
  rows.BindText(7, filter.owner);
  std::vector<RunSummary> runs;
  absl::StatusOr<bool> row;
  while ((row = rows.Step()).ok() && *row) {
    absl::StatusOr<StoredRun> run = ReadRunRow(rows);
    if (!run.ok()) return run.status();
    runs.push_back(std::move(run->summary));
  }
  if (!row.ok()) return Failure(row.status(), kWhat, "");
  return runs;
}

absl::StatusOr<std::vector<std::string>> RunStore::FindRunIds(
    absl::string_view prefix, int limit) {
  const std::string what = absl::StrCat("look up runs starting with ", prefix);
  absl::StatusOr<Statement> statement = Prepare(kFindRunIds, what, "");
  if (!statement.ok()) return statement.status();
  SqlStatement& rows = **statement;
  rows.BindText(1, prefix);
  rows.BindInt(2, limit);
  std::vector<std::string> ids;
  absl::StatusOr<bool> row;
  while ((row = rows.Step()).ok() && *row) ids.push_back(rows.Text(0));
  if (!row.ok()) return Failure(row.status(), what, "");
  return ids;
}

absl::StatusOr<StoredRun> RunStore::ReadRun(const std::string& run_id) {
  const std::string what = absl::StrCat("read run ", run_id);
  absl::StatusOr<StoredRun> run;
  {
    absl::StatusOr<Statement> statement = Prepare(kSelectRun, what, run_id);
    if (!statement.ok()) return statement.status();
    (*statement)->BindText(1, run_id);
    absl::StatusOr<bool> row = (*statement)->Step();
    if (!row.ok()) return Failure(row.status(), what, run_id);
    if (!*row) return UnknownRun(run_id);
    run = ReadRunRow(**statement);
    if (!run.ok()) return run.status();
  }
  absl::StatusOr<Statement> statement =
      Prepare(kSelectSymbolHashes, what, run_id);
  if (!statement.ok()) return statement.status();
  SqlStatement& hashes = **statement;
  hashes.BindText(1, run_id);
  absl::StatusOr<bool> row;
  while ((row = hashes.Step()).ok() && *row) {
    run->symbol_hashes[hashes.Text(0)] = hashes.Text(1);
  }
  if (!row.ok()) return Failure(row.status(), what, run_id);
  return run;
}

}  // namespace seed::results
