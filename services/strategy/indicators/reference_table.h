// Test support for checking indicators against reference values computed by
// R's TTR: a small CSV file read as a table of text cells, and a cell by cell
// comparison of two tables where an empty cell means undefined (TTR's NA).
// Not thread-safe: plain functions over values a test owns.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_REFERENCE_TABLE_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_REFERENCE_TABLE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace seed::strategy::testing {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as wide as the header

  // The index of the column named `name`, or -1.
  int Column(const std::string& name) const;
};

// Splits lines on commas: no quoting, which neither our OHLCV files nor the
// reference files use. Fails on a missing file or a row of the wrong width.
absl::StatusOr<CsvTable> ReadCsvTable(const std::string& path);

// The directory of the shared real data ($SHARED_DATA_DIR), if set.
std::optional<std::string> SharedDataDir();

// Adds a GoogleTest failure for every cell where the tables differ, naming
// row and column (the first few of each column, then a count): the headers
// must be equal, and the rows as many; the first column (the date) must match
// as text; every other cell must be empty in both, or numbers in both with
// |actual - expected| <= relative_tolerance * |expected|.
void ExpectTablesMatch(const CsvTable& actual, const CsvTable& expected,
                       double relative_tolerance);

}  // namespace seed::strategy::testing

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_REFERENCE_TABLE_H_
