#include "services/data/dataset_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <random>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/limits.h"
#include "common/logging.h"
#include "common/regular_file.h"
#include "common/sha256.h"
#include "common/stage_error.h"
#include "common/text.h"
#include "services/data/bar_hash.h"
#include "services/data/mapped_file.h"

namespace seed::data {
namespace {

constexpr absl::string_view kStage = "data";
constexpr absl::string_view kCsvExtension = ".csv";
// NO_DATA_FILE lists this many of the files present; enough to spot a typo.
constexpr size_t kMaxListedFiles = 10;
constexpr absl::string_view kDataPathHint =
    "set data.path to the directory holding the SYMBOL.csv files";

// NOT_FOUND for a missing path, PERMISSION_DENIED when access is refused, and
// the matching code for anything else the system reports.
absl::StatusCode CodeForErrno(int error) {
  if (error == ENOENT || error == ENOTDIR) return absl::StatusCode::kNotFound;
  return absl::ErrnoToStatusCode(error);
}

absl::Status DirFailure(int error, const std::string& dir) {
  return StageFailure(CodeForErrno(error), kStage, "DATA_DIR_UNREADABLE",
                      absl::StrCat("cannot read data directory ", dir, ": ",
                                   std::strerror(error)),
                      {.hint = std::string(kDataPathHint)});
}

// A data file RegularFile refused: NOT_A_REGULAR_FILE (a FIFO, a device, a
// directory), FILE_TOO_LARGE, or DATA_FILE_UNREADABLE.
absl::Status RefusedFile(const absl::Status& status, absl::string_view symbol) {
  if (absl::IsFailedPrecondition(status)) {
    return StageFailure(status.code(), kStage, "NOT_A_REGULAR_FILE",
                        std::string(status.message()),
                        {.symbol = std::string(symbol),
                         .hint = "point data.path at a directory of regular "
                                 "SYMBOL.csv files"});
  }
  if (absl::IsOutOfRange(status)) {
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "FILE_TOO_LARGE",
        std::string(status.message()),
        {.symbol = std::string(symbol),
         .hint = "split the file or use a longer bar interval (docs/spec.md, "
                 "Limits)"});
  }
  return StageFailure(status.code(), kStage, "DATA_FILE_UNREADABLE",
                      std::string(status.message()),
                      {.symbol = std::string(symbol),
                       .hint = "check that the file exists and is readable by "
                               "the data service"});
}

SourceIdentity IdentityOf(const RegularFile& file) {
  return {file.device(), file.inode(), file.size(), file.mtime_ns(),
          file.ctime_ns()};
}

std::string RandomIdPrefix() {
  std::random_device device;
  return absl::StrFormat("ds-%08x-", device());
}

}  // namespace

std::string AbsolutePath(absl::string_view path) {
  std::error_code error;  // Only when the working directory is gone.
  std::filesystem::path absolute = std::filesystem::absolute(
      std::filesystem::path(std::string(path)), error);
  std::string result =
      (error ? std::filesystem::path(std::string(path)) : absolute)
          .lexically_normal()
          .string();
  if (result.size() > 1 && result.back() == '/') result.pop_back();
  return result;
}

absl::StatusOr<std::string> ResolveDataDir(absl::string_view path) {
  const std::string dir = AbsolutePath(path);
  struct stat info;
  if (stat(dir.c_str(), &info) != 0) return DirFailure(errno, dir);
  if (!S_ISDIR(info.st_mode)) return DirFailure(ENOTDIR, dir);
  if (access(dir.c_str(), R_OK | X_OK) != 0) return DirFailure(errno, dir);
  return dir;
}

absl::StatusOr<std::vector<std::string>> ListCsvStems(const std::string& dir) {
  std::error_code error;
  std::filesystem::directory_iterator it(dir, error);
  if (error) return DirFailure(error.value(), dir);
  std::vector<std::string> stems;
  for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
    const std::filesystem::path& path = it->path();
    // Every entry but directories: a FIFO or a dangling link named X.csv is
    // reported for what it is when it is read, not skipped in silence.
    std::error_code ignored_type_error;
    if (path.extension().string() == kCsvExtension &&
        !it->is_directory(ignored_type_error)) {
      stems.push_back(path.stem().string());
    }
  }
  if (error) return DirFailure(error.value(), dir);
  std::sort(stems.begin(), stems.end());
  return stems;
}

absl::StatusOr<std::vector<std::string>> ListCsvFiles(absl::string_view path) {
  const std::string absolute = AbsolutePath(path);
  struct stat info;
  if (stat(absolute.c_str(), &info) != 0) {
    const int error = errno;
    return StageFailure(
        CodeForErrno(error), kStage, "DATA_PATH_UNREADABLE",
        absl::StrCat("cannot read ", absolute, ": ", std::strerror(error)),
        {.hint = "pass a CSV file or a directory of SYMBOL.csv files"});
  }
  if (!S_ISDIR(info.st_mode)) return std::vector<std::string>{absolute};
  absl::StatusOr<std::string> dir = ResolveDataDir(absolute);
  if (!dir.ok()) return dir.status();
  absl::StatusOr<std::vector<std::string>> stems = ListCsvStems(*dir);
  if (!stems.ok()) return stems.status();
  std::vector<std::string> files;
  for (const std::string& stem : *stems) {
    files.push_back(absl::StrCat(*dir, "/", stem, kCsvExtension));
  }
  return files;
}

absl::StatusOr<std::string> FindSymbolFile(const std::string& dir,
                                           absl::string_view symbol) {
  const std::string path = absl::StrCat(dir, "/", symbol, kCsvExtension);
  struct stat info;
  if (lstat(path.c_str(), &info) != 0) {
    return NoDataFiles(dir, {std::string(symbol)});
  }
  // Something has the file's name: a FIFO, a directory or a dangling link
  // is said to be one rather than "no file".
  absl::StatusOr<RegularFile> file =
      RegularFile::Open(path, limits::kMaxCsvBytes, "data file");
  if (!file.ok()) return RefusedFile(file.status(), symbol);
  return path;
}

absl::Status NoDataFiles(const std::string& dir,
                         const std::vector<std::string>& symbols) {
  absl::StatusOr<std::vector<std::string>> stems = ListCsvStems(dir);
  if (!stems.ok()) return stems.status();
  std::string present = "none";
  if (!stems->empty()) {
    const size_t listed = std::min(stems->size(), kMaxListedFiles);
    // File names need not be UTF-8; messages must be.
    present = absl::StrJoin(stems->begin(), stems->begin() + listed, ", ",
                            [](std::string* out, const std::string& stem) {
                              absl::StrAppend(out, EscapeForTerminal(stem));
                            });
    if (listed < stems->size()) {
      absl::StrAppend(&present, " and ", stems->size() - listed, " more");
    }
  }
  const std::string looked_for =
      symbols.size() == 1
          ? absl::StrCat(dir, "/", symbols.front(), kCsvExtension)
          : absl::StrCat(dir, "/SYMBOL", kCsvExtension);
  return StageFailure(
      absl::StatusCode::kNotFound, kStage, "NO_DATA_FILE",
      absl::StrCat("no data file for ", absl::StrJoin(symbols, ", "),
                   ": looked for ", looked_for, "; files there: ", present),
      {.symbol = symbols.front(),
       .hint = absl::StrCat("check the symbol's spelling or ", kDataPathHint)});
}

std::shared_ptr<const ResampledBars> ResampledCache::Get(
    int symbol, int64_t timeframe_seconds,
    const std::function<ResampledBars()>& resample) {
  absl::MutexLock lock(&mutex_);
  std::shared_ptr<const ResampledBars>& series =
      series_[{symbol, timeframe_seconds}];
  if (series == nullptr) {
    series = std::make_shared<const ResampledBars>(resample());
  }
  return series;
}

DatasetStoreOptions DatasetStoreOptions::FromEnvironment() {
  DatasetStoreOptions options;
  options.column_cache_dir = ColumnCacheDirFromEnvironment();
  options.column_cache_bytes = ColumnCacheBytesFromEnvironment();
  return options;
}

DatasetStore::DatasetStore(DatasetStoreOptions options)
    : options_(std::move(options)),
      column_cache_(
          options_.column_cache_dir.has_value()
              ? std::make_unique<ColumnCache>(*options_.column_cache_dir,
                                              options_.column_cache_bytes)
              : nullptr),
      id_prefix_(RandomIdPrefix()) {}

absl::StatusOr<std::shared_ptr<const ParsedFile>> DatasetStore::LoadFile(
    const std::string& path, absl::string_view symbol) {
  // A file that changes while it is read is read again, once: a writer
  // replacing it is usually done by then.
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<RegularFile> opened =
        RegularFile::Open(path, limits::kMaxCsvBytes, "data file");
    if (!opened.ok()) return RefusedFile(opened.status(), symbol);
    absl::StatusOr<std::shared_ptr<const ParsedFile>> file =
        LoadOpened(*opened, path, symbol);
    if (!file.ok() || *file != nullptr) return file;
  }
  return StageFailure(
      absl::StatusCode::kUnavailable, kStage, "DATA_FILE_UNREADABLE",
      absl::StrCat("data file ", path,
                   " changed while it was being read, twice"),
      {.symbol = std::string(symbol),
       .hint = "run again once whatever writes the file is done"});
}

absl::StatusOr<std::shared_ptr<const ParsedFile>> DatasetStore::LoadOpened(
    const RegularFile& opened, const std::string& path,
    absl::string_view symbol) {
  const SourceIdentity identity = IdentityOf(opened);
  const bool settled = IdentityIsSettled(identity, absl::GetCurrentTimeNanos(),
                                         options_.settle_ns);
  if (std::shared_ptr<const ParsedFile> kept =
          FindKept(path, [&](const CachedFile& entry) {
            return settled && entry.settled && entry.identity == identity;
          })) {
    ++memory_hits_;
    return kept;
  }
  const auto with_names = [&](ParsedFile file) {
    file.report.set_path(path);
    file.report.set_symbol(std::string(symbol));
    return file;
  };
  // The hash of the bytes: recorded for an unchanged file, else taken below.
  std::string content_hash;
  if (column_cache_ != nullptr && settled) {
    content_hash = column_cache_->KnownContentHash(path, identity).value_or("");
    if (!content_hash.empty()) {
      if (std::optional<ParsedFile> cached =
              column_cache_->Load(content_hash)) {
        return Keep(path, {identity, settled, content_hash, 0,
                           std::make_shared<const ParsedFile>(
                               with_names(*std::move(cached)))});
      }
    }
  }
  absl::StatusOr<MappedFile> map = MappedFile::Map(opened.fd(), opened.size());
  if (!map.ok()) {
    return RefusedFile(absl::Status(map.status().code(),
                                    absl::StrCat("cannot read data file ", path,
                                                 ": ", map.status().message())),
                       symbol);
  }
  const auto changed = [&] {
    struct stat info;
    return map->cut() || fstat(opened.fd(), &info) != 0 ||
           info.st_size != identity.size ||
           info.st_mtim.tv_sec * 1'000'000'000 + info.st_mtim.tv_nsec !=
               identity.mtime_ns ||
           info.st_ctim.tv_sec * 1'000'000'000 + info.st_ctim.tv_nsec !=
               identity.ctime_ns;
  };
  // The bytes are hashed when the hash is the cache's key, or the only way
  // to tell a file that may still be changing from what is kept.
  if (content_hash.empty() && (column_cache_ != nullptr || !settled)) {
    content_hash = Sha256Hex(map->text());
    ++hashed_;
    if (changed()) return nullptr;
    if (std::shared_ptr<const ParsedFile> kept =
            FindKept(path, [&](const CachedFile& entry) {
              return entry.content_hash == content_hash;
            })) {
      ++memory_hits_;
      return Keep(path, {identity, settled, content_hash, 0, kept});
    }
    if (column_cache_ != nullptr) {
      if (std::optional<ParsedFile> cached =
              column_cache_->Load(content_hash)) {
        if (settled) {
          WarnOnce(column_cache_->RememberSource(path, identity, content_hash));
        }
        return Keep(path, {identity, settled, content_hash, 0,
                           std::make_shared<const ParsedFile>(
                               with_names(*std::move(cached)))});
      }
    }
  }
  absl::StatusOr<ParsedFile> parsed = ParseCsv(map->text(), path, symbol);
  ++parsed_;
  if (changed()) return nullptr;
  if (!parsed.ok()) return parsed.status();
  parsed->bars_hash = ContentHash(parsed->bars, 0, parsed->bars.size());
  if (column_cache_ != nullptr) {
    WarnOnce(column_cache_->Store(content_hash, *parsed));
    if (settled) {
      WarnOnce(column_cache_->RememberSource(path, identity, content_hash));
    }
  }
  return Keep(path, {identity, settled, content_hash, 0,
                     std::make_shared<const ParsedFile>(*std::move(parsed))});
}

std::shared_ptr<const ParsedFile> DatasetStore::FindKept(
    const std::string& path,
    const std::function<bool(const CachedFile&)>& accept) {
  absl::MutexLock lock(&mutex_);
  auto it = files_.find(path);
  if (it == files_.end() || !accept(it->second)) return nullptr;
  it->second.last_use = ++use_clock_;
  return it->second.file;
}

std::shared_ptr<const ParsedFile> DatasetStore::Keep(const std::string& path,
                                                     CachedFile entry) {
  absl::MutexLock lock(&mutex_);
  CachedFile& kept = files_[path];
  if (kept.file != nullptr) cached_bars_ -= kept.file->bars.size();
  kept = std::move(entry);
  kept.last_use = ++use_clock_;
  cached_bars_ += kept.file->bars.size();
  std::shared_ptr<const ParsedFile> file = kept.file;
  EvictLocked();
  return file;
}

void DatasetStore::WarnOnce(const absl::Status& status) {
  if (status.ok() || warned_.exchange(true)) return;
  const std::string message = absl::StrCat(
      status.message(),
      "; data files are parsed on every load (set BT_COLUMN_CACHE to a "
      "writable directory, or to off)");
  if (JsonLogsEnabled()) {
    LogEvent(LogLevel::kWarning, message,
             {.extra = {{"stage", std::string(kStage)}}});
  } else {
    std::cerr << "warning: " << message << std::endl;
  }
}

DatasetStore::Stats DatasetStore::stats() const {
  return {
      memory_hits_.load(), hashed_.load(), parsed_.load(),
      column_cache_ != nullptr ? column_cache_->stats() : ColumnCache::Stats()};
}

void DatasetStore::EvictLocked() {
  while (cached_bars_ > kCacheBudgetBars && files_.size() > 1) {
    auto oldest = std::min_element(
        files_.begin(), files_.end(), [](const auto& a, const auto& b) {
          return a.second.last_use < b.second.last_use;
        });
    cached_bars_ -= oldest->second.file->bars.size();
    files_.erase(oldest);
  }
}

std::string DatasetStore::Add(Dataset dataset) {
  absl::MutexLock lock(&mutex_);
  std::string id = absl::StrCat(id_prefix_, ++next_dataset_);
  datasets_[id] = std::make_shared<const Dataset>(std::move(dataset));
  return id;
}

std::shared_ptr<const Dataset> DatasetStore::Find(absl::string_view id) const {
  absl::MutexLock lock(&mutex_);
  const auto it = datasets_.find(id);
  return it == datasets_.end() ? nullptr : it->second;
}

bool DatasetStore::Remove(absl::string_view id) {
  absl::MutexLock lock(&mutex_);
  return datasets_.erase(id) > 0;
}

}  // namespace seed::data
