#include "common/regular_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace seed {
namespace {

class RegularFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / "regular_file";
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  std::string Path(const std::string& name) const {
    return (dir_ / name).string();
  }
  std::filesystem::path dir_;
};

TEST_F(RegularFileTest, ReadsARegularFileWithinItsBound) {
  std::ofstream(Path("a.csv")) << "date,open\n";
  absl::StatusOr<std::string> text =
      ReadRegularFile(Path("a.csv"), 100, "data file");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "date,open\n");
}

TEST_F(RegularFileTest, RefusesAFifoWithoutBlocking) {
  ASSERT_EQ(mkfifo(Path("pipe.csv").c_str(), 0600), 0);
  const absl::StatusOr<std::string> text =
      ReadRegularFile(Path("pipe.csv"), 100, "data file");
  EXPECT_EQ(text.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(text.status().message(),
            "data file " + Path("pipe.csv") +
                " is a FIFO (named pipe), not a regular file");
}

TEST_F(RegularFileTest, RefusesADirectoryAndADevice) {
  std::filesystem::create_directories(Path("dir.csv"));
  EXPECT_EQ(
      ReadRegularFile(Path("dir.csv"), 100, "spec file").status().message(),
      "spec file " + Path("dir.csv") + " is a directory, not a regular file");
  EXPECT_EQ(ReadRegularFile("/dev/zero", 100, "spec file").status().message(),
            "spec file /dev/zero is a character device, not a regular file");
}

TEST_F(RegularFileTest, NamesADanglingLinkAndItsTarget) {
  std::filesystem::create_symlink(Path("gone.csv"), Path("link.csv"));
  const absl::Status status =
      ReadRegularFile(Path("link.csv"), 100, "data file").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "data file " + Path("link.csv") +
                                  " is a symbolic link to " + Path("gone.csv") +
                                  ", which does not exist");
}

TEST_F(RegularFileTest, RefusesAFileOverItsBoundBeforeReadingIt) {
  std::ofstream(Path("big.csv")) << std::string(101, 'x');
  const absl::Status status =
      ReadRegularFile(Path("big.csv"), 100, "data file").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(status.message(),
            "data file " + Path("big.csv") + " is 101 bytes; the limit is 100");
}

TEST_F(RegularFileTest, AMissingFileIsNotFound) {
  EXPECT_EQ(ReadRegularFile(Path("none.csv"), 100, "data file").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace seed
