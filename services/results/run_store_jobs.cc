// RunStore: research jobs and their children (the jobs table, and the runs
// that are a job's children: begun in place of a failed one, their
// objective when they finish, listed by the light columns alone).
#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/stage_error.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/util/field_mask_util.h"
#include "research/objective.h"
#include "services/results/run_store.h"
#include "services/results/run_store_internal.h"

namespace seed::results {
namespace {

using ::backtest::v1::Job;
using ::backtest::v1::RunState;
using internal::kChangedFileHint;
using internal::kStage;

// Param names are identifiers from a strategy's schema: no commas.
constexpr char kParamSeparator[] = ",";

constexpr char kInsertJob[] =
    "INSERT INTO jobs (job_id, kind, name, created_at, canonical_spec, "
    "spec_hash, engine_version, children_expected, params, objective, goal, "
    "min_trades, parent_run, owner, result, result_at) VALUES (?1, ?2, ?3, "
    "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, NULL, '') "
    "ON CONFLICT (job_id) DO NOTHING";
// Column order is what ReadJobRow expects; then `result` (column 16): the
// result column, or NULL.
#define SEED_JOB_COLUMNS(result)                                             \
  "SELECT job_id, kind, name, created_at, canonical_spec, spec_hash, "       \
  "engine_version, children_expected, params, objective, goal, min_trades, " \
  "parent_run, owner, result_at, rowid, " result " FROM jobs "
// The result only when ?2 is 1.
constexpr char kSelectJob[] =
    SEED_JOB_COLUMNS("CASE WHEN ?2 = 1 THEN result END") "WHERE job_id = ?1";
// Newest first, without results; a page after (?2, ?3) is keyed on that
// order (as runs' are, run_store_runs.cc).
constexpr char kListJobs[] = SEED_JOB_COLUMNS("NULL")
    "WHERE ?1 = 0 OR (created_at <= ?2 AND (created_at < ?2 OR rowid < ?3)) "
    "ORDER BY created_at DESC, rowid DESC LIMIT ?4";
#undef SEED_JOB_COLUMNS
constexpr char kFindJobIds[] =
    "SELECT job_id FROM jobs WHERE substr(job_id, 1, length(?1)) = ?1 "
    "ORDER BY job_id LIMIT ?2";
constexpr char kStoreJobResult[] =
    "UPDATE jobs SET result = ?2, result_at = ?3 WHERE job_id = ?1";
constexpr char kJobOfChild[] =
    "SELECT children_expected, objective FROM jobs WHERE job_id = ?1";
// The child stored under a job and index, locked until the transaction
// ends so that two connections beginning it take turns.
constexpr char kLockChild[] =
    "SELECT run_id, state, lease_expires FROM runs "
    "WHERE job_id = ?1 AND child_index = ?2{FOR_UPDATE}";
// Everything a run recorded, then the run itself.
constexpr const char* kDeleteRun[] = {
    "DELETE FROM equity_chunks WHERE run_id = ?1",
    "DELETE FROM fills WHERE run_id = ?1",
    "DELETE FROM rejections WHERE run_id = ?1",
    "DELETE FROM trades WHERE run_id = ?1",
    "DELETE FROM traces WHERE run_id = ?1",
    "DELETE FROM symbol_hashes WHERE run_id = ?1",
    "DELETE FROM runs WHERE run_id = ?1",
};
constexpr char kSetObjective[] =
    "UPDATE runs SET objective = ?2, summary = ?3 WHERE run_id = ?1";
// The light columns of a job's children: never their records or metrics.
constexpr char kSelectChildren[] =
    "SELECT run_id, state, membership, finished_at, error, objective, "
    "summary, lease_expires, steps_done, step_time FROM runs "
    "WHERE job_id = ?1 ORDER BY child_index";
constexpr char kCountChildren[] =
    "SELECT " SEED_EFFECTIVE_STATE("?2") ", count(*), max(finished_at) "
    "FROM runs WHERE job_id = ?1 GROUP BY 1";

// The fields of Metrics a job lists of each child, besides its objective.
constexpr const char* kSummaryFields[] = {"trades", "total_return", "sharpe",
                                          "final_equity"};

absl::Status Corrupt(absl::string_view what, const std::string& id,
                     absl::string_view location) {
  return StageFailure(absl::StatusCode::kDataLoss, kStage, "DATABASE_CORRUPT",
                      absl::StrCat("the stored ", what, " of ", id, " in ",
                                   location, " cannot be decoded"),
                      {.hint = std::string(kChangedFileHint)});
}

}  // namespace

absl::Status RunStore::UnknownJob(const std::string& job_id) const {
  return StageFailure(
      absl::StatusCode::kNotFound, kStage, "UNKNOWN_JOB",
      absl::StrCat("no research job ", job_id, " in ", path()),
      {.hint = "check the job id, and that this is the database the job was "
               "stored in (--db=PATH or BT_RESULTS_DB); a job's children are "
               "stored after CreateJob"});
}

absl::StatusOr<StoredJob> RunStore::ReadJobRow(SqlStatement& row,
                                               bool with_result) const {
  StoredJob stored;
  Job& job = stored.job;
  job.set_job_id(row.Text(0));
  job.set_kind(static_cast<backtest::v1::JobKind>(row.Int(1)));
  job.set_name(row.Text(2));
  job.set_created_at(row.Text(3));
  job.set_canonical_spec(row.Text(4));
  job.set_spec_hash(row.Text(5));
  job.set_engine_version(row.Text(6));
  job.set_children_expected(row.Int(7));
  for (absl::string_view param :
       absl::StrSplit(row.Bytes(8), kParamSeparator, absl::SkipEmpty())) {
    job.add_params(std::string(param));
  }
  job.set_objective(row.Text(9));
  job.set_goal(row.Text(10));
  job.set_min_trades(row.Int(11));
  job.set_parent_run(row.Text(12));
  job.set_owner(row.Text(13));
  stored.result_at = row.Text(14);
  stored.has_result = !stored.result_at.empty();
  stored.rowid = row.Int(15);
  if (with_result && !row.IsNull(16) &&
      !job.mutable_result()->ParseFromString(row.Text(16))) {
    return Corrupt("result", absl::StrCat("job ", job.job_id()), path());
  }
  return stored;
}

absl::StatusOr<StoredJob> RunStore::CreateJob(const Job& job) {
  const std::string what = absl::StrCat("store research job ", job.job_id());
  absl::StatusOr<StoredJob> stored;
  const absl::Status status = InTransaction(what, "", [&]() -> absl::Status {
    absl::StatusOr<Statement> insert = Prepare(kInsertJob, what, "");
    if (!insert.ok()) return insert.status();
    SqlStatement& row = **insert;
    row.BindText(1, job.job_id());
    row.BindInt(2, job.kind());
    row.BindText(3, job.name());
    row.BindText(4, job.created_at());
    row.BindText(5, job.canonical_spec());
    row.BindText(6, job.spec_hash());
    row.BindText(7, job.engine_version());
    row.BindInt(8, job.children_expected());
    row.BindText(9, absl::StrJoin(job.params(), kParamSeparator));
    row.BindText(10, job.objective());
    row.BindText(11, job.goal());
    row.BindInt(12, job.min_trades());
    row.BindText(13, job.parent_run());
    row.BindText(14, job.owner());
    if (absl::Status inserted = row.Execute(); !inserted.ok()) {
      return Failure(inserted, what, "");
    }
    stored = ReadJob(job.job_id(), /*with_result=*/false);
    if (!stored.ok()) return stored.status();
    if (stored->job.spec_hash() != job.spec_hash()) {
      return StageFailure(
          absl::StatusCode::kAlreadyExists, kStage, "JOB_SPEC_DIFFERS",
          absl::StrCat("research job ", job.job_id(),
                       " is already stored "
                       "in ",
                       path(), " with spec hash ", stored->job.spec_hash(),
                       ", not ", job.spec_hash(), "; nothing was changed"),
          {.hint = "a job id names one spec: give the changed spec a job "
                   "of its own"});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return stored;
}

absl::StatusOr<StoredJob> RunStore::ReadJob(const std::string& job_id,
                                            bool with_result) {
  const std::string what = absl::StrCat("read research job ", job_id);
  absl::StatusOr<Statement> statement = Prepare(kSelectJob, what, "");
  if (!statement.ok()) return statement.status();
  (*statement)->BindText(1, job_id);
  (*statement)->BindInt(2, with_result ? 1 : 0);
  absl::StatusOr<bool> row = (*statement)->Step();
  if (!row.ok()) return Failure(row.status(), what, "");
  if (!*row) return UnknownJob(job_id);
  return ReadJobRow(**statement, with_result);
}

absl::StatusOr<std::vector<std::string>> RunStore::FindJobIds(
    absl::string_view prefix, int limit) {
  const std::string what =
      absl::StrCat("look up research jobs starting with ", prefix);
  absl::StatusOr<Statement> statement = Prepare(kFindJobIds, what, "");
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

absl::StatusOr<JobPage> RunStore::ListJobs(
    const std::optional<JobPosition>& after, int limit) {
  constexpr absl::string_view kWhat = "list research jobs";
  absl::StatusOr<Statement> statement = Prepare(kListJobs, kWhat, "");
  if (!statement.ok()) return statement.status();
  SqlStatement& rows = **statement;
  rows.BindInt(1, after.has_value() ? 1 : 0);
  rows.BindText(2, after.has_value() ? after->created_at : "");
  rows.BindInt(3, after.has_value() ? after->rowid : 0);
  rows.BindInt(4, int64_t{limit} + 1);  // one more: is there another page?
  JobPage page;
  absl::StatusOr<bool> row;
  while ((row = rows.Step()).ok() && *row) {
    if (static_cast<int64_t>(page.jobs.size()) == limit) {
      const StoredJob& last = page.jobs.back();
      page.next =
          JobPosition{.created_at = last.job.created_at(), .rowid = last.rowid};
      break;
    }
    absl::StatusOr<StoredJob> job = ReadJobRow(rows, /*with_result=*/false);
    if (!job.ok()) return job.status();
    page.jobs.push_back(*std::move(job));
  }
  if (!row.ok()) return Failure(row.status(), kWhat, "");
  return page;
}

absl::Status RunStore::StoreJobResult(const std::string& job_id,
                                      const backtest::v1::JobResult& result) {
  const std::string what =
      absl::StrCat("store the result of research job ", job_id);
  return InTransaction(what, "", [&]() -> absl::Status {
    absl::StatusOr<Statement> update = Prepare(kStoreJobResult, what, "");
    if (!update.ok()) return update.status();
    (*update)->BindText(1, job_id);
    (*update)->BindBlob(2, result.SerializeAsString());
    (*update)->BindText(3, IsoUtc(clock_()));
    if (absl::Status status = (*update)->Execute(); !status.ok()) {
      return Failure(status, what, "");
    }
    return (*update)->RowsChanged() == 0 ? UnknownJob(job_id)
                                         : absl::OkStatus();
  });
}

absl::Status RunStore::MakeRoomForChild(
    const backtest::v1::BeginRunRequest& request, const std::string& what) {
  const backtest::v1::JobMembership& job = request.job();
  const std::string& run_id = request.run().run_id();
  {
    absl::StatusOr<Statement> select = Prepare(kJobOfChild, what, run_id);
    if (!select.ok()) return select.status();
    (*select)->BindText(1, job.job_id());
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return Failure(row.status(), what, run_id);
    if (!*row)
      return WithContext(UnknownJob(job.job_id()), kStage, {.run_id = run_id});
    const int64_t expected = (*select)->Int(0);
    if (expected > 0 && job.index() >= expected) {
      return WithContext(
          InvalidFields(
              kStage, "INVALID_BEGIN_RUN",
              {{"job.index",
                absl::StrCat("must be below the ", expected, " children job ",
                             job.job_id(), " expects, got ", job.index())}}),
          kStage, {.run_id = run_id});
    }
  }
  std::string stored_id;
  RunState state = backtest::v1::RUN_STATE_UNSPECIFIED;
  int64_t lease_expires = 0;
  {
    absl::StatusOr<Statement> lock = Prepare(kLockChild, what, run_id);
    if (!lock.ok()) return lock.status();
    (*lock)->BindText(1, job.job_id());
    (*lock)->BindInt(2, job.index());
    absl::StatusOr<bool> row = (*lock)->Step();
    if (!row.ok()) return Failure(row.status(), what, run_id);
    if (!*row) return absl::OkStatus();  // the child's first run
    stored_id = (*lock)->Text(0);
    state = static_cast<RunState>((*lock)->Int(1));
    lease_expires = (*lock)->Int(2);
  }
  const std::string child =
      absl::StrCat("child ", job.index(), " of research job ", job.job_id());
  if (state == backtest::v1::SUCCEEDED) {
    return StageFailure(
        absl::StatusCode::kAlreadyExists, kStage, "CHILD_ALREADY_SUCCEEDED",
        absl::StrCat(child, " already succeeded as run ", stored_id, " in ",
                     path(), "; nothing was changed"),
        {.run_id = stored_id,
         .hint = "a child that succeeded is not run again: use its stored "
                 "results"});
  }
  const bool live =
      (state == backtest::v1::QUEUED || state == backtest::v1::RUNNING) &&
      !internal::LeaseRanOut(state, lease_expires, Now());
  if (live) {
    return StageFailure(
        absl::StatusCode::kAlreadyExists, kStage, "CHILD_RUNNING",
        absl::StrCat(child, " is being run as run ", stored_id, " in ", path(),
                     " (", RunState_Name(state), ", its lease runs to ",
                     IsoUtc(absl::FromUnixSeconds(lease_expires)),
                     "); nothing was changed"),
        {.run_id = stored_id,
         .hint = "another coordinator runs it; if that one went away, the "
                 "child can be begun again once its lease runs out"});
  }
  return DeleteRun(stored_id, what);
}

absl::Status RunStore::DeleteRun(const std::string& run_id,
                                 const std::string& what) {
  for (const char* sql : kDeleteRun) {
    absl::StatusOr<Statement> remove = Prepare(sql, what, run_id);
    if (!remove.ok()) return remove.status();
    (*remove)->BindText(1, run_id);
    if (absl::Status status = (*remove)->Execute(); !status.ok()) {
      return Failure(status, what, run_id);
    }
  }
  return absl::OkStatus();
}

absl::Status RunStore::StoreChildObjective(const StoredRun& run,
                                           const backtest::v1::Metrics& metrics,
                                           const std::string& what) {
  const std::string& run_id = run.summary.run_id();
  std::string objective;
  {
    absl::StatusOr<Statement> select = Prepare(kJobOfChild, what, run_id);
    if (!select.ok()) return select.status();
    (*select)->BindText(1, run.job.job_id());
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return Failure(row.status(), what, run_id);
    if (*row) objective = (*select)->Text(1);
  }
  // CreateJob checked the name; a job without one ranks nothing.
  std::optional<double> value;
  google::protobuf::FieldMask fields;
  for (const char* field : kSummaryFields) fields.add_paths(field);
  if (!objective.empty()) {
    value = research::ReadMetric(metrics, objective).value_or(std::nullopt);
    fields.add_paths(objective);
  }
  backtest::v1::Metrics summary = metrics;
  google::protobuf::util::FieldMaskUtil::TrimMessage(fields, &summary);

  absl::StatusOr<Statement> update = Prepare(kSetObjective, what, run_id);
  if (!update.ok()) return update.status();
  (*update)->BindText(1, run_id);
  if (value.has_value()) {
    (*update)->BindReal(2, *value);
  } else {
    (*update)->BindNull(2);
  }
  (*update)->BindBlob(3, summary.SerializeAsString());
  absl::Status status = (*update)->Execute();
  return status.ok() ? status : Failure(status, what, run_id);
}

absl::StatusOr<std::vector<StoredChild>> RunStore::ReadChildren(
    const std::string& job_id) {
  const std::string what =
      absl::StrCat("read the children of research job ", job_id);
  const int64_t now = Now();
  std::vector<StoredChild> children;
  std::vector<Abandoned> abandoned;
  {
    absl::StatusOr<Statement> statement = Prepare(kSelectChildren, what, "");
    if (!statement.ok()) return statement.status();
    SqlStatement& rows = **statement;
    rows.BindText(1, job_id);
    absl::StatusOr<bool> row;
    while ((row = rows.Step()).ok() && *row) {
      StoredChild& child = children.emplace_back();
      child.run_id = rows.Text(0);
      child.state = static_cast<RunState>(rows.Int(1));
      child.finished_at = rows.Text(3);
      bool ok = child.membership.ParseFromString(rows.Text(2));
      if (!rows.IsNull(4)) {
        ok = ok && child.error.emplace().ParseFromString(rows.Text(4));
      }
      if (!rows.IsNull(5)) child.objective = rows.Real(5);
      if (!rows.IsNull(6)) {
        ok = ok && child.summary.emplace().ParseFromString(rows.Text(6));
      }
      if (!ok) {
        return Corrupt("job membership, error or summary",
                       absl::StrCat("run ", child.run_id), path());
      }
      const int64_t lease_expires = rows.Int(7);
      if (internal::LeaseRanOut(child.state, lease_expires, now)) {
        child.state = backtest::v1::ABANDONED;
        child.finished_at = IsoUtc(absl::FromUnixSeconds(lease_expires));
        child.error =
            internal::AbandonedError(lease_expires, rows.Int(8), rows.Text(9));
        abandoned.push_back({.run_id = child.run_id,
                             .finished_at = child.finished_at,
                             .error = *child.error});
      }
    }
    if (!row.ok()) return Failure(row.status(), what, "");
  }
  StoreAbandoned(std::move(abandoned));
  return children;
}

absl::StatusOr<ChildCounts> RunStore::CountChildren(const std::string& job_id) {
  const std::string what =
      absl::StrCat("count the children of research job ", job_id);
  absl::StatusOr<Statement> statement = Prepare(kCountChildren, what, "");
  if (!statement.ok()) return statement.status();
  SqlStatement& rows = **statement;
  rows.BindText(1, job_id);
  rows.BindInt(2, Now());
  ChildCounts counts;
  absl::StatusOr<bool> row;
  while ((row = rows.Step()).ok() && *row) {
    counts.by_state[static_cast<RunState>(rows.Int(0))] += rows.Int(1);
    counts.newest_finished_at =
        std::max(counts.newest_finished_at, rows.Text(2));
  }
  if (!row.ok()) return Failure(row.status(), what, "");
  return counts;
}

}  // namespace seed::results
