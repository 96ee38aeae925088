#include "services/data/data_engine.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/limits.h"
#include "common/stage_error.h"
#include "common/text.h"
#include "common/time.h"
#include "services/data/bar_hash.h"
#include "services/data/resample.h"
#include "services/data/symbol_metadata.h"

namespace seed::data {
namespace {

using ::backtest::v1::BadRowPolicy;
using ::backtest::v1::DataSpec;
using ::backtest::v1::FileReport;
using ::backtest::v1::OpenDatasetResponse;

constexpr absl::string_view kStage = "data";
// "2014-12-31": a bound written as a bare date.
constexpr size_t kDateLength = 10;

// One end of the requested range: the text as written and the span of time it
// covers (a bare date covers its whole day; an absent bound is unbounded).
struct Bound {
  std::string text;
  int64_t earliest;
  int64_t latest;
};

Bound ParseBound(const std::string& text, absl::string_view field,
                 int64_t unbounded, std::vector<FieldProblem>* problems) {
  if (text.empty()) return {text, unbounded, unbounded};
  const absl::StatusOr<int64_t> time = ParseTime(text);
  if (!time.ok()) {
    problems->push_back(
        {std::string(field), std::string(time.status().message())});
    return {text, unbounded, unbounded};
  }
  const int64_t day_end = text.size() == kDateLength ? kSecondsPerDay - 1 : 0;
  return {text, *time, *time + day_end};
}

void CheckSymbols(const DataSpec& data, std::vector<FieldProblem>* problems) {
  if (data.symbols().empty()) {
    problems->push_back({"data.symbols", "list at least one symbol"});
  }
  absl::flat_hash_map<std::string, int> first_index;
  for (int i = 0; i < data.symbols_size(); ++i) {
    const std::string& symbol = data.symbols(i);
    const std::string field = absl::StrCat("data.symbols[", i, "]");
    if (symbol.empty() || symbol == "." || symbol == ".." ||
        absl::StrContains(symbol, '/') ||
        absl::StripAsciiWhitespace(symbol) != symbol) {
      problems->push_back(
          {field, absl::StrCat("'", symbol,
                               "' cannot name a data file: use the file's "
                               "stem, e.g. ORCL for ORCL.csv")});
    } else if (const auto [it, added] = first_index.emplace(symbol, i);
               !added) {
      problems->push_back({field, absl::StrCat(symbol, " repeats data.symbols[",
                                               it->second, "]")});
    }
  }
}

std::string DescribeRange(const Bound& start, const Bound& end) {
  if (!start.text.empty() && !end.text.empty()) {
    return absl::StrCat("between ", start.text, " and ", end.text);
  }
  if (!start.text.empty()) return absl::StrCat("from ", start.text, " on");
  if (!end.text.empty()) return absl::StrCat("up to ", end.text);
  return "at all";
}

std::string Span(const BarColumns& bars, size_t begin, size_t end) {
  return absl::StrCat(FormatTime(bars.time[begin]), "..",
                      FormatTime(bars.time[end - 1]));
}

void AddNotices(const std::string& symbol, const FileReport& report,
                const BarColumns& bars, const SymbolSlice& slice,
                const Bound& start, const Bound& end,
                OpenDatasetResponse* response) {
  std::vector<std::string> wider;
  if (!start.text.empty() && start.latest < bars.time.front()) {
    wider.push_back(
        absl::StrCat("data.start ", start.text, " is before the first bar"));
  }
  if (!end.text.empty() && end.earliest > bars.time.back()) {
    wider.push_back(
        absl::StrCat("data.end ", end.text, " is after the last bar"));
  }
  if (!wider.empty()) {
    response->add_notices(
        absl::StrCat(symbol, ": ", absl::StrJoin(wider, " and "), "; using ",
                     Span(bars, slice.begin, slice.end)));
  }
  if (report.rows_dropped() > 0) {
    response->add_notices(
        absl::StrCat(symbol, ": dropped ", report.rows_dropped(), " bad row",
                     report.rows_dropped() == 1 ? "" : "s", " (",
                     DescribeBadRowCounts(report), ")"));
  }
  const auto gaps = report.issue_counts().find(std::string(kGap));
  if (gaps != report.issue_counts().end()) {
    const auto first_gap =
        std::find_if(report.issues().begin(), report.issues().end(),
                     [](const auto& issue) { return issue.kind() == kGap; });
    response->add_notices(absl::StrCat(
        symbol, ": ", gaps->second, " gap", gaps->second == 1 ? "" : "s",
        " in the data, first at line ", first_gap->line(), ": ",
        first_gap->message(), "; see the quality report"));
  }
}

// Loads one symbol, applies the policy and the range, and records its summary,
// report and notices in the response.
absl::StatusOr<SymbolSlice> OpenSymbol(
    DatasetStore& store, const DataRoots& roots, const std::string& dir,
    const std::string& symbol, BadRowPolicy policy, const Bound& start,
    const Bound& end, int warmup_bars, OpenDatasetResponse* response) {
  absl::StatusOr<std::string> found = FindSymbolFile(dir, symbol);
  if (!found.ok()) return found.status();
  // The file itself may be a link out of the roots.
  absl::StatusOr<std::string> path = roots.Resolve("data.path", *found);
  if (!path.ok()) return path.status();
  absl::StatusOr<std::shared_ptr<const ParsedFile>> file =
      store.LoadFile(*path, symbol);
  if (!file.ok()) return file.status();
  FileReport report = (*file)->report;
  // The cache is shared by every symbol name a file is opened under.
  report.set_symbol(symbol);
  if (absl::Status status = ApplyBadRowPolicy(policy, &report); !status.ok()) {
    return status;
  }
  const BarColumns& bars = (*file)->bars;
  SymbolSlice slice{symbol, *file, 0, 0};
  slice.begin =
      std::lower_bound(bars.time.begin(), bars.time.end(), start.earliest) -
      bars.time.begin();
  slice.end = std::upper_bound(bars.time.begin(), bars.time.end(), end.latest) -
              bars.time.begin();
  if (bars.size() == 0) {
    return StageFailure(
        absl::StatusCode::kNotFound, kStage, "NO_BARS_IN_RANGE",
        absl::StrCat("no bars for ", symbol, " in ", *path,
                     ": the file has no usable rows (", report.rows_read(),
                     " read, ", BadRowCount(report), " bad)"),
        {.symbol = symbol, .hint = "add data rows to the file"});
  }
  if (slice.begin >= slice.end) {
    return StageFailure(
        absl::StatusCode::kNotFound, kStage, "NO_BARS_IN_RANGE",
        absl::StrCat("no bars for ", symbol, " ", DescribeRange(start, end),
                     " in ", *path,
                     "; available: ", Span(bars, 0, bars.size())),
        {.symbol = symbol,
         .hint = "choose data.start and data.end inside the available range"});
  }
  // Warm-up bars before the range: the strategy sees them, nothing trades.
  const size_t warmup = std::min<size_t>(slice.begin, warmup_bars);
  if (warmup_bars > 0) {
    response->add_notices(absl::StrCat(
        symbol, ": ", warmup, " warm-up bar", warmup == 1 ? "" : "s",
        warmup == 0 ? "" : absl::StrCat(" from ", FormatTime(bars.time[slice.begin - warmup])),
        warmup < static_cast<size_t>(warmup_bars)
            ? absl::StrCat(" (of ", warmup_bars, " asked: the file starts ",
                           "there)")
            : ""));
  }
  slice.begin -= warmup;
  backtest::v1::SymbolSummary* summary = response->add_symbols();
  summary->set_symbol(symbol);
  summary->set_path(*path);
  summary->set_bars(slice.size());
  summary->set_first_time(FormatTime(bars.time[slice.begin]));
  summary->set_last_time(FormatTime(bars.time[slice.end - 1]));
  summary->set_available_first(report.first_time());
  summary->set_available_last(report.last_time());
  // The whole file's hash is known; a part's is made here.
  summary->set_content_hash(slice.begin == 0 && slice.end == bars.size() &&
                                    !(*file)->bars_hash.empty()
                                ? (*file)->bars_hash
                                : ContentHash(bars, slice.begin, slice.end));
  summary->set_interval_seconds(report.interval_seconds());
  AddNotices(symbol, report, bars, slice, start, end, response);
  *response->mutable_quality()->add_files() = std::move(report);
  return slice;
}

// Loads data.metadata and records the rows of data.symbols in the response
// (an OpenDatasetResponse or a ReadMetadataResponse).
template <typename Response>
absl::Status AddMetadata(const DataRoots& roots, const std::string& dir,
                         const DataSpec& data, Response* response) {
  std::string metadata = data.metadata();
  if (roots.confined()) {
    std::filesystem::path full(metadata);
    if (full.is_relative()) full = std::filesystem::path(dir) / full;
    absl::StatusOr<std::string> resolved =
        roots.Resolve("data.metadata", full.string());
    if (!resolved.ok()) return resolved.status();
    metadata = *std::move(resolved);
  }
  absl::StatusOr<MetadataFile> file = LoadSymbolMetadata(dir, metadata);
  if (!file.ok()) return file.status();
  absl::StatusOr<std::vector<backtest::v1::SymbolMetadata>> rows =
      MetadataFor(*file, data.symbols());
  if (!rows.ok()) return rows.status();
  for (backtest::v1::SymbolMetadata& row : *rows) {
    *response->add_metadata() = std::move(row);
  }
  response->set_metadata_hash(file->content_hash);
  return absl::OkStatus();
}

// The reasons LoadFile fails with for what is wrong with one file (its kind,
// size or content): ValidateFiles reports them per file.
constexpr std::array<absl::string_view, 7> kFileProblemReasons = {
    kUnknownFormatReason,  "INVALID_ENCODING",   "LINE_TOO_LONG",
    "TOO_MANY_ROWS",       "NOT_A_REGULAR_FILE", "FILE_TOO_LARGE",
    "DATA_FILE_UNREADABLE"};

// A file of ValidateFiles reported with one issue of `kind` for the whole
// file, at line 1, instead of its rows: `message` says what is wrong with it
// (never quoting its contents).
void AddFileIssue(const std::string& path, const std::string& symbol,
                  absl::string_view kind, std::string message,
                  FileReport* report) {
  report->set_symbol(symbol);
  report->set_path(path);
  (*report->mutable_issue_counts())[std::string(kind)] = 1;
  backtest::v1::DataIssue* issue = report->add_issues();
  issue->set_kind(std::string(kind));
  issue->set_line(1);
  issue->set_message(std::move(message));
}

absl::Status UnknownDataset(const std::string& id) {
  return StageFailure(
      absl::StatusCode::kNotFound, kStage, "UNKNOWN_DATASET",
      absl::StrCat("no open dataset '", id,
                   "': it was closed, never opened, or the data service "
                   "restarted"),
      {.hint = "open the dataset again"});
}

// The run's steps: the distinct bar times across the symbols' slices, by a
// merge of their sorted time columns.
int64_t CountSteps(const std::vector<SymbolSlice>& symbols) {
  using Cursor = std::pair<int64_t, size_t>;  // (time, symbol)
  std::priority_queue<Cursor, std::vector<Cursor>, std::greater<>> next;
  std::vector<size_t> position(symbols.size());
  for (size_t i = 0; i < symbols.size(); ++i) {
    position[i] = symbols[i].begin;
    if (position[i] < symbols[i].end) {
      next.emplace(symbols[i].file->bars.time[position[i]], i);
    }
  }
  int64_t steps = 0;
  int64_t last = 0;
  while (!next.empty()) {
    const auto [time, symbol] = next.top();
    next.pop();
    if (steps == 0 || time != last) ++steps;
    last = time;
    if (++position[symbol] < symbols[symbol].end) {
      next.emplace(symbols[symbol].file->bars.time[position[symbol]], symbol);
    }
  }
  return steps;
}

}  // namespace

absl::Status DataEngine::OpenDataset(
    const backtest::v1::OpenDatasetRequest& request,
    OpenDatasetResponse* response) {
  const DataSpec& data = request.data();
  std::vector<FieldProblem> problems;
  if (data.path().empty()) {
    problems.push_back(
        {"data.path", "required: the directory holding the SYMBOL.csv files"});
  }
  CheckSymbols(data, &problems);
  const Bound start =
      ParseBound(data.start(), "data.start",
                 std::numeric_limits<int64_t>::min(), &problems);
  const Bound end = ParseBound(data.end(), "data.end",
                               std::numeric_limits<int64_t>::max(), &problems);
  if (start.earliest > end.latest) {
    problems.push_back(
        {"data.start",
         absl::StrCat(start.text, " is after data.end ", end.text)});
    problems.push_back(
        {"data.end",
         absl::StrCat(end.text, " is before data.start ", start.text)});
  }
  if (data.warmup_bars() < 0) {
    problems.push_back(
        {"data.warmup_bars",
         absl::StrCat("must be 0 or more, got ", data.warmup_bars())});
  }
  if (data.warmup_bars() > 0 && data.start().empty()) {
    problems.push_back({"data.warmup_bars",
                        "needs data.start: warm-up bars are the bars before "
                        "it"});
  }
  if (!backtest::v1::BadRowPolicy_IsValid(data.on_bad_rows())) {
    problems.push_back(
        {"data.on_bad_rows", absl::StrCat("unknown policy ", data.on_bad_rows(),
                                          ": use reject or drop")});
  }
  if (!problems.empty()) {
    return InvalidFields(kStage, "INVALID_DATA_SPEC", problems);
  }

  const ErrorContext context = {.run_id = request.run_id()};
  response->Clear();
  absl::StatusOr<std::string> dir = ConfinedDataDir(data.path());
  if (!dir.ok()) return WithContext(dir.status(), kStage, context);
  if (!data.metadata().empty()) {
    absl::Status status = AddMetadata(roots_, *dir, data, response);
    if (!status.ok()) {
      response->Clear();
      return WithContext(status, kStage, context);
    }
  }
  // Every symbol without a file is named at once, not only the first; the
  // files' sizes together are bounded before any is read.
  std::vector<std::string> missing;
  int64_t bytes = 0;
  for (const std::string& symbol : data.symbols()) {
    const absl::StatusOr<std::string> path = FindSymbolFile(*dir, symbol);
    struct stat info;
    if (path.ok() && stat(path->c_str(), &info) == 0) bytes += info.st_size;
    if (!path.ok() &&
        ToStageError(path.status(), kStage).reason() == "NO_DATA_FILE") {
      missing.push_back(symbol);
    }
  }
  if (!missing.empty()) {
    response->Clear();
    return WithContext(NoDataFiles(*dir, missing), kStage, context);
  }
  if (bytes > limits::kMaxDatasetBytes) {
    response->Clear();
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "DATASET_TOO_LARGE",
        absl::StrCat("the files of data.symbols are ", bytes,
                     " bytes together; the limit is ", limits::kMaxDatasetBytes,
                     " a run"),
        {.run_id = request.run_id(),
         .hint = "trade fewer symbols or split the runs (docs/spec.md, "
                 "Limits)"});
  }
  Dataset dataset;
  for (const std::string& symbol : data.symbols()) {
    absl::StatusOr<SymbolSlice> slice =
        OpenSymbol(store_, roots_, *dir, symbol, data.on_bad_rows(), start, end,
                   data.warmup_bars(), response);
    if (!slice.ok()) {
      response->Clear();
      return WithContext(slice.status(), kStage, context);
    }
    dataset.symbols.push_back(*std::move(slice));
  }
  response->set_steps(CountSteps(dataset.symbols));
  response->set_dataset_id(store_.Add(std::move(dataset)));
  return absl::OkStatus();
}

absl::Status DataEngine::ReadBars(const backtest::v1::ReadBarsRequest& request,
                                  backtest::v1::ReadBarsResponse* response) {
  const std::shared_ptr<const Dataset> dataset =
      store_.Find(request.dataset_id());
  if (dataset == nullptr) return UnknownDataset(request.dataset_id());
  const int symbols = static_cast<int>(dataset->symbols.size());
  std::vector<FieldProblem> problems;
  if (request.symbol() < 0 || request.symbol() >= symbols) {
    problems.push_back(
        {"symbol", absl::StrCat("must index data.symbols, in [0, ", symbols,
                                "), got ", request.symbol())});
  }
  if (request.offset() < 0) {
    problems.push_back(
        {"offset", absl::StrCat("must be >= 0, got ", request.offset())});
  }
  if (request.limit() <= 0) {
    problems.push_back(
        {"limit", absl::StrCat("must be positive, got ", request.limit())});
  }
  if (!problems.empty()) return InvalidFields(kStage, "INVALID_READ", problems);

  const SymbolSlice& slice = dataset->symbols[request.symbol()];
  // The bars served: the file's bars in the range, or their resampled series.
  const BarColumns* bars = &slice.file->bars;
  size_t begin = slice.begin;
  size_t end = slice.end;
  std::shared_ptr<const ResampledBars> resampled;
  if (request.timeframe_seconds() != 0) {
    absl::Status status =
        CheckTimeframe(request.timeframe_seconds(),
                       slice.file->report.interval_seconds(), slice.symbol);
    if (!status.ok()) return status;
    resampled = dataset->resampled->Get(
        request.symbol(), request.timeframe_seconds(), [&] {
          return Resample(slice.file->bars, slice.begin, slice.end,
                          request.timeframe_seconds());
        });
    bars = &resampled->bars;
    begin = 0;
    end = bars->size();
  }
  const size_t offset =
      std::min(static_cast<size_t>(request.offset()), end - begin);
  const size_t count =
      std::min({static_cast<size_t>(request.limit()),
                static_cast<size_t>(kMaxBarsPerRead), end - begin - offset});
  const size_t first = begin + offset;
  const size_t last = first + count;
  response->Clear();
  backtest::v1::BarSeries* series = response->mutable_series();
  series->set_symbol(slice.symbol);
  series->mutable_time()->Add(bars->time.begin() + first,
                              bars->time.begin() + last);
  series->mutable_open()->Add(bars->open.begin() + first,
                              bars->open.begin() + last);
  series->mutable_high()->Add(bars->high.begin() + first,
                              bars->high.begin() + last);
  series->mutable_low()->Add(bars->low.begin() + first,
                             bars->low.begin() + last);
  series->mutable_close()->Add(bars->close.begin() + first,
                               bars->close.begin() + last);
  series->mutable_volume()->Add(bars->volume.begin() + first,
                                bars->volume.begin() + last);
  if (resampled != nullptr) {
    series->mutable_close_time()->Add(resampled->close_time.begin() + first,
                                      resampled->close_time.begin() + last);
  }
  response->set_end(last == end);
  return absl::OkStatus();
}

absl::Status DataEngine::CloseDataset(
    const backtest::v1::CloseDatasetRequest& request,
    backtest::v1::CloseDatasetResponse* response) {
  if (!store_.Remove(request.dataset_id())) {
    return UnknownDataset(request.dataset_id());
  }
  response->Clear();
  return absl::OkStatus();
}

absl::Status DataEngine::ReadMetadata(
    const backtest::v1::ReadMetadataRequest& request,
    backtest::v1::ReadMetadataResponse* response) {
  response->Clear();
  const DataSpec& data = request.data();
  if (data.metadata().empty()) return absl::OkStatus();
  const ErrorContext context = {.run_id = request.run_id()};
  absl::StatusOr<std::string> dir = ConfinedDataDir(data.path());
  if (!dir.ok()) return WithContext(dir.status(), kStage, context);
  absl::Status status = AddMetadata(roots_, *dir, data, response);
  if (!status.ok()) {
    response->Clear();
    return WithContext(status, kStage, context);
  }
  return absl::OkStatus();
}

absl::Status DataEngine::ValidateFiles(
    const backtest::v1::ValidateFilesRequest& request,
    backtest::v1::ValidateFilesResponse* response) {
  if (request.path().empty()) {
    return InvalidFields(
        kStage, "INVALID_VALIDATE_REQUEST",
        {{"path", "required: a CSV file or a directory of SYMBOL.csv files"}});
  }
  // Paths end up in protobuf strings: they must be UTF-8.
  if (FirstInvalidUtf8(request.path()).has_value()) {
    return InvalidFields(
        kStage, "INVALID_VALIDATE_REQUEST",
        {{"path", absl::StrCat("'", EscapeForTerminal(request.path()),
                               "' is not UTF-8 text; rename it")}});
  }
  absl::StatusOr<std::string> confined = roots_.Resolve("path", request.path());
  if (!confined.ok()) return confined.status();
  absl::StatusOr<std::vector<std::string>> paths = ListCsvFiles(*confined);
  if (!paths.ok()) return paths.status();
  if (paths->empty()) {
    return StageFailure(
        absl::StatusCode::kNotFound, kStage, "NO_CSV_FILES",
        absl::StrCat("no *.csv files in ", AbsolutePath(request.path())),
        {.hint = "pass a CSV file or a directory of SYMBOL.csv files"});
  }
  response->Clear();
  for (const std::string& listed : *paths) {
    const std::string symbol = std::filesystem::path(listed).stem().string();
    FileReport* report = response->mutable_quality()->add_files();
    if (FirstInvalidUtf8(listed).has_value()) {
      AddFileIssue(EscapeForTerminal(listed), EscapeForTerminal(symbol),
                   "invalid_encoding",
                   "the file's name is not UTF-8 text; rename it", report);
      continue;
    }
    // A file of the directory may link out of the roots: reported, unread.
    absl::StatusOr<std::string> path = roots_.Resolve("path", listed);
    if (!path.ok()) {
      AddFileIssue(listed, symbol, kOutsideRootsIssue,
                   std::string(path.status().message()), report);
      continue;
    }
    absl::StatusOr<std::shared_ptr<const ParsedFile>> file =
        store_.LoadFile(*path, symbol);
    if (file.ok()) {
      *report = (*file)->report;
      report->set_symbol(symbol);
      if (report->rows_kept() == 0) {
        // A run of this symbol would fail NO_BARS_IN_RANGE: say so here.
        AddFileIssue(report->path(), symbol, kNoBars,
                     absl::StrCat("no usable rows (", report->rows_read(),
                                  " read): a run of ", symbol,
                                  " fails with NO_BARS_IN_RANGE"),
                     report);
      }
      continue;
    }
    // A file that cannot be a data file (unknown header, not UTF-8, not a
    // regular file, too large) is reported as one issue of its own; the
    // other files are still checked.
    const std::string reason = ToStageError(file.status(), kStage).reason();
    if (absl::c_find(kFileProblemReasons, reason) ==
        kFileProblemReasons.end()) {
      response->Clear();
      return file.status();
    }
    AddFileIssue(*path, symbol,
                 reason == kUnknownFormatReason ? std::string(kUnknownFormat)
                                                : absl::AsciiStrToLower(reason),
                 std::string(file.status().message()), report);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DataEngine::ConfinedDataDir(
    const std::string& path) const {
  absl::StatusOr<std::string> confined = roots_.Resolve("data.path", path);
  if (!confined.ok()) return confined.status();
  return ResolveDataDir(*confined);
}

}  // namespace seed::data
