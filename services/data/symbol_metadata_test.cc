#include "services/data/symbol_metadata.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

google::protobuf::RepeatedPtrField<std::string> Symbols(
    std::vector<std::string> symbols) {
  return {symbols.begin(), symbols.end()};
}

TEST(SymbolMetadataTest, ParsesRowsSkippingCommentsAndBlankLines) {
  const std::string text =
      "# sectors as of 2014\n"
      "symbol,sector,benchmarks\n"
      "\n"
      "ORCL, Software & Services ,SP500\r\n"
      "NVDA,Semiconductors,SP500; NDX100\n"
      "XYZ,Banks,\n";
  const absl::StatusOr<MetadataFile> file = ParseSymbolMetadata(text, "u.csv");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->rows.size(), 3);
  EXPECT_EQ(file->rows[0].symbol(), "ORCL");
  EXPECT_EQ(file->rows[0].sector(), "Software & Services");
  EXPECT_THAT(file->rows[0].benchmarks(), ElementsAre("SP500"));
  EXPECT_THAT(file->rows[1].benchmarks(), ElementsAre("SP500", "NDX100"));
  EXPECT_TRUE(file->rows[2].benchmarks().empty());
  // The sha256 of the file's bytes as read (comment, blank line, \r and
  // spaces included), from coreutils: printf '<text>' | sha256sum.
  EXPECT_EQ(file->content_hash,
            "0784e6615df0450ec8ae3443a8b789111210f8328ce1fd75d7622efa823dbbe5");
}

TEST(SymbolMetadataTest, BenchmarksColumnIsOptional) {
  const absl::StatusOr<MetadataFile> file =
      ParseSymbolMetadata("symbol,sector\nORCL,Software\n", "u.csv");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->rows.size(), 1);
  EXPECT_EQ(file->rows[0].sector(), "Software");
}

TEST(SymbolMetadataTest, ReportsEveryProblemWithFileLineAndColumn) {
  const absl::StatusOr<MetadataFile> file = ParseSymbolMetadata(
      "symbol,sector,benchmarks\n"
      "ORCL,Software,SP500\n"
      "NVDA,,SP500\n"             // line 3: empty sector
      "ORCL,Software,\n"          // line 4: repeats line 2
      "YHOO,Internet\n"           // line 5: 2 cells
      "AAPL,Hardware,SP500;;X\n"  // line 6: empty benchmark name
      "MSFT,Software,X;X\n",      // line 7: repeated benchmark
      "/d/u.csv");
  ASSERT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(file.status(), "").reason(), "INVALID_METADATA");
  const std::string message(file.status().message());
  EXPECT_THAT(message, HasSubstr("metadata file /d/u.csv has 5 problems"));
  EXPECT_THAT(message, HasSubstr("/d/u.csv line 3, column sector: empty"));
  EXPECT_THAT(message,
              HasSubstr("/d/u.csv line 4, column symbol: ORCL repeats line 2"));
  EXPECT_THAT(message,
              HasSubstr("/d/u.csv line 5: has 2 cells; the header has 3"));
  EXPECT_THAT(message, HasSubstr("/d/u.csv line 6, column benchmarks: "
                                 "'SP500;;X' has an empty name"));
  EXPECT_THAT(message, HasSubstr("/d/u.csv line 7, column benchmarks: 'X' is "
                                 "listed twice"));
}

TEST(SymbolMetadataTest, RejectsAWrongHeader) {
  const absl::StatusOr<MetadataFile> file =
      ParseSymbolMetadata("# c\nticker,sector\nORCL,Software\n", "u.csv");
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.status().message(),
              HasSubstr("u.csv line 2, column 1: header cell is 'ticker'; "
                        "expected 'symbol'"));
  EXPECT_THAT(
      ParseSymbolMetadata("# only a comment\n", "u.csv").status().message(),
      HasSubstr("u.csv line 1: the file has no header"));
}

TEST(SymbolMetadataTest, MetadataForNamesEverySymbolWithoutARow) {
  const absl::StatusOr<MetadataFile> file = ParseSymbolMetadata(
      "symbol,sector\nORCL,Software\nNVDA,Chips\n", "u.csv");
  ASSERT_TRUE(file.ok());
  const auto rows = MetadataFor(*file, Symbols({"NVDA", "ORCL"}));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2);
  EXPECT_EQ((*rows)[0].symbol(), "NVDA");
  EXPECT_EQ((*rows)[1].sector(), "Software");

  const auto missing = MetadataFor(*file, Symbols({"YHOO", "ORCL", "AAPL"}));
  ASSERT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  const auto error = ToStageError(missing.status(), "");
  EXPECT_EQ(error.reason(), "METADATA_MISSING_SYMBOL");
  EXPECT_EQ(error.symbol(), "YHOO");
  EXPECT_THAT(missing.status().message(),
              HasSubstr("metadata file u.csv has no row for YHOO, AAPL"));
}

TEST(SymbolMetadataTest, LoadsRelativeToTheDataDirectory) {
  const std::string dir =
      (std::filesystem::path(::testing::TempDir()) / "metadata_dir")
          .lexically_normal()
          .string();
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/u.csv") << "symbol,sector\nORCL,Software\n";
  const absl::StatusOr<MetadataFile> file = LoadSymbolMetadata(dir, "u.csv");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->rows.size(), 1);

  const absl::StatusOr<MetadataFile> absent =
      LoadSymbolMetadata(dir, "absent.csv");
  ASSERT_EQ(absent.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ToStageError(absent.status(), "").reason(), "METADATA_UNREADABLE");
  EXPECT_EQ(
      absent.status().message(),
      absl::StrCat("cannot read metadata file ", dir,
                   "/absent.csv: No such file or directory (data.metadata "
                   "'absent.csv')"));

  // A FIFO would block the data service's thread forever: refused at once.
  ASSERT_EQ(mkfifo((dir + "/pipe.csv").c_str(), 0600), 0);
  const absl::StatusOr<MetadataFile> fifo = LoadSymbolMetadata(dir, "pipe.csv");
  EXPECT_EQ(ToStageError(fifo.status(), "").reason(), "NOT_A_REGULAR_FILE");
  EXPECT_EQ(fifo.status().message(),
            absl::StrCat("metadata file ", dir,
                         "/pipe.csv is a FIFO (named pipe), not a regular file "
                         "(data.metadata 'pipe.csv')"));

  std::ofstream(dir + "/latin1.csv") << "symbol,sector\nORCL,T\xE9l\xE9com\n";
  const absl::StatusOr<MetadataFile> latin1 =
      LoadSymbolMetadata(dir, "latin1.csv");
  EXPECT_EQ(ToStageError(latin1.status(), "").reason(), "INVALID_ENCODING");
  EXPECT_EQ(latin1.status().message(),
            absl::StrCat("metadata file ", dir,
                         "/latin1.csv line 2: byte 0xE9 at byte offset 20 is "
                         "not valid UTF-8"));
}

}  // namespace
}  // namespace seed::data
