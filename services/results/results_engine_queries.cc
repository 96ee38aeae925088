// ResultsEngine: runs and their records read back (ListRuns, GetRun,
// ListRunRecords), page by page.
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "services/results/page_token.h"
#include "services/results/results_engine.h"
#include "services/results/results_engine_internal.h"

namespace seed::results {
namespace {

using ::backtest::v1::RecordKind;
using ::backtest::v1::RunState;
using internal::kEngineStage;
using internal::PageSize;

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

// The parts of a ListRunRecords position for `kind` (run_store.h
// RecordPosition).
size_t PositionParts(RecordKind kind) {
  switch (kind) {
    case backtest::v1::EQUITY:
      return 2;
    case backtest::v1::TRADES:
      return 4;
    default:
      return 1;
  }
}

template <typename Record>
void MoveAll(std::vector<Record>& from,
             google::protobuf::RepeatedPtrField<Record>* to) {
  to->Reserve(to->size() + static_cast<int>(from.size()));
  for (Record& record : from) *to->Add() = std::move(record);
}

absl::Status RecordsTooLarge(const std::string& run_id,
                             absl::string_view location, int64_t bytes) {
  constexpr double kMiB = 1 << 20;
  return StageFailure(
      absl::StatusCode::kResourceExhausted, kEngineStage, "RECORDS_TOO_LARGE",
      absl::StrFormat("the records of run %s in %s take about %.1f MiB, more "
                      "than the %.0f MiB one GetRun response carries",
                      run_id, location, bytes / kMiB,
                      ResultsEngine::kMaxRecordsBytes / kMiB),
      {.run_id = run_id,
       .hint = "read the run without include_records, and page its records "
               "with ListRunRecords, one kind at a time"});
}

}  // namespace

absl::Status ResultsEngine::ListRuns(
    const backtest::v1::ListRunsRequest& request,
    backtest::v1::ListRunsResponse* response) {
  std::vector<FieldProblem> problems;
  RunFilter filter{.strategy = request.strategy(),
                   .symbol = request.symbol(),
                   .owner = request.owner(),
                   .limit = static_cast<int>(
                       PageSize("limit", request.limit(), kDefaultListLimit,
                                kMaxListLimit, problems))};
  if (!request.state().empty()) {
    RunState state;
    if (RunState_Parse(absl::AsciiStrToUpper(request.state()), &state) &&
        state != backtest::v1::RUN_STATE_UNSPECIFIED) {
      filter.state = state;
    } else {
      problems.push_back(
          {"state", absl::StrCat("unknown run state '", request.state(),
                                 "'; use QUEUED, RUNNING, SUCCEEDED, FAILED, "
                                 "CANCELLED or ABANDONED")});
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
    return InvalidFields(kEngineStage, "INVALID_LIST_RUNS", problems);
  }
  absl::MutexLock lock(&mu_);
  if (!request.parent().empty()) {
    absl::StatusOr<std::string> parent = ResolveJobId(request.parent());
    if (!parent.ok()) return parent.status();
    filter.parent = *std::move(parent);
  }
  // Every filter as the store applies it, so that equal queries written
  // differently ("running", "RUNNING") share their tokens.
  const std::string query = absl::StrJoin(
      {std::string("runs"), filter.strategy,
       absl::StrCat(filter.state.value_or(backtest::v1::RUN_STATE_UNSPECIFIED)),
       filter.symbol, filter.created_from, filter.created_before,
       filter.parent, filter.owner},
      "\n");
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> after =
        DecodePageToken(request.page_token(), query, 3);
    if (!after.ok()) return after.status();
    RunPosition& position = filter.after.emplace();
    position.created_at = (*after)[0];
    if (!absl::SimpleAtoi((*after)[1], &position.rowid) ||
        !absl::SimpleAtoi((*after)[2], &position.child_index)) {
      return InvalidPageToken("is damaged");
    }
  }
  absl::StatusOr<RunPage> page = store_->ListRuns(filter);
  if (!page.ok()) return page.status();
  for (backtest::v1::RunSummary& run : page->runs) {
    *response->add_runs() = std::move(run);
  }
  if (page->next.has_value()) {
    response->set_next_page_token(EncodePageToken(
        query, std::vector<std::string>{
                   page->next->created_at, absl::StrCat(page->next->rowid),
                   absl::StrCat(page->next->child_index)}));
  }
  return absl::OkStatus();
}

absl::Status ResultsEngine::GetRun(const backtest::v1::GetRunRequest& request,
                                   backtest::v1::GetRunResponse* response) {
  if (request.run_id().empty()) {
    return InvalidFields(kEngineStage, "INVALID_GET_RUN",
                         {{"run_id", "required"}});
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

  // Measured before anything is read, so a run too large is not loaded.
  absl::StatusOr<int64_t> estimate = store_->RecordsSizeEstimate(*run_id);
  if (!estimate.ok()) return estimate.status();
  if (*estimate > kMaxRecordsBytes) {
    return RecordsTooLarge(*run_id, database_path_, *estimate);
  }
  absl::StatusOr<RunRecords> records = store_->ReadRecords(*run_id);
  if (!records.ok()) return records.status();
  const size_t without_records = response->ByteSizeLong();
  MoveAll(records->closed_trades, response->mutable_trades());
  MoveAll(records->open_trades, response->mutable_trades());
  MoveAll(records->fills, response->mutable_fills());
  MoveAll(records->rejections, response->mutable_rejections());
  MoveAll(records->equity, response->mutable_equity());
  // Texts beyond ASCII take more bytes than the estimate counted.
  const int64_t bytes =
      static_cast<int64_t>(response->ByteSizeLong() - without_records);
  if (bytes > kMaxRecordsBytes) {
    response->clear_trades();
    response->clear_fills();
    response->clear_rejections();
    response->clear_equity();
    return RecordsTooLarge(*run_id, database_path_, bytes);
  }
  return absl::OkStatus();
}

absl::Status ResultsEngine::ListRunRecords(
    const backtest::v1::ListRunRecordsRequest& request,
    backtest::v1::ListRunRecordsResponse* response) {
  std::vector<FieldProblem> problems;
  if (request.run_id().empty()) problems.push_back({"run_id", "required"});
  if (request.kind() == backtest::v1::RECORD_KIND_UNSPECIFIED) {
    problems.push_back(
        {"kind", "required: EQUITY, FILLS, REJECTIONS or TRADES"});
  }
  const int64_t page_size =
      PageSize("page_size", request.page_size(), kDefaultRecordPage,
               kMaxRecordPage, problems);
  if (!problems.empty()) {
    return InvalidFields(kEngineStage, "INVALID_LIST_RUN_RECORDS", problems);
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::string> run_id = ResolveRunId(request.run_id());
  if (!run_id.ok()) return run_id.status();
  const std::string query =
      absl::StrCat("records\n", *run_id, "\n", request.kind());
  RecordPosition after;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<int64_t>> position = DecodeIntPageToken(
        request.page_token(), query, PositionParts(request.kind()));
    if (!position.ok()) return position.status();
    after = *std::move(position);
  }
  absl::StatusOr<RecordPage> page =
      store_->ReadRecordPage(*run_id, request.kind(), after, page_size);
  if (!page.ok()) return page.status();
  response->set_run_id(*run_id);
  MoveAll(page->equity, response->mutable_equity());
  MoveAll(page->fills, response->mutable_fills());
  MoveAll(page->rejections, response->mutable_rejections());
  MoveAll(page->trades, response->mutable_trades());
  if (page->next.has_value()) {
    response->set_next_page_token(EncodePageToken(query, *page->next));
  }
  return absl::OkStatus();
}

}  // namespace seed::results
