#include "services/data/column_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/base/config.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "services/data/crc32c.h"

namespace seed::data {
namespace {

static_assert(ABSL_IS_LITTLE_ENDIAN,
              "the column cache stores columns in the machine's order, "
              "which its format fixes as little-endian");

// Entry: "SEEDBARS", format, parser version, bars, report bytes, source
// sha256, bars sha256 (96 bytes); the six columns; the report; CRC-32C.
constexpr char kEntryMagic[8] = {'S', 'E', 'E', 'D', 'B', 'A', 'R', 'S'};
// Source record: "SEEDSRC1", format, path bytes, identity (5 x 8 bytes),
// content sha256 (88 bytes); the path; CRC-32C.
constexpr char kSourceMagic[8] = {'S', 'E', 'E', 'D', 'S', 'R', 'C', '1'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kEntryHeaderBytes = 96;
constexpr size_t kSourceHeaderBytes = 88;
constexpr size_t kCrcBytes = 4;
constexpr size_t kDigestBytes = 32;
constexpr absl::string_view kEntrySuffix = ".bars";
constexpr absl::string_view kSourceSuffix = ".source";
constexpr absl::string_view kTemporaryPrefix = ".tmp-";
// A temporary file this old was left by a writer that died.
constexpr int64_t kAbandonedSeconds = 3600;
// How many stores at most between two listings of the directory.
constexpr int kStoresPerListing = 64;
// Columns are read and checked in pieces that stay in the CPU's cache.
constexpr size_t kReadChunkBytes = 256 * 1024;

std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

template <typename T>
void Put(std::string* out, T value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(value));
}

template <typename T>
T Get(const char* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof(value));
  return value;
}

// The 32 bytes of a hex sha256, or empty when it is not one.
std::string DigestBytes(const std::string& hex) {
  if (hex.size() != 2 * kDigestBytes ||
      !std::all_of(hex.begin(), hex.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return "";
  }
  return absl::HexStringToBytes(hex);
}

absl::Status ErrnoFailure(int error, absl::string_view doing,
                          const std::string& path) {
  return absl::Status(absl::ErrnoToStatusCode(error),
                      absl::StrCat("column cache: cannot ", doing, " ", path,
                                   ": ", std::strerror(error)));
}

// Reads exactly `size` bytes; false on an error or a short file.
bool ReadFully(int fd, void* out, size_t size) {
  char* bytes = static_cast<char*>(out);
  while (size > 0) {
    const ssize_t got = read(fd, bytes, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    bytes += got;
    size -= static_cast<size_t>(got);
  }
  return true;
}

// A file descriptor closed on scope exit.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Appends to a file, keeping the CRC-32C of what it wrote and the first
// error.
class CrcWriter {
 public:
  explicit CrcWriter(int fd) : fd_(fd) {}

  void Write(const void* data, size_t size) {
    if (error_ != 0) return;
    crc_ = Crc32c(crc_, data, size);
    const char* bytes = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t wrote = write(fd_, bytes, size);
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) {
        error_ = wrote < 0 ? errno : EIO;
        return;
      }
      bytes += wrote;
      size -= static_cast<size_t>(wrote);
    }
  }
  uint32_t crc() const { return crc_; }
  // 0, or the errno of the first failed write.
  int error() const { return error_; }

 private:
  int fd_;
  uint32_t crc_ = 0;
  int error_ = 0;
};

// Reads into a column while keeping the CRC-32C of what it read.
template <typename T>
bool ReadColumn(int fd, size_t count, std::vector<T>* column, uint32_t* crc) {
  column->resize(count);
  char* bytes = reinterpret_cast<char*>(column->data());
  size_t left = count * sizeof(T);
  while (left > 0) {
    const size_t piece = std::min(left, kReadChunkBytes);
    if (!ReadFully(fd, bytes, piece)) return false;
    *crc = Crc32c(*crc, bytes, piece);
    bytes += piece;
    left -= piece;
  }
  return true;
}

// Marks a use: eviction goes by modification time, least recent first. Best
// effort: a cache on a read-only disk still serves what it holds.
void Touch(int fd) {
  const struct timespec now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  futimens(fd, now);
}

}  // namespace

bool SourceIdentity::operator==(const SourceIdentity& other) const {
  return device == other.device && inode == other.inode && size == other.size &&
         mtime_ns == other.mtime_ns && ctime_ns == other.ctime_ns;
}

bool IdentityIsSettled(const SourceIdentity& identity, int64_t now_ns,
                       int64_t settle_ns) {
  return std::max(identity.mtime_ns, identity.ctime_ns) < now_ns - settle_ns;
}

std::optional<std::string> ColumnCacheDirFromEnvironment() {
  constexpr absl::string_view kRelativePath = "seed-backtester/columns";
  if (const std::string dir = EnvOrEmpty("BT_COLUMN_CACHE"); !dir.empty()) {
    if (dir == "off") return std::nullopt;
    return dir;
  }
  if (const std::string cache = EnvOrEmpty("XDG_CACHE_HOME"); !cache.empty()) {
    return absl::StrCat(cache, "/", kRelativePath);
  }
  if (const std::string home = EnvOrEmpty("HOME"); !home.empty()) {
    return absl::StrCat(home, "/.cache/", kRelativePath);
  }
  return std::nullopt;
}

int64_t ColumnCacheBytesFromEnvironment() {
  int64_t mebibytes = 0;
  if (absl::SimpleAtoi(EnvOrEmpty("BT_COLUMN_CACHE_MAX_MB"), &mebibytes) &&
      mebibytes > 0 && mebibytes < (int64_t{1} << 40)) {
    return mebibytes << 20;
  }
  return kDefaultColumnCacheBytes;
}

ColumnCache::ColumnCache(std::string dir, int64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes) {}

std::string ColumnCache::EntryPath(const std::string& content_hash) const {
  return absl::StrCat(dir_, "/", content_hash, kEntrySuffix);
}

std::string ColumnCache::SourcePath(const std::string& path) const {
  return absl::StrCat(dir_, "/", Sha256Hex(path), kSourceSuffix);
}

std::optional<std::string> ColumnCache::KnownContentHash(
    const std::string& path, const SourceIdentity& identity) const {
  Descriptor fd(open(SourcePath(path).c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::nullopt;
  char header[kSourceHeaderBytes];
  if (!ReadFully(fd.get(), header, sizeof(header)) ||
      std::memcmp(header, kSourceMagic, sizeof(kSourceMagic)) != 0 ||
      Get<uint32_t>(header + 8) != kFormatVersion ||
      Get<uint32_t>(header + 12) != path.size()) {
    return std::nullopt;
  }
  std::string stored_path(path.size(), '\0');
  uint32_t stored_crc = 0;
  if (!ReadFully(fd.get(), stored_path.data(), stored_path.size()) ||
      !ReadFully(fd.get(), &stored_crc, sizeof(stored_crc)) ||
      Crc32c(Crc32c(0, header, sizeof(header)), stored_path.data(),
             stored_path.size()) != stored_crc ||
      stored_path != path) {
    return std::nullopt;
  }
  const SourceIdentity stored = {
      Get<uint64_t>(header + 16), Get<uint64_t>(header + 24),
      Get<int64_t>(header + 32), Get<int64_t>(header + 40),
      Get<int64_t>(header + 48)};
  if (stored != identity) return std::nullopt;
  Touch(fd.get());
  return absl::BytesToHexString(absl::string_view(header + 56, kDigestBytes));
}

absl::Status ColumnCache::RememberSource(const std::string& path,
                                         const SourceIdentity& identity,
                                         const std::string& content_hash) {
  const std::string digest = DigestBytes(content_hash);
  if (digest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("column cache: '", content_hash, "' is not a sha256"));
  }
  std::string header(kSourceMagic, sizeof(kSourceMagic));
  Put(&header, kFormatVersion);
  Put(&header, static_cast<uint32_t>(path.size()));
  Put(&header, identity.device);
  Put(&header, identity.inode);
  Put(&header, identity.size);
  Put(&header, identity.mtime_ns);
  Put(&header, identity.ctime_ns);
  header += digest;
  header += path;
  return WriteAtomically(SourcePath(path), header, nullptr, "");
}

std::optional<ParsedFile> ColumnCache::Load(const std::string& content_hash) {
  const std::string digest = DigestBytes(content_hash);
  const std::string path = EntryPath(content_hash);
  Descriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat info;
  if (digest.empty() || fd.get() < 0 || fstat(fd.get(), &info) != 0) {
    ++misses_;
    return std::nullopt;
  }
  // Anything wrong from here on is a bad entry: removed, to be rebuilt.
  const auto bad = [&]() -> std::optional<ParsedFile> {
    ++corrupt_;
    unlink(path.c_str());
    return std::nullopt;
  };
  char header[kEntryHeaderBytes];
  if (!ReadFully(fd.get(), header, sizeof(header)) ||
      std::memcmp(header, kEntryMagic, sizeof(kEntryMagic)) != 0) {
    return bad();
  }
  if (Get<uint32_t>(header + 8) != kFormatVersion ||
      Get<uint32_t>(header + 12) != kCsvParserVersion) {
    // Another version's entry: not corrupt, but of no use to this one.
    ++misses_;
    return std::nullopt;
  }
  const uint64_t bars = Get<uint64_t>(header + 16);
  const uint64_t report_bytes = Get<uint64_t>(header + 24);
  const uint64_t file_bytes = static_cast<uint64_t>(info.st_size);
  // Sizes are bounded by the file's before anything is allocated.
  if (bars > file_bytes / 48 || report_bytes > file_bytes ||
      kEntryHeaderBytes + 48 * bars + report_bytes + kCrcBytes != file_bytes ||
      absl::string_view(header + 32, kDigestBytes) != digest) {
    return bad();
  }
  uint32_t crc = Crc32c(0, header, sizeof(header));
  ParsedFile file;
  BarColumns& columns = file.bars;
  std::string report(report_bytes, '\0');
  uint32_t stored_crc = 0;
  if (!ReadColumn(fd.get(), bars, &columns.time, &crc) ||
      !ReadColumn(fd.get(), bars, &columns.open, &crc) ||
      !ReadColumn(fd.get(), bars, &columns.high, &crc) ||
      !ReadColumn(fd.get(), bars, &columns.low, &crc) ||
      !ReadColumn(fd.get(), bars, &columns.close, &crc) ||
      !ReadColumn(fd.get(), bars, &columns.volume, &crc) ||
      !ReadFully(fd.get(), report.data(), report.size()) ||
      !ReadFully(fd.get(), &stored_crc, sizeof(stored_crc)) ||
      Crc32c(crc, report.data(), report.size()) != stored_crc ||
      !file.report.ParseFromString(report)) {
    return bad();
  }
  file.bars_hash =
      absl::BytesToHexString(absl::string_view(header + 64, kDigestBytes));
  Touch(fd.get());
  ++hits_;
  return file;
}

absl::Status ColumnCache::Store(const std::string& content_hash,
                                const ParsedFile& file) {
  const std::string digest = DigestBytes(content_hash);
  const std::string bars_digest = DigestBytes(file.bars_hash);
  if (digest.empty() || bars_digest.empty()) {
    return absl::InvalidArgumentError(
        "column cache: an entry needs the file's content hash and its bars' "
        "hash");
  }
  backtest::v1::FileReport report = file.report;
  report.clear_path();
  report.clear_symbol();
  const std::string report_bytes = report.SerializeAsString();
  const uint64_t bars = file.bars.size();
  if (static_cast<int64_t>(kEntryHeaderBytes + 48 * bars + report_bytes.size() +
                           kCrcBytes) > max_bytes_) {
    return absl::OkStatus();  // larger than the whole cache: parsed each time
  }
  std::string header(kEntryMagic, sizeof(kEntryMagic));
  Put(&header, kFormatVersion);
  Put(&header, static_cast<uint32_t>(kCsvParserVersion));
  Put(&header, bars);
  Put(&header, static_cast<uint64_t>(report_bytes.size()));
  header += digest;
  header += bars_digest;
  if (absl::Status status =
          WriteAtomically(EntryPath(content_hash), header, &file, report_bytes);
      !status.ok()) {
    return status;
  }
  ++stores_;
  const int64_t entry_bytes = static_cast<int64_t>(
      kEntryHeaderBytes + 48 * bars + report_bytes.size() + kCrcBytes);
  absl::MutexLock lock(&eviction_mutex_);
  // The directory is listed when what this process knows of it says it
  // could be over its bound, and every kStoresPerListing stores anyway for
  // what other processes wrote (they also list it as they write).
  if (known_bytes_ >= 0) known_bytes_ += entry_bytes;
  if (known_bytes_ < 0 || known_bytes_ > max_bytes_ ||
      ++stores_since_listing_ >= kStoresPerListing) {
    known_bytes_ = Evict();
    stores_since_listing_ = 0;
  }
  return absl::OkStatus();
}

absl::Status ColumnCache::WriteAtomically(const std::string& path,
                                          absl::string_view header,
                                          const ParsedFile* file,
                                          absl::string_view trailer) {
  std::error_code dir_error;
  std::filesystem::create_directories(dir_, dir_error);
  if (dir_error) return ErrnoFailure(dir_error.value(), "create", dir_);
  std::string temporary = absl::StrCat(dir_, "/", kTemporaryPrefix, "XXXXXX");
  const int raw_fd = mkostemp(temporary.data(), O_CLOEXEC);
  if (raw_fd < 0) return ErrnoFailure(errno, "create a file in", dir_);
  int error = 0;
  {
    Descriptor fd(raw_fd);
    CrcWriter writer(fd.get());
    writer.Write(header.data(), header.size());
    if (file != nullptr) {
      const BarColumns& bars = file->bars;
      const size_t bytes = bars.size() * sizeof(double);
      writer.Write(bars.time.data(), bytes);
      writer.Write(bars.open.data(), bytes);
      writer.Write(bars.high.data(), bytes);
      writer.Write(bars.low.data(), bytes);
      writer.Write(bars.close.data(), bytes);
      writer.Write(bars.volume.data(), bytes);
    }
    writer.Write(trailer.data(), trailer.size());
    const uint32_t crc = writer.crc();
    writer.Write(&crc, sizeof(crc));
    error = writer.error();
  }
  // No fsync: a file torn by a crash fails its CRC and is rebuilt.
  if (error == 0 && rename(temporary.c_str(), path.c_str()) != 0) {
    error = errno;
  }
  if (error != 0) {
    unlink(temporary.c_str());
    return ErrnoFailure(error, "write", path);
  }
  return absl::OkStatus();
}

int64_t ColumnCache::Evict() {
  struct File {
    std::string path;
    int64_t bytes;
    int64_t mtime_ns;
  };
  std::vector<File> files;
  int64_t total = 0;
  DIR* dir = opendir(dir_.c_str());
  if (dir == nullptr) return 0;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  while (const struct dirent* entry = readdir(dir)) {
    const absl::string_view name = entry->d_name;
    const bool temporary = absl::StartsWith(name, kTemporaryPrefix);
    if (!temporary && !absl::EndsWith(name, kEntrySuffix) &&
        !absl::EndsWith(name, kSourceSuffix)) {
      continue;  // not ours: never removed
    }
    std::string path = absl::StrCat(dir_, "/", name);
    struct stat info;
    if (lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    if (temporary) {
      // Another process's file being written counts; a dead one's goes.
      if (now - info.st_mtim.tv_sec > kAbandonedSeconds) {
        unlink(path.c_str());
        continue;
      }
    }
    total += info.st_size;
    if (!temporary) {
      files.push_back(
          {std::move(path), info.st_size,
           static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 +
               info.st_mtim.tv_nsec});
    }
  }
  closedir(dir);
  if (total <= max_bytes_) return total;
  std::sort(files.begin(), files.end(), [](const File& a, const File& b) {
    return a.mtime_ns < b.mtime_ns;
  });
  for (const File& file : files) {
    if (total <= max_bytes_) break;
    // Gone already (another process evicting) is as good as removed.
    if (unlink(file.path.c_str()) == 0 || errno == ENOENT) {
      total -= file.bytes;
      ++evictions_;
    }
  }
  return total;
}

ColumnCache::Stats ColumnCache::stats() const {
  return {hits_.load(), misses_.load(), corrupt_.load(), stores_.load(),
          evictions_.load()};
}

}  // namespace seed::data
