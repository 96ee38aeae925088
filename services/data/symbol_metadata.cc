#include "services/data/symbol_metadata.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/bounded_text.h"
#include "common/limits.h"
#include "common/regular_file.h"
#include "common/sha256.h"
#include "common/stage_error.h"
#include "common/text.h"

namespace seed::data {
namespace {

constexpr absl::string_view kStage = "data";
constexpr absl::string_view kSymbolColumn = "symbol";
constexpr absl::string_view kSectorColumn = "sector";
constexpr absl::string_view kBenchmarksColumn = "benchmarks";
constexpr char kBenchmarkSeparator = ';';
// INVALID_METADATA lists this many problems; enough to fix a file in one go.
constexpr size_t kMaxListedProblems = 20;
constexpr absl::string_view kFormatHint =
    "the file needs a header symbol,sector[,benchmarks] and one row per "
    "symbol; see docs/spec.md";

std::vector<std::string> SplitCells(absl::string_view line) {
  std::vector<std::string> cells;
  for (absl::string_view cell : absl::StrSplit(line, ',')) {
    cells.emplace_back(absl::StripAsciiWhitespace(cell));
  }
  return cells;
}

// Collects "PATH line N, column C: what" problems.
class Problems {
 public:
  explicit Problems(absl::string_view path) : path_(path) {}

  void Add(int64_t line, absl::string_view column, absl::string_view what) {
    lines_.push_back(absl::StrCat(path_, " line ", line,
                                  column.empty() ? "" : ", column ", column,
                                  ": ", Bounded(what)));
  }

  absl::Status ToStatus() const {
    if (lines_.empty()) return absl::OkStatus();
    std::vector<std::string> shown(
        lines_.begin(),
        lines_.begin() + std::min(lines_.size(), kMaxListedProblems));
    if (lines_.size() > kMaxListedProblems) {
      shown.push_back(absl::StrCat(
          "... and ", lines_.size() - kMaxListedProblems, " more"));
    }
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "INVALID_METADATA",
        absl::StrCat("metadata file ", path_, " has ", lines_.size(),
                     lines_.size() == 1 ? " problem:\n  " : " problems:\n  ",
                     absl::StrJoin(shown, "\n  ")),
        {.hint = std::string(kFormatHint)});
  }

 private:
  std::string path_;
  std::vector<std::string> lines_;
};

// Checks the header's cells; returns the number of columns rows must have
// (2 or 3), or 0 when the header is unusable.
size_t CheckHeader(const std::vector<std::string>& cells, int64_t line,
                   Problems& problems) {
  const absl::string_view expected[] = {kSymbolColumn, kSectorColumn,
                                        kBenchmarksColumn};
  if (cells.size() < 2 || cells.size() > 3) {
    problems.Add(line, "",
                 absl::StrCat("the header has ", cells.size(),
                              " columns; expected symbol,sector or "
                              "symbol,sector,benchmarks"));
    return 0;
  }
  bool usable = true;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i] != expected[i]) {
      problems.Add(line, absl::StrCat(i + 1),
                   absl::StrCat("header cell is '", cells[i], "'; expected '",
                                expected[i], "'"));
      usable = false;
    }
  }
  return usable ? cells.size() : 0;
}

void ParseBenchmarks(absl::string_view cell, int64_t line, Problems& problems,
                     backtest::v1::SymbolMetadata& row) {
  if (cell.empty()) return;
  absl::flat_hash_set<std::string> seen;
  for (absl::string_view part : absl::StrSplit(cell, kBenchmarkSeparator)) {
    const std::string name(absl::StripAsciiWhitespace(part));
    if (name.empty()) {
      problems.Add(line, kBenchmarksColumn,
                   absl::StrCat("'", cell,
                                "' has an empty name; separate index names "
                                "with a single ';'"));
    } else if (!seen.insert(name).second) {
      problems.Add(line, kBenchmarksColumn,
                   absl::StrCat("'", name, "' is listed twice"));
    } else {
      row.add_benchmarks(name);
    }
  }
}

}  // namespace

absl::StatusOr<MetadataFile> ParseSymbolMetadata(absl::string_view text,
                                                 absl::string_view path) {
  MetadataFile file;
  file.path = std::string(path);
  file.content_hash = Sha256Hex(text);
  Problems problems(path);
  size_t columns = 0;
  bool header_seen = false;
  absl::flat_hash_map<std::string, int64_t> first_line;
  int64_t line_number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_number;
    const absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    const std::vector<std::string> cells = SplitCells(line);
    if (!header_seen) {
      header_seen = true;
      columns = CheckHeader(cells, line_number, problems);
      if (columns == 0) break;  // Rows cannot be read without their columns.
      continue;
    }
    if (cells.size() != columns) {
      problems.Add(
          line_number, "",
          absl::StrCat("has ", cells.size(), " cells; the header has ", columns,
                       " (a sector may not contain a comma)"));
      continue;
    }
    backtest::v1::SymbolMetadata row;
    const std::string& symbol = cells[0];
    if (symbol.empty()) {
      problems.Add(line_number, kSymbolColumn, "empty");
    } else if (const auto [it, added] = first_line.emplace(symbol, line_number);
               !added) {
      problems.Add(line_number, kSymbolColumn,
                   absl::StrCat(symbol, " repeats line ", it->second));
    }
    if (cells[1].empty()) {
      problems.Add(line_number, kSectorColumn,
                   absl::StrCat("empty; every symbol needs a sector"));
    }
    row.set_symbol(symbol);
    row.set_sector(cells[1]);
    if (columns == 3) ParseBenchmarks(cells[2], line_number, problems, row);
    file.rows.push_back(std::move(row));
  }
  if (!header_seen) {
    problems.Add(1, "",
                 "the file has no header; expected symbol,sector[,benchmarks]");
  }
  absl::Status status = problems.ToStatus();
  if (!status.ok()) return status;
  return file;
}

absl::StatusOr<MetadataFile> LoadSymbolMetadata(const std::string& data_dir,
                                                const std::string& metadata) {
  std::filesystem::path path(metadata);
  if (path.is_relative()) path = std::filesystem::path(data_dir) / path;
  const std::string shown = path.lexically_normal().string();
  absl::StatusOr<std::string> text =
      ReadRegularFile(shown, limits::kMaxMetadataBytes, "metadata file");
  if (!text.ok()) {
    const absl::Status& status = text.status();
    const absl::string_view reason =
        absl::IsFailedPrecondition(status) ? "NOT_A_REGULAR_FILE"
        : absl::IsOutOfRange(status)       ? "FILE_TOO_LARGE"
                                           : "METADATA_UNREADABLE";
    return StageFailure(
        status.code(), kStage, reason,
        absl::StrCat(status.message(), " (data.metadata '", metadata, "')"),
        {.hint =
             "set data.metadata to a CSV file of symbol,sector[,benchmarks]; "
             "a relative path is resolved against data.path"});
  }
  // Text that reaches messages and results must be UTF-8.
  if (const std::optional<size_t> bad = FirstInvalidUtf8(*text)) {
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "INVALID_ENCODING",
        absl::StrCat("metadata file ", shown, " line ",
                     1 + std::count(text->begin(), text->begin() + *bad, '\n'),
                     ": ", DescribeInvalidByte(*text, *bad)),
        {.hint = "save the file as UTF-8"});
  }
  return ParseSymbolMetadata(*text, shown);
}

absl::StatusOr<std::vector<backtest::v1::SymbolMetadata>> MetadataFor(
    const MetadataFile& file,
    const google::protobuf::RepeatedPtrField<std::string>& symbols) {
  absl::flat_hash_map<absl::string_view, const backtest::v1::SymbolMetadata*>
      by_symbol;
  for (const backtest::v1::SymbolMetadata& row : file.rows) {
    by_symbol.emplace(row.symbol(), &row);
  }
  std::vector<backtest::v1::SymbolMetadata> found;
  std::vector<std::string> missing;
  for (const std::string& symbol : symbols) {
    const auto it = by_symbol.find(symbol);
    if (it == by_symbol.end()) {
      missing.push_back(symbol);
    } else {
      found.push_back(*it->second);
    }
  }
  if (!missing.empty()) {
    return StageFailure(
        absl::StatusCode::kNotFound, kStage, "METADATA_MISSING_SYMBOL",
        absl::StrCat("metadata file ", file.path, " has no row for ",
                     absl::StrJoin(missing, ", "), " (in data.symbols)"),
        {.symbol = missing.front(),
         .hint = "add a row symbol,sector[,benchmarks] for each traded "
                 "symbol"});
  }
  return found;
}

}  // namespace seed::data
