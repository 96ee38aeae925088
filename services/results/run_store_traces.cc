// RunStore: each run's trace (its spans), stored when the run ends.
#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "services/results/run_store.h"
#include "services/results/run_store_internal.h"

namespace seed::results {
namespace {

using internal::kChangedFileHint;
using internal::kStage;

constexpr char kRunExists[] = "SELECT count(*) FROM runs WHERE run_id = ?1";
constexpr char kStoreTrace[] =
    "INSERT INTO traces (run_id, spans) VALUES (?1, ?2) "
    "ON CONFLICT (run_id) DO UPDATE SET spans = excluded.spans";
constexpr char kSelectTrace[] = "SELECT spans FROM traces WHERE run_id = ?1";

}  // namespace

absl::Status RunStore::StoreTrace(const std::string& run_id,
                                  const backtest::v1::Trace& trace) {
  const std::string what = absl::StrCat("store the trace of run ", run_id);
  return InTransaction(what, run_id, [&]() -> absl::Status {
    absl::StatusOr<int64_t> known = QueryInt(kRunExists, what, run_id);
    if (!known.ok()) return known.status();
    if (*known == 0) return UnknownRun(run_id);
    absl::StatusOr<Statement> store = Prepare(kStoreTrace, what, run_id);
    if (!store.ok()) return store.status();
    (*store)->BindText(1, run_id);
    (*store)->BindBlob(2, trace.SerializeAsString());
    absl::Status status = (*store)->Execute();
    return status.ok() ? status : Failure(status, what, run_id);
  });
}

absl::StatusOr<backtest::v1::Trace> RunStore::ReadTrace(
    const std::string& run_id) {
  const std::string what = absl::StrCat("read the trace of run ", run_id);
  absl::StatusOr<Statement> select = Prepare(kSelectTrace, what, run_id);
  if (!select.ok()) return select.status();
  (*select)->BindText(1, run_id);
  absl::StatusOr<bool> row = (*select)->Step();
  if (!row.ok()) return Failure(row.status(), what, run_id);
  if (!*row) {
    return StageFailure(
        absl::StatusCode::kNotFound, kStage, "NO_TRACE",
        absl::StrCat("run ", run_id, " in ", path(), " has no stored trace"),
        {.run_id = run_id,
         .hint = "runs stored before traces were kept, and runs whose "
                 "coordinator stopped before they ended, have none; a trace "
                 "the database could not take when its run ended is stored "
                 "when the coordinator's next run ends"});
  }
  backtest::v1::Trace trace;
  const absl::string_view spans = (*select)->Bytes(0);
  if (!trace.ParseFromArray(spans.data(), static_cast<int>(spans.size()))) {
    return StageFailure(
        absl::StatusCode::kDataLoss, kStage, "DATABASE_CORRUPT",
        absl::StrCat("the stored trace of run ", run_id, " in ", path(),
                     " cannot be decoded"),
        {.run_id = run_id, .hint = std::string(kChangedFileHint)});
  }
  return trace;
}

}  // namespace seed::results
