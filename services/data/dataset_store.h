// Where the data stage keeps things: finds DIR/SYMBOL.csv files, keeps parsed
// files in memory while their identity (device, inode, size, mtime, ctime)
// says they are unchanged and on disk in the column cache (column_cache.h)
// under the hash of their bytes, so repeated runs, in this process or
// another, do not parse again; and holds the open datasets. Thread-safe:
// every function and method may be called from any thread; what they return
// is immutable and shared.
#ifndef SEED_SERVICES_DATA_DATASET_STORE_H_
#define SEED_SERVICES_DATA_DATASET_STORE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/regular_file.h"
#include "services/data/column_cache.h"
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

struct DatasetStoreOptions {
  // The column cache's directory; nullopt: none (parsed files are kept in
  // memory only).
  std::optional<std::string> column_cache_dir;
  int64_t column_cache_bytes = kDefaultColumnCacheBytes;
  // See kSettleNanoseconds; tests shorten it.
  int64_t settle_ns = kSettleNanoseconds;

  // The column cache where the environment puts it
  // (ColumnCacheDirFromEnvironment, ColumnCacheBytesFromEnvironment).
  static DatasetStoreOptions FromEnvironment();
};

class DatasetStore {
 public:
  // How LoadFile answered, since construction: for tests and the benchmark.
  struct Stats {
    int64_t memory_hits = 0;  // the file parsed before, kept in memory
    int64_t hashed = 0;       // files whose bytes were hashed
    int64_t parsed = 0;       // files parsed
    ColumnCache::Stats column_cache;
  };

  DatasetStore() : DatasetStore(DatasetStoreOptions::FromEnvironment()) {}
  explicit DatasetStore(DatasetStoreOptions options);
  DatasetStore(const DatasetStore&) = delete;
  DatasetStore& operator=(const DatasetStore&) = delete;

  // The parsed content of the file at `path` (absolute), with bars_hash set:
  // kept in memory while the file's identity is unchanged, else read from
  // the column cache when it holds the file's bytes, else parsed (and
  // stored there). Fails, before reading it, when it is not a regular file
  // (NOT_A_REGULAR_FILE, without blocking on a FIFO) or is larger than
  // limits::kMaxCsvBytes (FILE_TOO_LARGE); when it cannot be read, or keeps
  // changing while it is read (DATA_FILE_UNREADABLE); or as ParseCsv does.
  // A column cache that cannot be written is logged, never a failure.
  absl::StatusOr<std::shared_ptr<const ParsedFile>> LoadFile(
      const std::string& path, absl::string_view symbol);

  Stats stats() const;

  // Registers a dataset under a new id, unique within this process and
  // unlikely to repeat across restarts: "ds-3f2a9c41-7".
  std::string Add(Dataset dataset);
  // nullptr when no open dataset has this id.
  std::shared_ptr<const Dataset> Find(absl::string_view id) const;
  // False when no open dataset has this id.
  bool Remove(absl::string_view id);

 private:
  struct CachedFile {
    SourceIdentity identity;
    // IdentityIsSettled: a match of the identity alone is enough.
    bool settled = false;
    // sha256 of the file's bytes; empty when not taken.
    std::string content_hash;
    uint64_t last_use = 0;
    std::shared_ptr<const ParsedFile> file;
  };

  // LoadFile for one opening of the file; nullptr when the file changed
  // while it was read.
  absl::StatusOr<std::shared_ptr<const ParsedFile>> LoadOpened(
      const RegularFile& opened, const std::string& path,
      absl::string_view symbol);
  // The file kept for `path` when `accept` says it is still good.
  std::shared_ptr<const ParsedFile> FindKept(
      const std::string& path,
      const std::function<bool(const CachedFile&)>& accept);
  // Keeps `file` for `path` and returns it.
  std::shared_ptr<const ParsedFile> Keep(const std::string& path,
                                         CachedFile entry);
  // Logs a column cache that cannot be written, once.
  void WarnOnce(const absl::Status& status);
  // Drops least recently used files until the cache fits its budget.
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const DatasetStoreOptions options_;
  const std::unique_ptr<ColumnCache> column_cache_;
  std::atomic<int64_t> memory_hits_{0};
  std::atomic<int64_t> hashed_{0};
  std::atomic<int64_t> parsed_{0};
  std::atomic<bool> warned_{false};
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
