// RunStore: the run rows (begin, update, finish, list, look up, read).
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

// A run id already stored, or a job's child index already taken, inserts
// nothing, even when another connection stores it at the same moment.
constexpr char kInsertRun[] =
    "INSERT INTO runs (run_id, name, state, strategy, symbols, created_at, "
    "finished_at, spec_hash, data_hash, engine_version, first_time, "
    "last_time, canonical_spec, initial_cash, interval_seconds, error, "
    "metrics, metrics_spec, lease_seconds, lease_expires, job_id, "
    "child_index, membership, owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
    "?10, ?11, ?12, ?13, ?14, ?15, NULL, NULL, ?16, ?17, ?18, ?19, ?20, ?21, ?22) "
    "ON CONFLICT DO NOTHING";
constexpr char kInsertSymbolHash[] =
    "INSERT INTO symbol_hashes (run_id, symbol, hash) VALUES (?1, ?2, ?3)";
constexpr char kSelectIdentity[] =
    "SELECT data_hash, interval_seconds, first_time, last_time FROM runs "
    "WHERE run_id = ?1";
// Progress (?6, ?7) only when ?9 is 1.
constexpr char kUpdateRun[] =
    "UPDATE runs SET data_hash = ?2, interval_seconds = ?3, first_time = ?4, "
    "last_time = ?5, steps_done = CASE WHEN ?9 = 1 THEN ?6 ELSE steps_done "
    "END, step_time = CASE WHEN ?9 = 1 THEN ?7 ELSE step_time END, "
    "state = ?8 WHERE run_id = ?1";
constexpr char kFinishRun[] =
    "UPDATE runs SET state = ?2, finished_at = ?3, error = ?4 "
    "WHERE run_id = ?1";
constexpr char kSetMetrics[] = "UPDATE runs SET metrics = ?2 WHERE run_id = ?1";
// Column order is what ReadRunRow expects; rowid and child_index (24, 25)
// are where a page of runs ends.
#define SEED_RUN_COLUMNS                                                     \
  "SELECT run_id, name, state, strategy, symbols, created_at, finished_at, " \
  "spec_hash, data_hash, engine_version, first_time, last_time, "            \
  "canonical_spec, initial_cash, interval_seconds, error, metrics, "         \
  "metrics_spec, lease_seconds, lease_expires, steps_done, step_time, "      \
  "membership, objective, rowid, child_index, owner FROM runs "
constexpr char kSelectRun[] = SEED_RUN_COLUMNS "WHERE run_id = ?1";
// The filters both listings share; ?7 is now, for the effective state.
// clang-format off
#define SEED_RUN_FILTERS                                                    \
  "(?1 = '' OR strategy = ?1) "                                             \
  "AND (?2 < 0 OR " SEED_EFFECTIVE_STATE("?7") " = ?2) "                    \
  "AND (?4 = '' OR {STRPOS}(',' || symbols || ',', ',' || ?4 || ',') > 0) " \
  "AND (?5 = '' OR created_at >= ?5) AND (?6 = '' OR created_at < ?6) "  \
  "AND (?11 = '' OR owner = ?11) "
// clang-format on
// rowid: the order runs were begun in (sql_database.h, {ROWID}). A page
// after (?9, ?10) is keyed on the sort order; created_at <= ?9 lets an index
// on created_at find where it starts.
constexpr char kListRuns[] = SEED_RUN_COLUMNS
    "WHERE " SEED_RUN_FILTERS
    "AND (?8 = 0 OR (created_at <= ?9 AND (created_at < ?9 OR rowid < ?10))) "
    "ORDER BY created_at DESC, rowid DESC LIMIT ?3";
// A job's children (?8), after child index ?9; ?11 is the owner filter.
constexpr char kListChildRuns[] = SEED_RUN_COLUMNS
    "WHERE " SEED_RUN_FILTERS
    "AND job_id = ?8 AND child_index > ?9 ORDER BY child_index LIMIT ?3";
#undef SEED_RUN_FILTERS
#undef SEED_RUN_COLUMNS
constexpr char kSelectSymbolHashes[] =
    "SELECT symbol, hash FROM symbol_hashes WHERE run_id = ?1";
constexpr char kFindRunIds[] =
    "SELECT run_id FROM runs WHERE substr(run_id, 1, length(?1)) = ?1 "
    "ORDER BY run_id LIMIT ?2";

// The problem, if any, of setting a data identity field stored as `stored`
// (empty or 0: not set yet) to `given` (empty or 0: not given).
template <typename Value>
void CheckSetOnce(absl::string_view field, const Value& stored,
                  const Value& given, std::vector<FieldProblem>& problems) {
  if (given == Value() || stored == Value() || given == stored) return;
  problems.push_back(
      {std::string(field), absl::StrCat("is already ", stored,
                                        "; a run's data identity "
                                        "is set once, got ",
                                        given)});
}

}  // namespace

absl::Status RunStore::BeginRun(const backtest::v1::BeginRunRequest& request) {
  const RunSummary& run = request.run();
  const std::string what = absl::StrCat("store new run ", run.run_id());
  const bool child = !request.job().job_id().empty();
  const int64_t lease_seconds = request.lease_seconds() > 0
                                    ? request.lease_seconds()
                                    : kDefaultLeaseSeconds;
  return InTransaction(what, run.run_id(), [&]() -> absl::Status {
    if (child) {
      if (absl::Status status = MakeRoomForChild(request, what); !status.ok()) {
        return status;
      }
    }
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
    statement.BindInt(17, lease_seconds);
    statement.BindInt(18, Now() + lease_seconds);
    if (child) {
      statement.BindText(19, request.job().job_id());
      statement.BindInt(20, request.job().index());
      statement.BindBlob(21, request.job().SerializeAsString());
    } else {
      statement.BindNull(19);
      statement.BindNull(20);
      statement.BindNull(21);
    }
    statement.BindText(22, run.owner());
    if (absl::Status status = statement.Execute(); !status.ok()) {
      return Failure(status, what, run.run_id());
    }
    if (statement.RowsChanged() == 0) {
      // Another connection stored the child since MakeRoomForChild looked:
      // it says which refusal applies.
      if (child) {
        if (absl::Status status = MakeRoomForChild(request, what);
            !status.ok()) {
          return status;
        }
      }
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

absl::Status RunStore::UpdateRun(
    const backtest::v1::UpdateRunRequest& request) {
  const std::string& run_id = request.run_id();
  const std::string what = absl::StrCat("update run ", run_id);
  return WriteToRun(
      run_id, what, /*renew=*/true,
      [&](const LockedRun& locked) -> absl::Status {
        std::string data_hash, first_time, last_time;
        int64_t interval_seconds = 0;
        {
          absl::StatusOr<Statement> select =
              Prepare(kSelectIdentity, what, run_id);
          if (!select.ok()) return select.status();
          (*select)->BindText(1, run_id);
          absl::StatusOr<bool> row = (*select)->Step();
          if (!row.ok()) return Failure(row.status(), what, run_id);
          data_hash = (*select)->Text(0);
          interval_seconds = (*select)->Int(1);
          first_time = (*select)->Text(2);
          last_time = (*select)->Text(3);
        }
        std::map<std::string, std::string> hashes;
        {
          absl::StatusOr<Statement> select =
              Prepare(kSelectSymbolHashes, what, run_id);
          if (!select.ok()) return select.status();
          (*select)->BindText(1, run_id);
          absl::StatusOr<bool> row;
          while ((row = (*select)->Step()).ok() && *row) {
            hashes[(*select)->Text(0)] = (*select)->Text(1);
          }
          if (!row.ok()) return Failure(row.status(), what, run_id);
        }

        std::vector<FieldProblem> problems;
        CheckSetOnce("data_hash", data_hash, request.data_hash(), problems);
        CheckSetOnce("interval_seconds", interval_seconds,
                     request.interval_seconds(), problems);
        CheckSetOnce("first_time", first_time, request.first_time(), problems);
        CheckSetOnce("last_time", last_time, request.last_time(), problems);
        // In symbol order, as the map stores them.
        const std::map<std::string, std::string> given(
            request.symbol_hashes().begin(), request.symbol_hashes().end());
        for (const auto& [symbol, digest] : given) {
          const auto stored = hashes.find(symbol);
          CheckSetOnce(absl::StrCat("symbol_hashes[", symbol, "]"),
                       stored == hashes.end() ? std::string() : stored->second,
                       digest, problems);
        }
        if (!problems.empty()) {
          return WithContext(
              InvalidFields(kStage, "DATA_IDENTITY_DIFFERS", problems), kStage,
              {.run_id = run_id,
               .hint = "a run reads one data set: a different one is a new "
                       "run"});
        }

        const bool progress =
            request.steps_done() > 0 || !request.current_time().empty();
        absl::StatusOr<Statement> update = Prepare(kUpdateRun, what, run_id);
        if (!update.ok()) return update.status();
        SqlStatement& row = **update;
        row.BindText(1, run_id);
        row.BindText(2, data_hash.empty() ? request.data_hash() : data_hash);
        row.BindInt(3, interval_seconds == 0 ? request.interval_seconds()
                                             : interval_seconds);
        row.BindText(4, first_time.empty() ? request.first_time() : first_time);
        row.BindText(5, last_time.empty() ? request.last_time() : last_time);
        row.BindInt(6, request.steps_done());
        row.BindText(7, request.current_time());
        row.BindInt(9, progress ? 1 : 0);
        row.BindInt(8, request.state() == backtest::v1::RUNNING
                           ? backtest::v1::RUNNING
                           : locked.state);
        if (absl::Status status = row.Execute(); !status.ok()) {
          return Failure(status, what, run_id);
        }

        absl::StatusOr<Statement> insert =
            Prepare(kInsertSymbolHash, what, run_id);
        if (!insert.ok()) return insert.status();
        (*insert)->BindText(1, run_id);
        for (const auto& [symbol, digest] : given) {
          if (hashes.count(symbol) > 0 || digest.empty()) continue;
          (*insert)->BindText(2, symbol);
          (*insert)->BindText(3, digest);
          if (absl::Status status = (*insert)->Execute(); !status.ok()) {
            return Failure(status, what, run_id);
          }
          (*insert)->Reset();
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
  const absl::Status result = WriteToRun(
      run_id, what, /*renew=*/false, [&](const LockedRun&) -> absl::Status {
        absl::Status status =
            InsertTrades(run_id, request.open_trades(), /*open=*/true);
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
        if (!run->job.job_id().empty()) {
          status = StoreChildObjective(*run, *metrics, what);
          if (!status.ok()) return status;
        }
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
  run.lease_seconds = row.Int(18);
  run.lease_expires = row.Int(19);
  run.steps_done = row.Int(20);
  run.step_time = row.Text(21);
  const bool membership_ok =
      row.IsNull(22) || run.job.ParseFromString(row.Text(22));
  if (!row.IsNull(23)) run.objective = row.Real(23);
  summary.set_owner(row.Text(26));
  if (!error_ok || !metrics_ok || !metrics_spec_ok || !membership_ok) {
    const char* column = !error_ok          ? "error"
                         : !metrics_ok      ? "metrics"
                         : !metrics_spec_ok ? "metrics spec"
                                            : "job membership";
    return StageFailure(
        absl::StatusCode::kDataLoss, kStage, "DATABASE_CORRUPT",
        absl::StrCat("the stored ", column, " of run ", summary.run_id(),
                     " in ", path(), " cannot be decoded"),
        {.run_id = summary.run_id(), .hint = std::string(kChangedFileHint)});
  }
  return run;
}

absl::StatusOr<RunPage> RunStore::ListRuns(const RunFilter& filter) {
  constexpr absl::string_view kWhat = "list runs";
  const bool children = !filter.parent.empty();
  const int64_t now = Now();
  RunPage page;
  std::vector<Abandoned> abandoned;
  {
    absl::StatusOr<Statement> statement =
        Prepare(children ? kListChildRuns : kListRuns, kWhat, "");
    if (!statement.ok()) return statement.status();
    SqlStatement& rows = **statement;
    rows.BindText(1, filter.strategy);
    rows.BindInt(2, filter.state.has_value() ? *filter.state : -1);
    // One more than a page, to know whether another follows.
    rows.BindInt(3, int64_t{filter.limit} + 1);
    rows.BindText(4, filter.symbol);
    rows.BindText(5, filter.created_from);
    rows.BindText(6, filter.created_before);
    rows.BindInt(7, now);
    rows.BindText(11, filter.owner);
    const RunPosition after = filter.after.value_or(RunPosition());
    if (children) {
      rows.BindText(8, filter.parent);
      rows.BindInt(9, filter.after.has_value() ? after.child_index : -1);
      // Unused here; typed so that PostgreSQL accepts the gap before ?11.
      rows.BindInt(10, 0);
    } else {
      rows.BindInt(8, filter.after.has_value() ? 1 : 0);
      rows.BindText(9, after.created_at);
      rows.BindInt(10, after.rowid);
    }
    std::optional<RunPosition> last;
    absl::StatusOr<bool> row;
    while ((row = rows.Step()).ok() && *row) {
      if (static_cast<int64_t>(page.runs.size()) == filter.limit) {
        page.next = last;
        break;
      }
      absl::StatusOr<StoredRun> run = ReadRunRow(rows);
      if (!run.ok()) return run.status();
      NoteAbandoned(*run, now, &abandoned);
      last = RunPosition{.created_at = run->summary.created_at(),
                         .rowid = rows.Int(24),
                         .child_index = rows.Int(25)};
      page.runs.push_back(std::move(run->summary));
    }
    if (!row.ok()) return Failure(row.status(), kWhat, "");
  }
  StoreAbandoned(std::move(abandoned));
  return page;
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
  std::vector<Abandoned> abandoned;
  {
    absl::StatusOr<Statement> statement = Prepare(kSelectRun, what, run_id);
    if (!statement.ok()) return statement.status();
    (*statement)->BindText(1, run_id);
    absl::StatusOr<bool> row = (*statement)->Step();
    if (!row.ok()) return Failure(row.status(), what, run_id);
    if (!*row) return UnknownRun(run_id);
    run = ReadRunRow(**statement);
    if (!run.ok()) return run.status();
    NoteAbandoned(*run, Now(), &abandoned);
  }
  {
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
  }
  StoreAbandoned(std::move(abandoned));
  return run;
}

}  // namespace seed::results
