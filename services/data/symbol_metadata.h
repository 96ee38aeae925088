// Symbol metadata: the per-symbol facts (sector, benchmark membership) that
// cross-sectional strategies group and filter by, read from the small CSV
// file a spec names in data.metadata. Format (docs/spec.md):
//
//   # comment lines and blank lines are skipped
//   symbol,sector,benchmarks
//   ORCL,Software & Services,SP500
//   NVDA,Semiconductors,SP500;NDX100
//
// The benchmarks column is optional in the header; its cells list index names
// separated by ';' and may be empty. Thread-safe: pure functions.
#ifndef SEED_SERVICES_DATA_SYMBOL_METADATA_H_
#define SEED_SERVICES_DATA_SYMBOL_METADATA_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/market.pb.h"
#include "google/protobuf/repeated_field.h"

namespace seed::data {

// A metadata file's rows, in file order, and the sha256 of its bytes.
struct MetadataFile {
  std::string path;
  std::vector<backtest::v1::SymbolMetadata> rows;
  std::string content_hash;
};

// Parses a metadata file's text; `path` names the file in messages. Fails
// with INVALID_ARGUMENT, reason INVALID_METADATA, listing every problem as
// "PATH line N, column C: what is wrong" (bad header, wrong number of
// columns, empty symbol or sector, a symbol that repeats an earlier line, an
// empty or repeated benchmark name).
absl::StatusOr<MetadataFile> ParseSymbolMetadata(absl::string_view text,
                                                 absl::string_view path);

// Reads and parses the metadata file `metadata` (a path relative to
// `data_dir`, or absolute). METADATA_UNREADABLE when it cannot be read;
// NOT_A_REGULAR_FILE (a FIFO is refused without blocking), FILE_TOO_LARGE
// (limits::kMaxMetadataBytes) or INVALID_ENCODING (not UTF-8) naming it.
absl::StatusOr<MetadataFile> LoadSymbolMetadata(const std::string& data_dir,
                                                const std::string& metadata);

// The rows of `symbols`, in that order. NOT_FOUND, reason
// METADATA_MISSING_SYMBOL, naming every symbol without a row.
absl::StatusOr<std::vector<backtest::v1::SymbolMetadata>> MetadataFor(
    const MetadataFile& file,
    const google::protobuf::RepeatedPtrField<std::string>& symbols);

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_SYMBOL_METADATA_H_
