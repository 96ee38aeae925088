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
#include "common/stage_error.h"
#include "common/time.h"
#include "services/results/metrics.h"
#include "services/results/spec_strategies.h"

namespace seed::results {
namespace {

using ::backtest::v1::RunState;

constexpr absl::string_view kStage = "results";

bool IsTerminal(RunState state) {
  return state == backtest::v1::SUCCEEDED || state == backtest::v1::FAILED ||
         state == backtest::v1::CANCELLED;
}

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

// The RunFilter bound for a ListRunsRequest since/until value: the instant
// it names, or for an until (`end`) the first instant after it, since
// created_at has whole seconds and a date alone means the whole day.
absl::StatusOr<std::string> CreatedAtBound(absl::string_view text, bool end) {
  // created_at values end in Z (UTC); accept them as `bt runs` prints them.
  absl::string_view local = absl::StripSuffix(text, "Z");
  absl::StatusOr<int64_t> time = ParseTime(local);
  if (!time.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "must be an ISO date or date-time in UTC, e.g. 2024-03-01 or "
        "2024-03-01T09:30:00; got '",
        text, "'"));
  }
  constexpr size_t kDateLength = 10;  // YYYY-MM-DD
  if (end) *time += local.size() == kDateLength ? kSecondsPerDay : 1;
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(*time),
                          absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<std::unique_ptr<ResultsEngine>> ResultsEngine::Open(
    const std::string& database_path, OpenMode mode) {
  absl::StatusOr<std::unique_ptr<RunStore>> store =
      RunStore::Open(database_path, mode);
  if (!store.ok()) return store.status();
  return std::unique_ptr<ResultsEngine>(new ResultsEngine(std::move(*store)));
}

absl::Status ResultsEngine::BeginRun(
    const backtest::v1::BeginRunRequest& request,
    backtest::v1::BeginRunResponse* response) {
  std::vector<FieldProblem> problems;
  if (request.run().run_id().empty()) {
    problems.push_back({"run.run_id", "required"});
  }
  if (IsTerminal(request.run().state())) {
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
  if (!problems.empty()) {
    return InvalidFields(kStage, "INVALID_BEGIN_RUN", problems);
  }

  backtest::v1::BeginRunRequest stored = request;
  backtest::v1::RunSummary& run = *stored.mutable_run();
  if (run.state() == backtest::v1::RUN_STATE_UNSPECIFIED) {
    run.set_state(backtest::v1::RUNNING);
  }
  if (run.created_at().empty()) run.set_created_at(NowUtcIso8601());
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

absl::Status ResultsEngine::FinishRun(
    const backtest::v1::FinishRunRequest& request,
    backtest::v1::FinishRunResponse* response) {
  std::vector<FieldProblem> problems;
  if (request.run_id().empty()) problems.push_back({"run_id", "required"});
  if (!IsTerminal(request.state())) {
    problems.push_back(
        {"state", absl::StrCat("must be SUCCEEDED, FAILED or CANCELLED, got ",
                               RunState_Name(request.state()))});
  }
  CheckBenchmark(request.benchmark(), problems);
  if (!problems.empty()) {
    return InvalidFields(kStage, "INVALID_FINISH_RUN", problems);
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<backtest::v1::RunSummary> run = store_->FinishRun(
      request, NowUtcIso8601(),
      [&request](const StoredRun& stored, const RunRecords& records) {
        return MetricsOfStoredRun(stored, records, request.benchmark());
      });
  if (!run.ok()) return run.status();
  *response->mutable_run() = std::move(*run);
  return absl::OkStatus();
}

absl::Status ResultsEngine::ListRuns(
    const backtest::v1::ListRunsRequest& request,
    backtest::v1::ListRunsResponse* response) {
  RunFilter filter{
      .strategy = request.strategy(),
      .symbol = request.symbol(),
      .owner = request.owner(),
      .limit = request.limit() == 0 ? kDefaultListLimit : request.limit()};
  std::vector<FieldProblem> problems;
  if (request.limit() < 0) {
    problems.push_back(
        {"limit", absl::StrCat("must be >= 0 (0 = ", kDefaultListLimit,
                               "), got ", request.limit())});
  }
  if (!request.state().empty()) {
    RunState state;
    if (RunState_Parse(absl::AsciiStrToUpper(request.state()), &state) &&
        state != backtest::v1::RUN_STATE_UNSPECIFIED) {
      filter.state = state;
    } else {
      problems.push_back(
          {"state", absl::StrCat("unknown run state '", request.state(),
                                 "'; use QUEUED, RUNNING, SUCCEEDED, FAILED "
                                 "or CANCELLED")});
    }
  }
  const auto read_bound = [&problems](const char* field,
                                      const std::string& text, bool end,
                                      std::string* bound) {
    if (text.empty()) return;
    absl::StatusOr<std::string> parsed = CreatedAtBound(text, end);
    if (parsed.ok()) {
      *bound = *std::move(parsed);
    } else {
      problems.push_back({field, std::string(parsed.status().message())});
    }
  };
  // The store matches a symbol between the commas it stores symbols with.
  if (absl::StrContains(request.symbol(), ',')) {
    problems.push_back(
        {"symbol", absl::StrCat("one ticker, without commas; got '",
                                request.symbol(), "'")});
  }
  read_bound("since", request.since(), /*end=*/false, &filter.created_from);
  read_bound("until", request.until(), /*end=*/true, &filter.created_before);
  if (!problems.empty()) {
    return InvalidFields(kStage, "INVALID_LIST_RUNS", problems);
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::vector<backtest::v1::RunSummary>> runs =
      store_->ListRuns(filter);
  if (!runs.ok()) return runs.status();
  for (backtest::v1::RunSummary& run : *runs) {
    *response->add_runs() = std::move(run);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResultsEngine::ResolveRunId(
    const std::string& prefix) {
  // One more than we list, to know whether there are more.
  absl::StatusOr<std::vector<std::string>> ids =
      store_->FindRunIds(prefix, kMaxListedMatches + 1);
  if (!ids.ok()) return ids.status();
  // An exact id sorts first among the ids it prefixes.
  if (ids->empty()) return store_->UnknownRun(prefix);
  if (ids->size() == 1 || ids->front() == prefix) return ids->front();
  const bool more = ids->size() > kMaxListedMatches;
  if (more) ids->pop_back();
  return StageFailure(
      absl::StatusCode::kInvalidArgument, kStage, "AMBIGUOUS_RUN_ID",
      absl::StrCat("run id prefix '", prefix, "' matches ",
                   more ? "more than " : "", ids->size(), " runs in ",
                   database_path_, ": ", absl::StrJoin(*ids, ", "),
                   more ? ", ..." : ""),
      {.hint = "give more characters of the run id"});
}

absl::Status ResultsEngine::GetRun(const backtest::v1::GetRunRequest& request,
                                   backtest::v1::GetRunResponse* response) {
  if (request.run_id().empty()) {
    return InvalidFields(kStage, "INVALID_GET_RUN", {{"run_id", "required"}});
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::string> run_id = ResolveRunId(request.run_id());
  if (!run_id.ok()) return run_id.status();
  absl::StatusOr<StoredRun> run = store_->ReadRun(*run_id);
  if (!run.ok()) return run.status();
  *response->mutable_run() = std::move(run->summary);
  response->set_canonical_spec(std::move(run->canonical_spec));
  response->mutable_symbol_hashes()->insert(run->symbol_hashes.begin(),
                                            run->symbol_hashes.end());
  response->set_location(database_path_);
  if (!request.include_records()) return absl::OkStatus();

  absl::StatusOr<RunRecords> records = store_->ReadRecords(*run_id);
  if (!records.ok()) return records.status();
  for (auto* trades : {&records->closed_trades, &records->open_trades}) {
    for (backtest::v1::Trade& trade : *trades) {
      *response->add_trades() = std::move(trade);
    }
  }
  for (backtest::v1::Fill& fill : records->fills) {
    *response->add_fills() = std::move(fill);
  }
  for (backtest::v1::Rejection& rejection : records->rejections) {
    *response->add_rejections() = std::move(rejection);
  }
  for (backtest::v1::EquityPoint& point : records->equity) {
    *response->add_equity() = std::move(point);
  }
  return absl::OkStatus();
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
