// The data stage's cache of parsed CSV files on disk, so a run over data
// another run (or process) already parsed reads its bars back instead of
// parsing them. Entries are keyed by the sha256 of the CSV file's bytes, so
// whatever the path, a copy, a touch or a rename, the same bytes find the same
// bars and different bytes never do. Besides, a small record per path keeps
// the file's identity (device, inode, size, mtime, ctime) and its content hash,
// so a file that has not changed needs no hashing either. Every file is
// written under a temporary name and renamed into place, and carries a
// CRC-32C that is checked on every read: a torn, truncated or corrupt entry is
// removed and rebuilt, never used. The directory is bounded in bytes; the least
// recently used entries go first. docs/performance.md ("The column cache")
// describes the format. Thread-safe, and safe for several processes sharing a
// directory.
#ifndef SEED_SERVICES_DATA_COLUMN_CACHE_H_
#define SEED_SERVICES_DATA_COLUMN_CACHE_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "services/data/csv_reader.h"

namespace seed::data {

// What says a file is still the one its content hash was taken of. A rewrite
// keeping size and mtime (touch -d, cp -p, rsync -t) still changes ctime, and
// a replacement changes the inode.
struct SourceIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;

  bool operator==(const SourceIdentity& other) const;
  bool operator!=(const SourceIdentity& other) const {
    return !(*this == other);
  }
};

// A file changed less than this long before its identity was taken may
// still change within the same timestamp tick without its identity changing
// (filesystem clocks tick in milliseconds to seconds): its identity is not
// trusted, and its bytes are hashed again on the next load.
inline constexpr int64_t kSettleNanoseconds = 2'000'000'000;

// True when `identity`, taken at `now_ns` (wall clock), can be trusted to
// change with the file's content (see kSettleNanoseconds).
bool IdentityIsSettled(const SourceIdentity& identity, int64_t now_ns,
                       int64_t settle_ns = kSettleNanoseconds);

// Default bound on the directory: 1 GiB, about 20 million bars.
inline constexpr int64_t kDefaultColumnCacheBytes = int64_t{1} << 30;

// The environment's cache directory: $BT_COLUMN_CACHE when set ("off"
// disables the cache: nullopt), else $XDG_CACHE_HOME/seed-backtester/columns,
// else $HOME/.cache/seed-backtester/columns; nullopt when none is set.
std::optional<std::string> ColumnCacheDirFromEnvironment();

// $BT_COLUMN_CACHE_MAX_MB in MiB when set to a positive number, else
// kDefaultColumnCacheBytes.
int64_t ColumnCacheBytesFromEnvironment();

class ColumnCache {
 public:
  // Counts since construction, for tests and the benchmark.
  struct Stats {
    int64_t hits = 0;       // Load found a good entry
    int64_t misses = 0;     // Load found none
    int64_t corrupt = 0;    // Load found a bad entry and removed it
    int64_t stores = 0;     // Store wrote an entry
    int64_t evictions = 0;  // files removed to stay within the bound
  };

  // `dir` is made (with its parents) on the first Store.
  ColumnCache(std::string dir, int64_t max_bytes);
  ColumnCache(const ColumnCache&) = delete;
  ColumnCache& operator=(const ColumnCache&) = delete;

  const std::string& dir() const { return dir_; }

  // The content hash recorded for `path` (absolute) with this identity, or
  // nullopt (no record, another identity, or an unreadable record).
  std::optional<std::string> KnownContentHash(
      const std::string& path, const SourceIdentity& identity) const;

  // Records that `path` with `identity` holds bytes of `content_hash`. Only
  // settled identities should be recorded (IdentityIsSettled).
  absl::Status RememberSource(const std::string& path,
                              const SourceIdentity& identity,
                              const std::string& content_hash);

  // The parsed file stored for CSV bytes of `content_hash` (hex sha256), with
  // its report's path and symbol empty; nullopt when there is none under
  // this parser version or it fails its checks (then it is removed). A hit
  // counts as a use for eviction.
  std::optional<ParsedFile> Load(const std::string& content_hash);

  // Stores `file` (bars_hash set) for CSV bytes of `content_hash`, then
  // evicts the least recently used files while the directory is over its
  // bound. An entry larger than the bound is not stored.
  absl::Status Store(const std::string& content_hash, const ParsedFile& file);

  Stats stats() const;

 private:
  std::string EntryPath(const std::string& content_hash) const;
  std::string SourcePath(const std::string& path) const;
  // Writes `header`, the columns of `file` (when not null), `trailer` and the
  // CRC-32C of all of them to `path`, through a temporary file and a rename.
  absl::Status WriteAtomically(const std::string& path,
                               absl::string_view header, const ParsedFile* file,
                               absl::string_view trailer);
  // Lists the directory and removes the least recently used files while it
  // is over its bound; returns the bytes left.
  int64_t Evict() ABSL_EXCLUSIVE_LOCKS_REQUIRED(eviction_mutex_);

  const std::string dir_;
  const int64_t max_bytes_;
  absl::Mutex eviction_mutex_;
  // The directory's bytes as of the last listing plus this process's stores
  // since; -1 before the first listing.
  int64_t known_bytes_ ABSL_GUARDED_BY(eviction_mutex_) = -1;
  int stores_since_listing_ ABSL_GUARDED_BY(eviction_mutex_) = 0;
  std::atomic<int64_t> hits_{0};
  std::atomic<int64_t> misses_{0};
  std::atomic<int64_t> corrupt_{0};
  std::atomic<int64_t> stores_{0};
  std::atomic<int64_t> evictions_{0};
};

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_COLUMN_CACHE_H_
