#include "services/strategy/indicators/reference_table.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace seed::strategy::testing {
namespace {

// Enough mismatches per column to see the pattern without a flood.
constexpr int kMaxReportedPerColumn = 5;

}  // namespace

int CsvTable::Column(const std::string& name) const {
  const auto it = std::find(header.begin(), header.end(), name);
  return it == header.end() ? -1 : static_cast<int>(it - header.begin());
}

absl::StatusOr<CsvTable> ReadCsvTable(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  CsvTable table;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (number == 1) {
      table.header = std::move(cells);
    } else if (cells.size() != table.header.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, " has ", cells.size(),
                       " cells, the header ", table.header.size()));
    } else {
      table.rows.push_back(std::move(cells));
    }
  }
  return table;
}

std::optional<std::string> SharedDataDir() {
  const char* dir = std::getenv("SHARED_DATA_DIR");
  if (dir == nullptr || *dir == '\0') return std::nullopt;
  return std::string(dir);
}

void ExpectTablesMatch(const CsvTable& actual, const CsvTable& expected,
                       double relative_tolerance) {
  ASSERT_EQ(actual.header, expected.header);
  ASSERT_EQ(actual.rows.size(), expected.rows.size());
  for (size_t column = 0; column < expected.header.size(); ++column) {
    int mismatches = 0;
    for (size_t row = 0; row < expected.rows.size(); ++row) {
      const std::string& got = actual.rows[row][column];
      const std::string& want = expected.rows[row][column];
      double got_number = 0;
      double want_number = 0;
      const bool match =
          got == want || (column > 0 && absl::SimpleAtod(got, &got_number) &&
                          absl::SimpleAtod(want, &want_number) &&
                          std::fabs(got_number - want_number) <=
                              relative_tolerance * std::fabs(want_number));
      if (!match && ++mismatches <= kMaxReportedPerColumn) {
        ADD_FAILURE() << expected.header[column] << " at data row " << row + 1
                      << " (" << expected.rows[row][0] << "): got '" << got
                      << "', want '" << want << "'";
      }
    }
    if (mismatches > kMaxReportedPerColumn) {
      ADD_FAILURE() << expected.header[column] << ": " << mismatches
                    << " mismatches in all";
    }
  }
}

}  // namespace seed::strategy::testing
