#include "services/data/csv_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/limits.h"
#include "common/stage_error.h"
#include "common/text.h"
#include "services/data/csv_reader_scan.h"

namespace seed::data {
namespace {

using ::backtest::v1::BadRowPolicy;
using ::backtest::v1::DataIssue;
using ::backtest::v1::FileReport;

constexpr absl::string_view kStage = "data";
constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr absl::string_view kOhlcvHeader = "date,open,high,low,close,volume";
constexpr absl::string_view kYahooHeader =
    "Date,Open,High,Low,Close,Adj Close,Volume";
// How many offending lines a BAD_ROWS message quotes; the report has more.
constexpr int kLinesInBadRowsMessage = 5;

// Where each value sits in a row of one format: open, high, low, close and
// volume, in that order.
struct Layout {
  absl::string_view format;
  int fields;
  int columns[5];
};
constexpr Layout kOhlcvLayout = {"ohlcv", 6, {1, 2, 3, 4, 5}};
// Adj Close (column 5) is ignored: Open/High/Low/Close are used as they are.
constexpr Layout kYahooLayout = {"yahoo", 7, {1, 2, 3, 4, 6}};
constexpr int kMaxFields = 7;

// Splits on commas into at most kMaxFields trimmed fields; returns the true
// field count, which may exceed kMaxFields.
int SplitFields(absl::string_view line, absl::string_view* fields) {
  int count = 0;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    const size_t end = comma == absl::string_view::npos ? line.size() : comma;
    if (count < kMaxFields) {
      fields[count] =
          absl::StripAsciiWhitespace(line.substr(start, end - start));
    }
    ++count;
    if (comma == absl::string_view::npos) return count;
    start = comma + 1;
  }
}

const Layout* DetectLayout(absl::string_view header) {
  absl::string_view fields[kMaxFields];
  const int count = SplitFields(header, fields);
  std::vector<std::string> names;
  for (int i = 0; i < std::min(count, kMaxFields); ++i) {
    names.push_back(absl::AsciiStrToLower(fields[i]));
  }
  const auto matches = [&](std::vector<absl::string_view> expected) {
    return static_cast<int>(expected.size()) == count &&
           std::equal(expected.begin(), expected.end(), names.begin());
  };
  for (absl::string_view time_name : {"date", "timestamp", "time"}) {
    if (matches({time_name, "open", "high", "low", "close", "volume"})) {
      return &kOhlcvLayout;
    }
  }
  if (matches(
          {"date", "open", "high", "low", "close", "adj close", "volume"})) {
    return &kYahooLayout;
  }
  return nullptr;
}

// The whole field must be a finite number ("null", "", "1.2x" are not).
bool ParseNumber(absl::string_view text, double* value) {
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, *value);
  return error == std::errc() && ptr == end && std::isfinite(*value);
}

std::string FormatDays(int64_t seconds) {
  if (seconds % kSecondsPerDay == 0) {
    return absl::StrCat(seconds / kSecondsPerDay, " days");
  }
  return absl::StrFormat("%.1f days",
                         static_cast<double>(seconds) / kSecondsPerDay);
}

absl::string_view BaseName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

// Accumulates one file's rows; not thread-safe, used by ParseCsv only.
class RowParser {
 public:
  RowParser(const Layout& layout, size_t expected_rows)
      : layout_(layout), scanner_(layout.fields, layout.columns) {
    file_.bars.Reserve(expected_rows);
  }

  // A row that passes every check, read in place (csv_reader_scan.h); false
  // leaves everything as it was, and the row to Parse, which says what is
  // wrong with it. The checks are Parse's, in its words negated.
  bool TryParseClean(absl::string_view line, int64_t line_number) {
    FastRow row;
    if (!scanner_.Parse(line, &row)) return false;
    const double open = row.values[0], high = row.values[1],
                 low = row.values[2], close = row.values[3],
                 volume = row.values[4];
    if (open <= 0 || high <= 0 || low <= 0 || close <= 0) return false;
    if (high < low) return false;
    if (open < low || open > high) return false;
    if (close < low || close > high) return false;
    if (volume < 0) return false;
    const size_t kept = file_.bars.size();
    if (kept > 0) {
      const int64_t previous = file_.bars.time[kept - 1];
      if (row.time <= previous) return false;
      if (row.time - previous > kMaxIntradayGapSeconds) {
        gap_candidates_.push_back({line_number, previous, row.time});
      }
    }
    ++rows_read_;
    file_.bars.Append(row.time, open, high, low, close, volume);
    previous_line_ = line_number;
    return true;
  }

  void Parse(absl::string_view line, int64_t line_number) {
    ++rows_read_;
    absl::string_view fields[kMaxFields];
    const int count = SplitFields(line, fields);
    if (count != layout_.fields) {
      AddIssue(
          kUnparsableRow, line_number, "",
          absl::StrCat("expected ", layout_.fields, " fields, found ", count));
      return;
    }
    const absl::string_view time_text = fields[0];
    const absl::StatusOr<int64_t> time = ParseTime(time_text);
    if (!time.ok()) {
      AddIssue(kUnparsableRow, line_number, "",
               std::string(time.status().message()));
      return;
    }
    struct Column {
      absl::string_view name;
      int index;
      double value;
    };
    Column columns[] = {{"open", layout_.columns[0]},
                        {"high", layout_.columns[1]},
                        {"low", layout_.columns[2]},
                        {"close", layout_.columns[3]},
                        {"volume", layout_.columns[4]}};
    for (Column& column : columns) {
      if (!ParseNumber(fields[column.index], &column.value)) {
        AddIssue(kUnparsableRow, line_number, time_text,
                 absl::StrCat(column.name, " '", fields[column.index],
                              "' is not a number"));
        return;
      }
    }
    const double open = columns[0].value, high = columns[1].value,
                 low = columns[2].value, close = columns[3].value,
                 volume = columns[4].value;
    const auto text = [&](int column) { return fields[columns[column].index]; };
    for (int price = 0; price < 4; ++price) {
      if (columns[price].value <= 0) {
        AddIssue(kNonPositivePrice, line_number, time_text,
                 absl::StrCat(columns[price].name, " ", text(price),
                              " is not positive"));
        return;
      }
    }
    if (high < low) {
      AddIssue(kHighBelowLow, line_number, time_text,
               absl::StrCat("high ", text(1), " < low ", text(2)));
      return;
    }
    const auto range = [&] {
      return absl::StrCat(" outside [low ", text(2), ", high ", text(1), "]");
    };
    if (open < low || open > high) {
      AddIssue(kOpenOutsideRange, line_number, time_text,
               absl::StrCat("open ", text(0), range()));
      return;
    }
    if (close < low || close > high) {
      AddIssue(kCloseOutsideRange, line_number, time_text,
               absl::StrCat("close ", text(3), range()));
      return;
    }
    if (volume < 0) {
      AddIssue(kNegativeVolume, line_number, time_text,
               absl::StrCat("volume ", text(4), " < 0"));
      return;
    }
    const size_t kept = file_.bars.size();
    if (kept > 0) {
      const int64_t previous = file_.bars.time[kept - 1];
      if (*time == previous) {
        AddIssue(kDuplicateTime, line_number, time_text,
                 absl::StrCat("time repeats line ", previous_line_));
        return;
      }
      if (*time < previous) {
        AddIssue(kOutOfOrderTime, line_number, time_text,
                 absl::StrCat("time is before ", FormatTime(previous),
                              " on line ", previous_line_));
        return;
      }
      // Gaps are judged once the interval is known; no threshold is smaller
      // than the intraday one, so this keeps every possible gap.
      if (*time - previous > kMaxIntradayGapSeconds) {
        gap_candidates_.push_back({line_number, previous, *time});
      }
    }
    file_.bars.Append(*time, open, high, low, close, volume);
    previous_line_ = line_number;
  }

  ParsedFile Finish(const std::string& path, const std::string& symbol) && {
    FileReport& report = file_.report;
    report.set_symbol(symbol);
    report.set_path(path);
    report.set_format(std::string(layout_.format));
    report.set_rows_read(rows_read_);
    report.set_rows_kept(file_.bars.size());
    const int64_t interval = DetectInterval(file_.bars.time);
    report.set_interval_seconds(interval);
    if (file_.bars.size() > 0) {
      report.set_first_time(FormatTime(file_.bars.time.front()));
      report.set_last_time(FormatTime(file_.bars.time.back()));
    }
    const int64_t allowed =
        interval >= kSecondsPerDay
            ? interval - kSecondsPerDay + kMaxDailyGapSeconds
            : kMaxIntradayGapSeconds;
    const std::string kind_of_data =
        interval < kSecondsPerDay ? "intraday data"
        : interval == kSecondsPerDay
            ? "daily data"
            : absl::StrCat("bars ", FormatDays(interval), " apart");
    for (const GapCandidate& gap : gap_candidates_) {
      if (gap.to - gap.from <= allowed) continue;
      AddIssue(kGap, gap.line, FormatTime(gap.to),
               absl::StrCat("no bars for ", FormatDays(gap.to - gap.from),
                            " after ", FormatTime(gap.from), " (more than ",
                            FormatDays(allowed), " is unusual for ",
                            kind_of_data, ")"));
    }
    std::stable_sort(issues_.begin(), issues_.end(),
                     [](const DataIssue& a, const DataIssue& b) {
                       return a.line() < b.line();
                     });
    for (DataIssue& issue : issues_) *report.add_issues() = std::move(issue);
    return std::move(file_);
  }

 private:
  struct GapCandidate {
    int64_t line;
    int64_t from;
    int64_t to;
  };

  // The most common difference between consecutive times (the smaller one on
  // a tie); 0 with fewer than two bars.
  static int64_t DetectInterval(const std::vector<int64_t>& times) {
    absl::flat_hash_map<int64_t, int64_t> counts;
    // Counted by runs of equal differences: most are one interval apart.
    for (size_t i = 1; i < times.size();) {
      const int64_t difference = times[i] - times[i - 1];
      size_t run_end = i + 1;
      while (run_end < times.size() &&
             times[run_end] - times[run_end - 1] == difference) {
        ++run_end;
      }
      counts[difference] += static_cast<int64_t>(run_end - i);
      i = run_end;
    }
    int64_t best = 0, best_count = 0;
    for (const auto& [difference, count] : counts) {
      if (count > best_count || (count == best_count && difference < best)) {
        best = difference;
        best_count = count;
      }
    }
    return best;
  }

  void AddIssue(absl::string_view kind, int64_t line, absl::string_view time,
                std::string message) {
    const int64_t count =
        ++(*file_.report.mutable_issue_counts())[std::string(kind)];
    if (count > kMaxIssuesPerKind) return;
    DataIssue& issue = issues_.emplace_back();
    issue.set_kind(std::string(kind));
    issue.set_line(line);
    // Values from the file are quoted bounded: they reach errors, logs, the
    // results database and traces.
    issue.set_time(Bounded(time));
    issue.set_message(Bounded(message));
  }

  const Layout& layout_;
  RowScanner scanner_;
  ParsedFile file_;
  std::vector<DataIssue> issues_;
  std::vector<GapCandidate> gap_candidates_;
  int64_t rows_read_ = 0;
  int64_t previous_line_ = 0;
};

}  // namespace

void BarColumns::Reserve(size_t bars) {
  time.reserve(bars);
  open.reserve(bars);
  high.reserve(bars);
  low.reserve(bars);
  close.reserve(bars);
  volume.reserve(bars);
}

void BarColumns::Append(int64_t t, double o, double h, double l, double c,
                        double v) {
  time.push_back(t);
  open.push_back(o);
  high.push_back(h);
  low.push_back(l);
  close.push_back(c);
  volume.push_back(v);
}

namespace {

// The 1-based line holding text[offset].
int64_t LineAt(absl::string_view text, size_t offset) {
  return 1 + std::count(text.begin(), text.begin() + offset, '\n');
}

// INVALID_ENCODING naming the line and byte offset of the first byte that is
// not UTF-8 (nothing of the bytes is quoted), with a hint for what the file
// probably is.
absl::Status InvalidEncoding(absl::string_view text, size_t offset,
                             absl::string_view path, absl::string_view symbol) {
  std::string hint =
      "save the file as UTF-8 (a Latin-1 file: iconv -f LATIN1 -t UTF-8)";
  if (absl::StartsWith(text, "\x1F\x8B")) {
    hint = "it looks like a gzip file: decompress it (gunzip) first";
  } else if (absl::StartsWith(text, "\xFF\xFE") ||
             absl::StartsWith(text, "\xFE\xFF")) {
    hint = "it looks like UTF-16: convert it (iconv -f UTF-16 -t UTF-8)";
  }
  const int64_t line = LineAt(text, offset);
  const size_t line_start = line == 1 ? 0 : text.rfind('\n', offset) + 1;
  const size_t column = offset - line_start;
  return StageFailure(
      absl::StatusCode::kInvalidArgument, kStage, "INVALID_ENCODING",
      absl::StrCat(path, " line ", line, ": ",
                   DescribeInvalidByte(text, offset), " (byte ", column + 1,
                   " of the line); data files must be UTF-8 text"),
      {.symbol = std::string(symbol), .hint = hint});
}

}  // namespace

absl::StatusOr<ParsedFile> ParseCsv(absl::string_view text,
                                    absl::string_view path,
                                    absl::string_view symbol) {
  // Text that reaches messages, reports and results must be UTF-8.
  const TextScan scan = ScanText(text);
  if (scan.first_non_ascii.has_value()) {
    if (const std::optional<size_t> bad =
            FirstInvalidUtf8From(text, *scan.first_non_ascii)) {
      return InvalidEncoding(text, *bad, path, symbol);
    }
  }
  absl::ConsumePrefix(&text, kUtf8Bom);
  size_t line_end = text.find('\n');
  absl::string_view header = text.substr(0, line_end);
  absl::ConsumeSuffix(&header, "\r");
  const Layout* layout = DetectLayout(header);
  if (layout == nullptr) {
    const std::string found =
        absl::StripAsciiWhitespace(text).empty()
            ? "the file is empty"
            : absl::StrCat("its header is '", Bounded(header), "'");
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, kUnknownFormatReason,
        absl::StrCat(path, " is not an OHLCV CSV file: ", found, "; expected '",
                     kOhlcvHeader,
                     "' (first column may also be timestamp or time) or "
                     "Yahoo's '",
                     kYahooHeader, "'"),
        {.symbol = std::string(symbol),
         .hint = "convert the file to one of these headers"});
  }
  // The byte order mark holds no newline.
  const int64_t lines = scan.newlines;
  if (lines > limits::kMaxCsvRows) {
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "TOO_MANY_ROWS",
        absl::StrCat(path, " has ", lines, " lines; the limit is ",
                     limits::kMaxCsvRows, " rows a file"),
        {.symbol = std::string(symbol),
         .hint = "split the file or use a longer bar interval (docs/spec.md, "
                 "Limits)"});
  }
  RowParser parser(*layout, lines);
  // Line 1 is the header; each line is measured before it is parsed.
  int64_t line_number = 1;
  size_t line_start = 0;
  while (true) {
    const size_t length =
        (line_end == absl::string_view::npos ? text.size() : line_end) -
        line_start;
    if (length > static_cast<size_t>(limits::kMaxCsvLineBytes)) {
      return StageFailure(
          absl::StatusCode::kInvalidArgument, kStage, "LINE_TOO_LONG",
          absl::StrCat(path, " line ", line_number, " is ", length,
                       " bytes; the limit is ", limits::kMaxCsvLineBytes),
          {.symbol = std::string(symbol),
           .hint = "a row is date,open,high,low,close,volume: check that the "
                   "file is an OHLCV CSV with one row per line"});
    }
    if (line_number > 1) {
      absl::string_view line = text.substr(line_start, length);
      absl::ConsumeSuffix(&line, "\r");
      if (!line.empty() && !parser.TryParseClean(line, line_number) &&
          !absl::StripAsciiWhitespace(line).empty()) {
        parser.Parse(line, line_number);
      }
    }
    if (line_end == absl::string_view::npos) break;
    line_start = line_end + 1;
    line_end = text.find('\n', line_start);
    ++line_number;
  }
  return std::move(parser).Finish(std::string(path), std::string(symbol));
}

int64_t BadRowCount(const FileReport& report) {
  return report.rows_read() - report.rows_kept();
}

std::string DescribeBadRowCounts(const FileReport& report) {
  std::vector<std::string> parts;
  for (absl::string_view kind : kBadRowKinds) {
    const auto it = report.issue_counts().find(std::string(kind));
    if (it != report.issue_counts().end() && it->second > 0) {
      parts.push_back(absl::StrCat(it->second, " ", kind));
    }
  }
  return absl::StrJoin(parts, ", ");
}

absl::Status ApplyBadRowPolicy(BadRowPolicy policy, FileReport* report) {
  const int64_t bad_rows = BadRowCount(*report);
  if (policy == backtest::v1::DROP) {
    report->set_rows_dropped(bad_rows);
    return absl::OkStatus();
  }
  if (bad_rows == 0) return absl::OkStatus();
  std::string message = absl::StrCat(
      report->path(), " has ", bad_rows, " bad row", bad_rows == 1 ? "" : "s",
      " of ", report->rows_read(), " (", DescribeBadRowCounts(*report), "):");
  const absl::string_view file_name = BaseName(report->path());
  int quoted = 0;
  for (const DataIssue& issue : report->issues()) {
    if (issue.kind() == kGap) continue;
    if (quoted++ == kLinesInBadRowsMessage) break;
    absl::StrAppend(&message, "\n  ", file_name, " line ", issue.line());
    if (!issue.time().empty())
      absl::StrAppend(&message, " (", issue.time(), ")");
    absl::StrAppend(&message, ": ", issue.message(), " [", issue.kind(), "]");
  }
  return StageFailure(absl::StatusCode::kFailedPrecondition, kStage, "BAD_ROWS",
                      message,
                      {.symbol = report->symbol(),
                       .hint = "fix the file or set data.on_bad_rows: drop"});
}

}  // namespace seed::data
