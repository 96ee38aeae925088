// Where the data stage keeps things: finds DIR/SYMBOL.csv files, caches parsed
// files keyed by (path, size, mtime) so repeated runs do not re-parse, and
// holds the open datasets. Thread-safe: every function and method may be
// called from any thread; what they return is immutable and shared.
#ifndef SEED_SERVICES_DATA_DATASET_STORE_H_
#define SEED_SERVICES_DATA_DATASET_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "services/data/csv_reader.h"
#include "services/data/resample.h"

namespace seed::data {

// The bars of one symbol a dataset uses: file->bars[begin, end).
struct SymbolSlice {
  std::string symbol;
  std::shared_ptr<const ParsedFile> file;
  size_t begin = 0;
  size_t end = 0;

  size_t size() const { return end - begin; }
};

// The higher-timeframe series of one open dataset's symbols, each made on
// its first request and kept until the dataset closes (a run reads them in
// slices). Thread-safe.
class ResampledCache {
 public:
  // The series of `symbol` (its index in the dataset) at `timeframe_seconds`,
  // made with `resample` the first time.
  std::shared_ptr<const ResampledBars> Get(
      int symbol, int64_t timeframe_seconds,
      const std::function<ResampledBars()>& resample);

 private:
  absl::Mutex mutex_;
  absl::flat_hash_map<std::pair<int, int64_t>,
                      std::shared_ptr<const ResampledBars>>
      series_ ABSL_GUARDED_BY(mutex_);
};

// One open dataset, in the order of the spec's data.symbols.
struct Dataset {
  std::vector<SymbolSlice> symbols;
  // Shared by every reader of the (otherwise immutable) dataset.
  std::unique_ptr<ResampledCache> resampled =
      std::make_unique<ResampledCache>();
};

// Parsed files stay cached while their bars total at most this many (about
// 480 MB at 48 bytes a bar); the least recently used are dropped first.
// Open datasets keep their own files alive regardless.
inline constexpr int64_t kCacheBudgetBars = 10'000'000;

// `path` made absolute and normalized, without a trailing slash.
std::string AbsolutePath(absl::string_view path);

// The absolute, normalized form of `path` when it is a directory that can be
// listed; otherwise DATA_DIR_UNREADABLE (NOT_FOUND, or PERMISSION_DENIED)
// naming the absolute path.
absl::StatusOr<std::string> ResolveDataDir(absl::string_view path);

// Stems of the *.csv files directly inside `dir`, sorted: "ORCL" for
// ORCL.csv. Fails like ResolveDataDir.
absl::StatusOr<std::vector<std::string>> ListCsvStems(const std::string& dir);

// The CSV files `path` names, absolute: the file itself, or the *.csv files
// directly inside a directory, sorted. DATA_PATH_UNREADABLE when it does not
// exist or cannot be read.
absl::StatusOr<std::vector<std::string>> ListCsvFiles(absl::string_view path);

// dir/SYMBOL.csv when it is a regular file within limits::kMaxCsvBytes;
// NOT_A_REGULAR_FILE (a FIFO, a directory, a device: said which),
// FILE_TOO_LARGE or DATA_FILE_UNREADABLE (a dangling link: named with its
// target) when something else has that name; otherwise NO_DATA_FILE naming
// the path looked for and the symbols that do have files there.
absl::StatusOr<std::string> FindSymbolFile(const std::string& dir,
                                           absl::string_view symbol);

// NO_DATA_FILE for `symbols` (one or more, none of them with a file in
// `dir`), naming them all and the symbols that do have files there.
absl::Status NoDataFiles(const std::string& dir,
                         const std::vector<std::string>& symbols);

class DatasetStore {
 public:
  DatasetStore();
  DatasetStore(const DatasetStore&) = delete;
  DatasetStore& operator=(const DatasetStore&) = delete;

  // The parsed content of the file at `path` (absolute), parsed again only
  // when its size or modification time changed. Fails, before reading it,
  // when it is not a regular file (NOT_A_REGULAR_FILE, without blocking on a
  // FIFO) or is larger than limits::kMaxCsvBytes (FILE_TOO_LARGE); when it
  // cannot be read (DATA_FILE_UNREADABLE); or as ParseCsv does.
  absl::StatusOr<std::shared_ptr<const ParsedFile>> LoadFile(
      const std::string& path, absl::string_view symbol);

  // Registers a dataset under a new id, unique within this process and
  // unlikely to repeat across restarts: "ds-3f2a9c41-7".
  std::string Add(Dataset dataset);
  // nullptr when no open dataset has this id.
  std::shared_ptr<const Dataset> Find(absl::string_view id) const;
  // False when no open dataset has this id.
  bool Remove(absl::string_view id);

 private:
  struct CachedFile {
    int64_t size = 0;
    int64_t mtime_ns = 0;
    uint64_t last_use = 0;
    std::shared_ptr<const ParsedFile> file;
  };

  // Drops least recently used files until the cache fits its budget.
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const std::string id_prefix_;
  mutable absl::Mutex mutex_;
  std::map<std::string, CachedFile> files_ ABSL_GUARDED_BY(mutex_);
  int64_t cached_bars_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t use_clock_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t next_dataset_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::flat_hash_map<std::string, std::shared_ptr<const Dataset>> datasets_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_DATASET_STORE_H_
