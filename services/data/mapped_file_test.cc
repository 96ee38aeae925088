#include "services/data/mapped_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace seed::data {
namespace {

class MappedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        (std::filesystem::path(::testing::TempDir()) / "mapped.csv").string();
  }
  void TearDown() override {
    if (fd_ >= 0) close(fd_);
    std::filesystem::remove(path_);
  }
  // Writes `text` and opens it for reading.
  int Open(const std::string& text) {
    std::ofstream(path_, std::ios::binary) << text;
    fd_ = open(path_.c_str(), O_RDONLY);
    return fd_;
  }

  std::string path_;
  int fd_ = -1;
};

TEST_F(MappedFileTest, MapsTheWholeFile) {
  const std::string text = "date,open,high,low,close,volume\n";
  absl::StatusOr<MappedFile> file = MappedFile::Map(Open(text), text.size());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(file->mapped());
  EXPECT_EQ(file->text(), text);
  EXPECT_FALSE(file->cut());
}

TEST_F(MappedFileTest, AnEmptyFileIsEmptyText) {
  absl::StatusOr<MappedFile> file = MappedFile::Map(Open(""), 0);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(file->text().empty());
}

TEST_F(MappedFileTest, AFileCutWhileMappedReadsAsZerosAndSaysSo) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const std::string text(4 * page, 'x');
  absl::StatusOr<MappedFile> file = MappedFile::Map(Open(text), text.size());
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(file->mapped());
  // Another writer cuts the file to one page and a half.
  ASSERT_EQ(truncate(path_.c_str(), page + page / 2), 0);
  // Without the guard, reading the last pages would end the process.
  size_t xs = 0, zeros = 0;
  for (const char c : file->text()) {
    xs += c == 'x';
    zeros += c == '\0';
  }
  EXPECT_TRUE(file->cut());
  EXPECT_EQ(xs, page + page / 2);
  EXPECT_EQ(zeros, text.size() - xs);
}

TEST_F(MappedFileTest, ManyMapsAtOnceFallBackToCopies) {
  const std::string text = "a,b\n1,2\n";
  const int fd = Open(text);
  std::vector<MappedFile> files;
  for (int i = 0; i < kMaxGuardedMaps + 3; ++i) {
    absl::StatusOr<MappedFile> file = MappedFile::Map(fd, text.size());
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(file->text(), text);
    EXPECT_EQ(file->mapped(), i < kMaxGuardedMaps);
    files.push_back(*std::move(file));
  }
  // Released slots are used again.
  files.clear();
  absl::StatusOr<MappedFile> again = MappedFile::Map(fd, text.size());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->mapped());
}

TEST(MappedFileDeathTest, ABusErrorElsewhereStillEndsTheProcess) {
  // A map that is not guarded, cut short: the guard must not hide its fault.
  EXPECT_EXIT(
      {
        const std::string path =
            (std::filesystem::path(::testing::TempDir()) / "unguarded")
                .string();
        std::ofstream(path) << std::string(3 * 4096, 'y');
        const int fd = open(path.c_str(), O_RDONLY);
        // Installs the guard's handler.
        absl::StatusOr<MappedFile> guarded = MappedFile::Map(fd, 10);
        const char* raw = static_cast<const char*>(
            mmap(nullptr, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 0));
        if (truncate(path.c_str(), 0) != 0) _exit(2);
        volatile char c = raw[2 * 4096];
        (void)c;
        _exit(0);
      },
      ::testing::KilledBySignal(SIGBUS), "");
}

}  // namespace
}  // namespace seed::data
