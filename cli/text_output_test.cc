#include "cli/text_output.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace seed::cli {
namespace {

TEST(FormatTableTest, PadsEveryColumnButTheLastToItsWidestCell) {
  EXPECT_EQ(FormatTable({{"a", "bb", "x"}, {"ccc", "d", "yy"}}),
            "a    bb  x\nccc  d   yy\n");
}

TEST(WriteExportFilesTest, CreatesTheDirectoryAndWritesEachFile) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "export" / "nested";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WriteExportFiles(dir.string(), {{"a.csv", "x\n"}}).ok());
  std::ifstream in(dir / "a.csv");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "x\n");
}

TEST(WriteExportFilesTest, NamesTheDirectoryItCannotCreate) {
  const std::filesystem::path file =
      std::filesystem::path(::testing::TempDir()) / "plain-file";
  std::ofstream(file) << "not a directory";
  const absl::Status status =
      WriteExportFiles((file / "sub").string(), {{"a.csv", "x"}});
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("plain-file"), std::string::npos) << status;
}

}  // namespace
}  // namespace seed::cli
