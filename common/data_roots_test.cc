#include "common/data_roots.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/stage_error.h"
#include "gtest/gtest.h"

namespace seed {
namespace {

namespace fs = std::filesystem;

class DataRootsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::path(std::getenv("TEST_TMPDIR")) / "roots";
    fs::remove_all(base_);
    fs::create_directories(base_ / "data");
    fs::create_directories(base_ / "secret");
    std::ofstream(base_ / "data" / "ORCL.csv") << "date,open\n";
    std::ofstream(base_ / "secret" / "shadow") << "root:$6$hash\n";
    fs::create_symlink(base_ / "secret", base_ / "data" / "escape");
    fs::create_symlink(base_ / "secret" / "shadow",
                       base_ / "data" / "LINK.csv");
    absl::StatusOr<DataRoots> roots =
        DataRoots::Parse((base_ / "data").string());
    ASSERT_TRUE(roots.ok()) << roots.status();
    roots_ = *roots;
  }

  std::string At(const std::string& relative) const {
    return (base_ / relative).string();
  }

  fs::path base_;
  DataRoots roots_;
};

TEST_F(DataRootsTest, InsidePathsResolveToTheirRealPath) {
  absl::StatusOr<std::string> file =
      roots_.Resolve("data.path", At("data/ORCL.csv"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(*file, fs::canonical(At("data/ORCL.csv")).string());
  EXPECT_TRUE(roots_.Resolve("data.path", At("data")).ok());
  EXPECT_TRUE(roots_.Resolve("data.path", At("data/NOPE.csv")).ok());
}

TEST_F(DataRootsTest, LinksAndDotDotOutAreRefused) {
  for (const std::string& path :
       {At("secret/shadow"), At("data/escape/shadow"), At("data/LINK.csv"),
        At("data/../secret/shadow"), std::string("/etc/shadow")}) {
    const absl::Status status = roots_.Resolve("data.path", path).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << path;
    EXPECT_EQ(ToStageError(status, "x").reason(), kOutsideDataRoots);
  }
}

TEST_F(DataRootsTest, TheMessageDoesNotSayWhetherAPathExists) {
  const absl::Status exists =
      roots_.Resolve("data.metadata", At("secret/shadow")).status();
  const absl::Status missing =
      roots_.Resolve("data.metadata", At("secret/shadoww")).status();
  std::string expected(exists.message());
  expected.replace(expected.find("shadow"), 6, "shadoww");
  EXPECT_EQ(missing.message(), expected);
  EXPECT_EQ(exists.message().find("root:"), std::string::npos);
}

TEST_F(DataRootsTest, LexicalCheckForTheCoordinator) {
  EXPECT_TRUE(roots_.CheckLexically("data.path", At("data/x/../y")).ok());
  EXPECT_EQ(roots_.CheckLexically("data.path", At("data/../secret")).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(roots_.CheckLexically("data.path", At("database")).code(),
            absl::StatusCode::kPermissionDenied);
}

// A root that disappears, or (for a user without CAP_DAC_OVERRIDE) one that
// cannot be listed, makes the check fail naming it; back again, it passes.
TEST_F(DataRootsTest, ReadableWhileEveryRootCanBeListed) {
  EXPECT_TRUE(roots_.CheckReadable().ok());
  EXPECT_TRUE(DataRoots().CheckReadable().ok());
  fs::rename(base_ / "data", base_ / "moved");
  const absl::Status gone = roots_.CheckReadable();
  EXPECT_EQ(gone.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(gone.message().find(At("data")), std::string::npos) << gone;
  EXPECT_NE(gone.message().find("No such file"), std::string::npos) << gone;
  fs::rename(base_ / "moved", base_ / "data");
  EXPECT_TRUE(roots_.CheckReadable().ok());
  if (geteuid() != 0) {
    fs::permissions(base_ / "data", fs::perms::none);
    EXPECT_EQ(roots_.CheckReadable().code(), absl::StatusCode::kUnavailable);
    fs::permissions(base_ / "data", fs::perms::owner_all);
    EXPECT_TRUE(roots_.CheckReadable().ok());
  }
}

TEST_F(DataRootsTest, UnconfinedReadsAnything) {
  const DataRoots unconfined;
  EXPECT_EQ(unconfined.Resolve("data.path", "/etc/hosts").value(),
            "/etc/hosts");
  EXPECT_FALSE(DataRoots::Parse(At("data/ORCL.csv")).ok());
  EXPECT_FALSE(DataRoots::Parse("").ok());
}

}  // namespace
}  // namespace seed
