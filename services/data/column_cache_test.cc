#include "services/data/column_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/time.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/data/bar_hash.h"
#include "services/data/dataset_store.h"

namespace seed::data {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::util::MessageDifferencer;

// `rows` clean daily rows whose prices start at `price`; the same arguments
// give the same bytes.
std::string Csv(int rows, double price) {
  std::string text = "date,open,high,low,close,volume\n";
  const int64_t start = *ParseTime("2000-01-03");
  for (int i = 0; i < rows; ++i) {
    const double p = price + i % 7;
    absl::StrAppend(&text, FormatTime(start + i * kSecondsPerDay),
                    absl::StrFormat(",%.2f,%.2f,%.2f,%.2f,%d\n", p, p + 1,
                                    p - 1, p + 0.5, 100 + i));
  }
  return text;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::vector<std::string> Files(const std::string& dir,
                               const std::string& suffix) {
  std::vector<std::string> found;
  if (!fs::exists(dir)) return found;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      found.push_back(entry.path().string());
    }
  }
  return found;
}

class ColumnCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    fs::create_directories(root_ / "data");
    cache_dir_ = (root_ / "cache").string();
  }

  std::string DataPath(const std::string& symbol) const {
    return (root_ / "data" / (symbol + ".csv")).string();
  }

  // A store as another process would have: nothing kept in memory, the
  // same cache directory. Identities settle at once (a file written a
  // millisecond before it is loaded is trusted, see Settle).
  std::unique_ptr<DatasetStore> NewStore(int64_t max_bytes = 1 << 30) const {
    return std::make_unique<DatasetStore>(
        DatasetStoreOptions{.column_cache_dir = cache_dir_,
                            .column_cache_bytes = max_bytes,
                            .settle_ns = 0});
  }

  // Lets the clock pass the files' ctime, so their identities are settled.
  static void Settle() {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  std::shared_ptr<const ParsedFile> Load(DatasetStore& store,
                                         const std::string& symbol) {
    absl::StatusOr<std::shared_ptr<const ParsedFile>> file =
        store.LoadFile(DataPath(symbol), symbol);
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? *file : nullptr;
  }

  fs::path root_;
  std::string cache_dir_;
};

void ExpectSameFile(const ParsedFile& a, const ParsedFile& b) {
  EXPECT_EQ(a.bars.time, b.bars.time);
  EXPECT_EQ(a.bars.open, b.bars.open);
  EXPECT_EQ(a.bars.high, b.bars.high);
  EXPECT_EQ(a.bars.low, b.bars.low);
  EXPECT_EQ(a.bars.close, b.bars.close);
  EXPECT_EQ(a.bars.volume, b.bars.volume);
  EXPECT_TRUE(MessageDifferencer::Equals(a.report, b.report))
      << a.report.DebugString() << "\n"
      << b.report.DebugString();
  EXPECT_EQ(a.bars_hash, b.bars_hash);
}

TEST_F(ColumnCacheTest, ASecondProcessReadsTheColumnsInsteadOfParsing) {
  // A bad row too: the report comes back with its issues.
  Write(DataPath("ORCL"),
        Csv(300, 10) + "2021-01-01,10,9,11,10,5\n" + "2021-01-04,1,2,1,1,1\n");
  Settle();
  std::unique_ptr<DatasetStore> first = NewStore();
  const std::shared_ptr<const ParsedFile> parsed = Load(*first, "ORCL");
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(first->stats().parsed, 1);
  EXPECT_EQ(first->stats().column_cache.stores, 1);
  EXPECT_EQ(parsed->bars_hash,
            ContentHash(parsed->bars, 0, parsed->bars.size()));
  EXPECT_EQ(parsed->report.rows_read(), 302);
  EXPECT_EQ(parsed->report.rows_kept(), 301);

  std::unique_ptr<DatasetStore> second = NewStore();
  const std::shared_ptr<const ParsedFile> cached = Load(*second, "ORCL");
  ASSERT_NE(cached, nullptr);
  const DatasetStore::Stats stats = second->stats();
  EXPECT_EQ(stats.parsed, 0);
  // The file is unchanged since its identity was recorded: not even hashed.
  EXPECT_EQ(stats.hashed, 0);
  EXPECT_EQ(stats.column_cache.hits, 1);
  ExpectSameFile(*parsed, *cached);
  EXPECT_EQ(cached->report.path(), DataPath("ORCL"));
  EXPECT_EQ(cached->report.symbol(), "ORCL");

  // In the same process the parsed file is kept in memory.
  Load(*second, "ORCL");
  EXPECT_EQ(second->stats().memory_hits, 1);
}

TEST_F(ColumnCacheTest, TheSameBytesElsewhereHitByTheirContent) {
  Write(DataPath("ORCL"), Csv(100, 10));
  Settle();
  std::unique_ptr<DatasetStore> first = NewStore();
  const std::shared_ptr<const ParsedFile> parsed = Load(*first, "ORCL");
  // A copy under another name: hashed, found, not parsed.
  fs::copy_file(DataPath("ORCL"), DataPath("COPY"));
  Settle();
  std::unique_ptr<DatasetStore> second = NewStore();
  const std::shared_ptr<const ParsedFile> copy = Load(*second, "COPY");
  EXPECT_EQ(second->stats().parsed, 0);
  EXPECT_EQ(second->stats().hashed, 1);
  EXPECT_EQ(copy->report.path(), DataPath("COPY"));
  EXPECT_EQ(copy->bars.close, parsed->bars.close);
  // Its identity is recorded now: the next process needs no hashing.
  std::unique_ptr<DatasetStore> third = NewStore();
  Load(*third, "COPY");
  EXPECT_EQ(third->stats().hashed, 0);
  EXPECT_EQ(third->stats().parsed, 0);
}

TEST_F(ColumnCacheTest, SameSizeAndMtimeButOtherBytesIsNeverAHit) {
  const std::string path = DataPath("ORCL");
  Write(path, Csv(100, 20));
  struct stat before;
  ASSERT_EQ(stat(path.c_str(), &before), 0);
  Settle();
  std::unique_ptr<DatasetStore> first = NewStore();
  const std::shared_ptr<const ParsedFile> old_bars = Load(*first, "ORCL");
  ASSERT_NE(old_bars, nullptr);

  // Rewritten in place with other prices of the same length, and its
  // modification time put back as it was.
  const std::string other = Csv(100, 30);
  ASSERT_EQ(other.size(), fs::file_size(path));
  Write(path, other);
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  struct stat after;
  ASSERT_EQ(stat(path.c_str(), &after), 0);
  ASSERT_EQ(after.st_size, before.st_size);
  ASSERT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  ASSERT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  Settle();

  // Another process, with the old file's entry and identity on disk, parses
  // the new bytes; the process that parsed the old ones keeps nothing of
  // them either (it finds the other process's entry of the new bytes).
  std::unique_ptr<DatasetStore> second = NewStore();
  for (DatasetStore* store : {second.get(), first.get()}) {
    const std::shared_ptr<const ParsedFile> now = Load(*store, "ORCL");
    ASSERT_NE(now, nullptr);
    EXPECT_EQ(now->bars.open.front(), 30);
    EXPECT_NE(now->bars_hash, old_bars->bars_hash);
  }
  EXPECT_EQ(second->stats().parsed, 1);
  EXPECT_EQ(second->stats().column_cache.hits, 0);
  EXPECT_EQ(first->stats().memory_hits, 0);
}

TEST_F(ColumnCacheTest, AFileStillChangingIsHashedUntilItSettles) {
  Write(DataPath("ORCL"), Csv(50, 10));
  // Written less than an hour ago: not settled.
  DatasetStore store(
      DatasetStoreOptions{.column_cache_dir = cache_dir_,
                          .settle_ns = int64_t{3600} * 1'000'000'000});
  Load(store, "ORCL");
  Load(store, "ORCL");
  const DatasetStore::Stats stats = store.stats();
  EXPECT_EQ(stats.parsed, 1);
  EXPECT_EQ(stats.hashed, 2);
  EXPECT_EQ(stats.memory_hits, 1);
  // And no identity is recorded for it.
  EXPECT_TRUE(Files(cache_dir_, ".source").empty());
  EXPECT_EQ(Files(cache_dir_, ".bars").size(), 1);
}

TEST_F(ColumnCacheTest, ACorruptOrTruncatedEntryIsIgnoredAndRewritten) {
  Write(DataPath("ORCL"), Csv(200, 10));
  Settle();
  const std::shared_ptr<const ParsedFile> parsed = Load(*NewStore(), "ORCL");
  const std::vector<std::string> entries = Files(cache_dir_, ".bars");
  ASSERT_EQ(entries.size(), 1);
  const std::string entry = entries.front();
  const uintmax_t size = fs::file_size(entry);

  // One bit of one close price flipped.
  {
    std::fstream file(entry, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(96 + 8 * 200 * 4 + 8 * 10);
    char byte = 0;
    file.read(&byte, 1);
    byte ^= 0x10;
    file.seekp(96 + 8 * 200 * 4 + 8 * 10);
    file.write(&byte, 1);
  }
  std::unique_ptr<DatasetStore> second = NewStore();
  ExpectSameFile(*Load(*second, "ORCL"), *parsed);
  EXPECT_EQ(second->stats().column_cache.corrupt, 1);
  EXPECT_EQ(second->stats().parsed, 1);
  EXPECT_EQ(second->stats().column_cache.stores, 1);
  ASSERT_EQ(fs::file_size(entry), size);

  // Cut short.
  fs::resize_file(entry, size - 100);
  std::unique_ptr<DatasetStore> third = NewStore();
  ExpectSameFile(*Load(*third, "ORCL"), *parsed);
  EXPECT_EQ(third->stats().column_cache.corrupt, 1);
  EXPECT_EQ(third->stats().parsed, 1);

  // Garbage of the right size.
  Write(entry, std::string(size, 'z'));
  std::unique_ptr<DatasetStore> fourth = NewStore();
  ExpectSameFile(*Load(*fourth, "ORCL"), *parsed);
  EXPECT_EQ(fourth->stats().column_cache.corrupt, 1);

  // Rewritten each time: the next process hits.
  std::unique_ptr<DatasetStore> fifth = NewStore();
  ExpectSameFile(*Load(*fifth, "ORCL"), *parsed);
  EXPECT_EQ(fifth->stats().column_cache.hits, 1);
  EXPECT_EQ(fifth->stats().parsed, 0);
}

TEST_F(ColumnCacheTest, ACorruptSourceRecordOnlyCostsAHash) {
  Write(DataPath("ORCL"), Csv(20, 10));
  Settle();
  Load(*NewStore(), "ORCL");
  const std::vector<std::string> records = Files(cache_dir_, ".source");
  ASSERT_EQ(records.size(), 1);
  std::string bytes(fs::file_size(records.front()), '\0');
  std::ifstream(records.front(), std::ios::binary)
      .read(bytes.data(), bytes.size());
  bytes[60] ^= 1;  // inside the recorded content hash
  Write(records.front(), bytes);
  std::unique_ptr<DatasetStore> store = NewStore();
  Load(*store, "ORCL");
  EXPECT_EQ(store->stats().hashed, 1);
  EXPECT_EQ(store->stats().parsed, 0);
  EXPECT_EQ(store->stats().column_cache.hits, 1);
}

TEST_F(ColumnCacheTest, SeveralProcessesWritingAtOnceLeaveGoodEntries) {
  constexpr int kProcesses = 4;
  constexpr int kRounds = 15;
  for (int s = 0; s < 3; ++s) {
    Write(DataPath(absl::StrCat("S", s)), Csv(400 + s, 10 + s));
  }
  Settle();
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Each round a fresh store: every load parses or reads the cache
      // while the others write the same entries.
      int failures = 0;
      for (int round = 0; round < kRounds; ++round) {
        DatasetStore store(DatasetStoreOptions{.column_cache_dir = cache_dir_,
                                               .settle_ns = 0});
        for (int s = 0; s < 3; ++s) {
          const std::string symbol = absl::StrCat("S", (s + p) % 3);
          absl::StatusOr<std::shared_ptr<const ParsedFile>> file =
              store.LoadFile(DataPath(symbol), symbol);
          if (!file.ok() || (*file)->bars.size() != 400 + (s + p) % 3 ||
              (*file)->bars_hash !=
                  ContentHash((*file)->bars, 0, (*file)->bars.size())) {
            ++failures;
          }
        }
        // A cache entry must never be seen half written.
        if (store.stats().column_cache.corrupt != 0) ++failures;
      }
      _exit(failures == 0 ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(Files(cache_dir_, ".bars").size(), 3);
  for (const fs::directory_entry& entry : fs::directory_iterator(cache_dir_)) {
    EXPECT_NE(entry.path().filename().string().rfind(".tmp-", 0), 0)
        << entry.path();
  }
}

TEST_F(ColumnCacheTest, EvictsTheLeastRecentlyUsedToStayWithinItsBound) {
  // Three files of ~25 KB of columns each; room for two.
  for (const char* symbol : {"A", "B", "C"}) {
    Write(DataPath(symbol), Csv(500, 10 + symbol[0]));
  }
  Settle();
  constexpr int64_t kBound = 60'000;
  std::unique_ptr<DatasetStore> store = NewStore(kBound);
  Load(*store, "A");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Load(*store, "B");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // A is used again (by another process), so B is now the oldest.
  Load(*NewStore(kBound), "A");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Load(*store, "C");
  EXPECT_GE(store->stats().column_cache.evictions, 1);
  EXPECT_EQ(Files(cache_dir_, ".bars").size(), 2);
  int64_t total = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(cache_dir_)) {
    total += static_cast<int64_t>(entry.file_size());
  }
  EXPECT_LE(total, kBound);
  // A and C come back from the cache; B is parsed again.
  std::unique_ptr<DatasetStore> later = NewStore(kBound);
  Load(*later, "A");
  Load(*later, "C");
  EXPECT_EQ(later->stats().parsed, 0);
  Load(*later, "B");
  EXPECT_EQ(later->stats().parsed, 1);
}

TEST_F(ColumnCacheTest, AnEntryOfAnotherParserVersionIsNotUsed) {
  Write(DataPath("ORCL"), Csv(30, 10));
  Settle();
  Load(*NewStore(), "ORCL");
  const std::string entry = Files(cache_dir_, ".bars").front();
  std::fstream file(entry, std::ios::in | std::ios::out | std::ios::binary);
  const uint32_t other_version = kCsvParserVersion + 1;
  file.seekp(12);
  file.write(reinterpret_cast<const char*>(&other_version), 4);
  file.close();
  std::unique_ptr<DatasetStore> store = NewStore();
  Load(*store, "ORCL");
  EXPECT_EQ(store->stats().parsed, 1);
  EXPECT_EQ(store->stats().column_cache.corrupt, 0);
}

TEST_F(ColumnCacheTest, AnUnwritableCacheOnlyCostsTheParse) {
  Write(DataPath("ORCL"), Csv(30, 10));
  // A file where the directory should be: nothing can be written.
  Write(cache_dir_, "not a directory");
  Settle();
  std::unique_ptr<DatasetStore> store = NewStore();
  const std::shared_ptr<const ParsedFile> file = Load(*store, "ORCL");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->bars.size(), 30);
  EXPECT_EQ(store->stats().column_cache.stores, 0);
}

TEST(ColumnCacheEnvironmentTest, FollowsTheVariables) {
  const std::string home = getenv("HOME") == nullptr ? "" : getenv("HOME");
  setenv("HOME", "/home/u", 1);
  unsetenv("XDG_CACHE_HOME");
  unsetenv("BT_COLUMN_CACHE");
  EXPECT_EQ(ColumnCacheDirFromEnvironment(),
            "/home/u/.cache/seed-backtester/columns");
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(ColumnCacheDirFromEnvironment(), "/xdg/seed-backtester/columns");
  setenv("BT_COLUMN_CACHE", "/elsewhere", 1);
  EXPECT_EQ(ColumnCacheDirFromEnvironment(), "/elsewhere");
  setenv("BT_COLUMN_CACHE", "off", 1);
  EXPECT_EQ(ColumnCacheDirFromEnvironment(), std::nullopt);
  unsetenv("BT_COLUMN_CACHE");
  unsetenv("XDG_CACHE_HOME");
  unsetenv("BT_COLUMN_CACHE_MAX_MB");
  EXPECT_EQ(ColumnCacheBytesFromEnvironment(), kDefaultColumnCacheBytes);
  setenv("BT_COLUMN_CACHE_MAX_MB", "64", 1);
  EXPECT_EQ(ColumnCacheBytesFromEnvironment(), int64_t{64} << 20);
  setenv("BT_COLUMN_CACHE_MAX_MB", "lots", 1);
  EXPECT_EQ(ColumnCacheBytesFromEnvironment(), kDefaultColumnCacheBytes);
  unsetenv("BT_COLUMN_CACHE_MAX_MB");
  setenv("HOME", home.c_str(), 1);
}

}  // namespace
}  // namespace seed::data
