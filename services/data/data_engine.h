// The data stage: opens datasets (the bars of a spec's symbols inside its date
// range, validated under its bad-row policy), serves them in column-wise
// slices, and reports on the quality of CSV files. Thread-safe: one engine
// serves many runs at once; parsed files are shared between them.
#ifndef SEED_SERVICES_DATA_DATA_ENGINE_H_
#define SEED_SERVICES_DATA_DATA_ENGINE_H_

#include <cstddef>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "backtest/v1/data.pb.h"
#include "common/data_roots.h"
#include "services/data/bar_hash.h"
#include "services/data/csv_reader.h"
#include "services/data/dataset_store.h"

namespace seed::data {

// At most this many bars per ReadBars slice (about 24 MB on the wire, well
// under the services' message bound); a larger limit returns this many and
// end = false, so callers loop until end.
inline constexpr int kMaxBarsPerRead = 500'000;

// ValidateFiles reports a file that is not OHLCV CSV at all (unknown header)
// with one issue of this kind instead of failing the whole directory; one
// that cannot be read as a data file (not UTF-8, a line or the file too long,
// not a regular file) with one issue named after its reason in lower case
// ("invalid_encoding", "not_a_regular_file", ...); and one with no usable
// rows (a header only), which a run could not use, with kNoBars.
inline constexpr absl::string_view kUnknownFormat = "unknown_format";
inline constexpr absl::string_view kNoBars = "no_bars";

// A file of a ValidateFiles directory that links outside the data roots:
// reported with this issue kind and nothing of its contents.
inline constexpr absl::string_view kOutsideRootsIssue = "outside_data_roots";

class DataEngine {
 public:
  // `roots`: the directories every path read must lie in (data.path,
  // data.metadata, each symbol's file, ValidateFiles paths); a path outside
  // fails PERMISSION_DENIED OUTSIDE_DATA_ROOTS (common/data_roots.h).
  // Unconfined by default, as embedded runs are.
  explicit DataEngine(DataRoots roots = {}) : roots_(std::move(roots)) {}
  DataEngine(const DataEngine&) = delete;
  DataEngine& operator=(const DataEngine&) = delete;

  // Loads request.data().symbols() from data.path, in order, keeping bars with
  // start <= time <= end. A start or end given as a bare date covers that
  // whole day, so intraday bars of the end date are included. With
  // data.metadata set, also returns each symbol's metadata row (see
  // symbol_metadata.h) and fails when the file is bad or lacks a symbol.
  absl::Status OpenDataset(const backtest::v1::OpenDatasetRequest& request,
                           backtest::v1::OpenDatasetResponse* response);

  // A slice of one symbol's bars, or with timeframe_seconds of its bars
  // resampled into that timeframe (resample.h; made once per dataset and
  // timeframe, then served in slices like the file's bars).
  absl::Status ReadBars(const backtest::v1::ReadBarsRequest& request,
                        backtest::v1::ReadBarsResponse* response);

  absl::Status CloseDataset(const backtest::v1::CloseDatasetRequest& request,
                            backtest::v1::CloseDatasetResponse* response);

  // The metadata rows of request.data().symbols() from data.metadata (none
  // when it is empty), failing as OpenDataset would on a bad file.
  absl::Status ReadMetadata(const backtest::v1::ReadMetadataRequest& request,
                            backtest::v1::ReadMetadataResponse* response);

  // request.path is a CSV file or a directory (its *.csv files, sorted by
  // name; the symbol is the file stem). Bad rows and unusable files are
  // reported, never failed (see kUnknownFormat); fails only when the path
  // cannot be read or holds no *.csv file (NO_CSV_FILES).
  absl::Status ValidateFiles(const backtest::v1::ValidateFilesRequest& request,
                             backtest::v1::ValidateFilesResponse* response);

  // The roots every read is confined to.
  const DataRoots& roots() const { return roots_; }
  // How the file loads so far were answered (the service's metrics).
  DatasetStore::Stats load_stats() const { return store_.stats(); }

 private:
  // data.path confined to the roots, as a readable directory.
  absl::StatusOr<std::string> ConfinedDataDir(const std::string& path) const;

  const DataRoots roots_;
  DatasetStore store_;
};

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_DATA_ENGINE_H_
