#include "services/results/results_engine.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/run_state.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "services/results/metrics.h"
#include "services/results/spec_strategies.h"

namespace seed::results {
namespace {

using ::backtest::v1::RunState;

constexpr absl::string_view kStage = "results";

// The single path from stored records (and the benchmark's bars, which are
// not stored) to metrics. The run's strategies come from its stored spec,
// which BeginRun checked; one that cannot be read now was changed since.
absl::StatusOr<backtest::v1::Metrics> MetricsOfStoredRun(
    const StoredRun& run, const RunRecords& records,
    const backtest::v1::BarSeries& bars) {
  absl::StatusOr<std::vector<backtest::v1::StrategySpec>> strategies =
      SpecStrategies(run.canonical_spec);
  if (!strategies.ok()) {
    return StageFailure(
        absl::StatusCode::kDataLoss, kStage, "DATABASE_CORRUPT",
        absl::StrCat("cannot compute the metrics of run ", run.summary.run_id(),
                     ": its stored spec ", strategies.status().message()),
        {.run_id = run.summary.run_id(),
         .hint = "the file was changed by something else; restore it from a "
                 "copy or run the backtest again"});
  }
  return ComputeMetrics({.equity = records.equity,
                         .closed_trades = records.closed_trades,
                         .open_trades = records.open_trades,
                         .fills = records.fills,
                         .initial_cash = run.initial_cash,
                         .interval_seconds = run.interval_seconds,
                         .spec = run.metrics_spec,
                         .benchmark_time = bars.time(),
                         .benchmark_close = bars.close(),
                         .strategies = *strategies});
}

// Appends what breaks ComputeMetrics' contract for the benchmark's bars: one
// problem per kind, naming the first offending bar and how many there are.
void CheckBenchmark(const backtest::v1::BarSeries& bars,
                    std::vector<FieldProblem>& problems) {
  const std::string of =
      bars.symbol().empty() ? "" : absl::StrCat(" (", bars.symbol(), ")");
  if (bars.close_size() != bars.time_size()) {
    problems.push_back({"benchmark.close",
                        absl::StrCat("needs one close per time", of, ": got ",
                                     bars.time_size(), " times and ",
                                     bars.close_size(), " closes")});
  }
  int unordered = 0;
  int first_unordered = 0;
  for (int i = 1; i < bars.time_size(); ++i) {
    if (bars.time(i) > bars.time(i - 1)) continue;
    if (unordered++ == 0) first_unordered = i;
  }
  if (unordered > 0) {
    problems.push_back(
        {"benchmark.time",
         absl::StrCat("must be strictly increasing", of, ": time[",
                      first_unordered,
                      "] = ", FormatTime(bars.time(first_unordered)),
                      " is not after time[", first_unordered - 1,
                      "] = ", FormatTime(bars.time(first_unordered - 1)), "; ",
                      unordered, " such time", unordered == 1 ? "" : "s")});
  }
  int bad_closes = 0;
  int first_bad_close = 0;
  for (int i = 0; i < bars.close_size(); ++i) {
    if (std::isfinite(bars.close(i)) && bars.close(i) > 0) continue;
    if (bad_closes++ == 0) first_bad_close = i;
  }
  if (bad_closes > 0) {
    const std::string at =
        first_bad_close < bars.time_size()
            ? absl::StrCat(" at ", FormatTime(bars.time(first_bad_close)))
            : "";
    problems.push_back(
        {"benchmark.close",
         absl::StrCat("must be finite and positive", of, ": close[",
                      first_bad_close, "] = ", bars.close(first_bad_close), at,
                      "; ", bad_closes, " such close",
                      bad_closes == 1 ? "" : "s")});
  }
}

// The one of `ids` (ids that start with `prefix`, in id order, at most
// kMaxListedMatches + 1, not empty) that `prefix` names: an exact id wins,
// else it must be the only one.
absl::StatusOr<std::string> PickId(const std::string& prefix,
                                   std::vector<std::string> ids,
                                   absl::string_view things,
                                   absl::string_view reason,
                                   absl::string_view location,
                                   absl::string_view id) {
  // An exact id sorts first among the ids it prefixes.
  if (ids.size() == 1 || ids.front() == prefix) return ids.front();
  const bool more = ids.size() > ResultsEngine::kMaxListedMatches;
  if (more) ids.pop_back();
  return StageFailure(
      absl::StatusCode::kInvalidArgument, kStage, reason,
      absl::StrCat(id, " prefix '", prefix, "' matches ",
                   more ? "more than " : "", ids.size(), " ", things, " in ",
                   location, ": ", absl::StrJoin(ids, ", "),
                   more ? ", ..." : ""),
      {.hint = absl::StrCat("give more characters of the ", id)});
}

}  // namespace

absl::StatusOr<std::unique_ptr<ResultsEngine>> ResultsEngine::Open(
    const std::string& database_path, OpenMode mode, Clock clock) {
  absl::StatusOr<std::unique_ptr<RunStore>> store =
      RunStore::Open(database_path, mode, clock);
  if (!store.ok()) return store.status();
  return std::unique_ptr<ResultsEngine>(
      new ResultsEngine(*std::move(store), std::move(clock)));
}

SqlStats ResultsEngine::database_stats() {
  absl::MutexLock lock(&mu_);
  return store_->stats();
}

absl::Status ResultsEngine::BeginRun(
    const backtest::v1::BeginRunRequest& request,
    backtest::v1::BeginRunResponse* response) {
  std::vector<FieldProblem> problems;
  if (request.run().run_id().empty()) {
    problems.push_back({"run.run_id", "required"});
  }
  if (IsFinalRunState(request.run().state())) {
    problems.push_back(
        {"run.state", absl::StrCat("a run begins QUEUED or RUNNING, got ",
                                   RunState_Name(request.run().state()))});
  }
  if (!std::isfinite(request.initial_cash()) || request.initial_cash() <= 0) {
    problems.push_back({"initial_cash", absl::StrCat("must be positive, got ",
                                                     request.initial_cash())});
  }
  if (request.interval_seconds() < 0) {
    problems.push_back(
        {"interval_seconds", absl::StrCat("must be >= 0 (0 = unknown), got ",
                                          request.interval_seconds())});
  }
  const backtest::v1::MetricsSpec& metrics = request.metrics();
  if (!std::isfinite(metrics.risk_free_rate()) ||
      metrics.risk_free_rate() <= -1) {
    problems.push_back(
        {"metrics.risk_free_rate",
         absl::StrCat("must be an annual rate above -1, e.g. 0.02; got ",
                      metrics.risk_free_rate())});
  }
  if (metrics.bootstrap_resamples() < 0 ||
      metrics.bootstrap_resamples() > kMaxBootstrapResamples) {
    problems.push_back({"metrics.bootstrap_resamples",
                        absl::StrCat("must be in [0, ", kMaxBootstrapResamples,
                                     "] (0: no confidence intervals); got ",
                                     metrics.bootstrap_resamples())});
  }
  // Metrics and exports read the run's strategies from it.
  if (absl::Status spec = SpecStrategies(request.canonical_spec()).status();
      !spec.ok()) {
    problems.push_back({"canonical_spec", std::string(spec.message())});
  }
  if (request.lease_seconds() < 0 ||
      request.lease_seconds() > kMaxLeaseSeconds) {
    problems.push_back(
        {"lease_seconds", absl::StrCat("must be in [0, ", kMaxLeaseSeconds,
                                       "] (0: ", RunStore::kDefaultLeaseSeconds,
                                       "); got ", request.lease_seconds())});
  }
  if (request.has_job()) {
    const backtest::v1::JobMembership& job = request.job();
    if (job.job_id().empty()) problems.push_back({"job.job_id", "required"});
    if (job.index() < 0) {
      problems.push_back(
          {"job.index", absl::StrCat("must be >= 0, got ", job.index())});
    }
    if (job.window() < 0) {
      problems.push_back(
          {"job.window", absl::StrCat("must be >= 0, got ", job.window())});
    }
  }
  if (!problems.empty()) {
    return InvalidFields(kStage, "INVALID_BEGIN_RUN", problems);
  }

  backtest::v1::BeginRunRequest stored = request;
  backtest::v1::RunSummary& run = *stored.mutable_run();
  if (run.state() == backtest::v1::RUN_STATE_UNSPECIFIED) {
    run.set_state(backtest::v1::RUNNING);
  }
  if (run.created_at().empty()) run.set_created_at(IsoUtc(clock_()));
  run.clear_finished_at();
  absl::MutexLock lock(&mu_);
  absl::Status status = store_->BeginRun(stored);
  if (!status.ok()) return status;
  response->set_location(database_path_);
  return absl::OkStatus();
}

absl::Status ResultsEngine::AppendRecords(
    const backtest::v1::AppendRecordsRequest& request,
    backtest::v1::AppendRecordsResponse* /*response*/) {
  if (request.run_id().empty()) {
    return InvalidFields(kStage, "INVALID_APPEND_RECORDS",
                         {{"run_id", "required"}});
  }
  absl::MutexLock lock(&mu_);
  return store_->AppendRecords(request);
}

absl::Status ResultsEngine::UpdateRun(
    const backtest::v1::UpdateRunRequest& request,
    backtest::v1::UpdateRunResponse* /*response*/) {
  std::vector<FieldProblem> problems;
  if (request.run_id().empty()) problems.push_back({"run_id", "required"});
  if (request.interval_seconds() < 0) {
    problems.push_back(
        {"interval_seconds", absl::StrCat("must be >= 0 (0 = not given), got ",
                                          request.interval_seconds())});
  }
  if (request.steps_done() < 0) {
    problems.push_back({"steps_done", absl::StrCat("must be >= 0, got ",
                                                   request.steps_done())});
  }
  if (request.state() != backtest::v1::RUN_STATE_UNSPECIFIED &&
      request.state() != backtest::v1::RUNNING) {
    problems.push_back(
        {"state", absl::StrCat("may only be RUNNING (a QUEUED run starts) or "
                               "unset; a run ends with FinishRun; got ",
                               RunState_Name(request.state()))});
  }
  if (!problems.empty()) {
    return InvalidFields(kStage, "INVALID_UPDATE_RUN", problems);
  }
  absl::MutexLock lock(&mu_);
  return store_->UpdateRun(request);
}

absl::Status ResultsEngine::FinishRun(
    const backtest::v1::FinishRunRequest& request,
    backtest::v1::FinishRunResponse* response) {
  std::vector<FieldProblem> problems;
  if (request.run_id().empty()) problems.push_back({"run_id", "required"});
  if (!IsFinalRunState(request.state())) {
    problems.push_back(
        {"state", absl::StrCat("must be SUCCEEDED, FAILED, CANCELLED or "
                               "ABANDONED, got ",
                               RunState_Name(request.state()))});
  }
  CheckBenchmark(request.benchmark(), problems);
  if (!problems.empty()) {
    return InvalidFields(kStage, "INVALID_FINISH_RUN", problems);
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<backtest::v1::RunSummary> run = store_->FinishRun(
      request, IsoUtc(clock_()),
      [&request](const StoredRun& stored, const RunRecords& records) {
        return MetricsOfStoredRun(stored, records, request.benchmark());
      });
  if (!run.ok()) return run.status();
  *response->mutable_run() = std::move(*run);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResultsEngine::ResolveRunId(
    const std::string& prefix) {
  // One more than we list, to know whether there are more.
  absl::StatusOr<std::vector<std::string>> ids =
      store_->FindRunIds(prefix, kMaxListedMatches + 1);
  if (!ids.ok()) return ids.status();
  if (ids->empty()) return store_->UnknownRun(prefix);
  return PickId(prefix, *std::move(ids), "runs", "AMBIGUOUS_RUN_ID",
                database_path_, "run id");
}

absl::StatusOr<std::string> ResultsEngine::ResolveJobId(
    const std::string& prefix) {
  absl::StatusOr<std::vector<std::string>> ids =
      store_->FindJobIds(prefix, kMaxListedMatches + 1);
  if (!ids.ok()) return ids.status();
  if (ids->empty()) return store_->UnknownJob(prefix);
  return PickId(prefix, *std::move(ids), "research jobs", "AMBIGUOUS_JOB_ID",
                database_path_, "job id");
}

absl::Status ResultsEngine::StoreTrace(
    const backtest::v1::StoreTraceRequest& request,
    backtest::v1::StoreTraceResponse* /*response*/) {
  if (request.run_id().empty()) {
    return InvalidFields(kStage, "INVALID_STORE_TRACE",
                         {{"run_id", "required"}});
  }
  absl::MutexLock lock(&mu_);
  return store_->StoreTrace(request.run_id(), request.trace());
}

absl::Status ResultsEngine::GetTrace(
    const backtest::v1::GetTraceRequest& request,
    backtest::v1::GetTraceResponse* response) {
  if (request.run_id().empty()) {
    return InvalidFields(kStage, "INVALID_GET_TRACE", {{"run_id", "required"}});
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::string> run_id = ResolveRunId(request.run_id());
  if (!run_id.ok()) return run_id.status();
  absl::StatusOr<backtest::v1::Trace> trace = store_->ReadTrace(*run_id);
  if (!trace.ok()) return trace.status();
  response->set_run_id(*run_id);
  *response->mutable_trace() = *std::move(trace);
  return absl::OkStatus();
}

}  // namespace seed::results
