// bt indicators as a user meets it: TTR's values on real data in the exact
// columns of the reference file, the data stage's verdict on bad input (exit
// 1) and usage errors (exit 2).
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/strategy/indicators/reference_table.h"
#include "tests/child_process.h"

namespace seed {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;
namespace table = strategy::testing;

constexpr char kHeader[] =
    "date,sma20,ema20,rsi14,atr14,bb_lower,bb_upper,macd,macd_signal";

// Every defined value must agree with TTR's to this relative difference.
constexpr double kRelativeTolerance = 1e-9;

class IndicatorsCommandTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bt_ = fs::absolute("cli/bt").string();
    fs::remove_all(Dir());
    fs::create_directories(Dir() / "data");
    // 30 daily bars of a slow zigzag: enough for every column but the
    // MACD signal line.
    std::ofstream file(Dir() / "data" / "ZIG.csv");
    file << "date,open,high,low,close,volume\n";
    for (int day = 1; day <= 30; ++day) {
      const double close = 100 + (day % 7) - 0.25 * day;
      file << absl::StrCat("2020-01-", day < 10 ? "0" : "", day, ",", close,
                           ",", close + 1, ",", close - 1, ",", close,
                           ",1000\n");
    }
  }

  static fs::path Dir() {
    return fs::path(::testing::TempDir()) / "indicators_command";
  }

  static testing::CommandResult Bt(const std::string& arguments) {
    return testing::RunCommand("cd " + Dir().string() + " && " + bt_ +
                               " indicators " + arguments);
  }

  static std::string Read(const fs::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

  static inline std::string bt_;
};

TEST_F(IndicatorsCommandTest, OrclMatchesTtrInTheReferenceColumns) {
  const std::optional<std::string> shared = table::SharedDataDir();
  if (!shared.has_value()) {
    GTEST_SKIP() << "SHARED_DATA_DIR is not set: it names the directory of "
                    "ORCL.csv, with TTR's values in ../reference";
  }
  const fs::path out = Dir() / "orcl_indicators.csv";
  const testing::CommandResult run =
      Bt("--data " + *shared + "/ORCL.csv --out " + out.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("ORCL"));
  const std::string text = Read(out);
  EXPECT_EQ(text.substr(0, text.find('\n')), kHeader);

  const absl::StatusOr<table::CsvTable> computed =
      table::ReadCsvTable(out.string());
  ASSERT_TRUE(computed.ok()) << computed.status();
  const absl::StatusOr<table::CsvTable> reference =
      table::ReadCsvTable(*shared + "/../reference/ORCL_indicators_ttr.csv");
  ASSERT_TRUE(reference.ok()) << reference.status();
  table::ExpectTablesMatch(*computed, *reference, kRelativeTolerance);
}

TEST_F(IndicatorsCommandTest, WarmUpCellsAreEmptyAndDatesAreAsInTheInput) {
  ASSERT_EQ(Bt("--data data/ZIG.csv --out zig.csv").exit_code, 0);
  const absl::StatusOr<table::CsvTable> zig =
      table::ReadCsvTable((Dir() / "zig.csv").string());
  ASSERT_TRUE(zig.ok()) << zig.status();
  ASSERT_EQ(zig->rows.size(), 30u);
  EXPECT_EQ(zig->rows[0][0], "2020-01-01");
  EXPECT_EQ(zig->rows[29][0], "2020-01-30");
  const int sma = zig->Column("sma20");
  const int rsi = zig->Column("rsi14");
  const int macd = zig->Column("macd");
  const int signal = zig->Column("macd_signal");
  EXPECT_EQ(zig->rows[18][sma], "");
  EXPECT_NE(zig->rows[19][sma], "");
  EXPECT_EQ(zig->rows[13][rsi], "");
  EXPECT_NE(zig->rows[14][rsi], "");
  EXPECT_EQ(zig->rows[24][macd], "");
  EXPECT_NE(zig->rows[25][macd], "");
  EXPECT_EQ(zig->rows[29][signal], "");
}

TEST_F(IndicatorsCommandTest, ADirectoryWithSymbolReadsTheSameFile) {
  ASSERT_EQ(Bt("--data data/ZIG.csv --out by_file.csv").exit_code, 0);
  const testing::CommandResult by_dir =
      Bt("--data data --symbol ZIG --out by_dir.csv");
  ASSERT_EQ(by_dir.exit_code, 0) << by_dir.output;
  EXPECT_EQ(Read(Dir() / "by_dir.csv"), Read(Dir() / "by_file.csv"));
  EXPECT_EQ(Bt("--data data/ZIG.csv --symbol ZIG --out same.csv").exit_code, 0);
}

TEST_F(IndicatorsCommandTest, BadRowsFailWithTheDataStagesErrorAndExitOne) {
  fs::create_directories(Dir() / "bad");
  std::ofstream(Dir() / "bad" / "BAD.csv")
      << "date,open,high,low,close,volume\n"
         "2020-01-02,10,11,9,10,100\n"
         "2020-01-03,10,9,11,10,100\n";
  const testing::CommandResult bad = Bt("--data bad/BAD.csv --out bad.csv");
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("error in data at BAD"));
  EXPECT_THAT(bad.output, HasSubstr("line 3"));
  EXPECT_FALSE(fs::exists(Dir() / "bad.csv"));

  const testing::CommandResult missing = Bt("--data data/NOPE.csv --out n.csv");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("error in data at NOPE"));
  EXPECT_THAT(missing.output, HasSubstr("ZIG"));  // what the directory holds
}

TEST_F(IndicatorsCommandTest, BadUsageExitsTwo) {
  for (const char* arguments : {
           "",
           "--data data/ZIG.csv",                         // no --out
           "--out x.csv",                                 // no --data
           "--data data/ZIG.csv --out x.csv --window 5",  // unknown flag
           "data/ZIG.csv --out x.csv",                    // a positional
           "--data data --out x.csv",          // a directory without --symbol
           "--data data/ZIG.txt --out x.csv",  // not a CSV file
           "--data data/ZIG.csv --symbol ORCL --out x.csv",  // another symbol
       }) {
    const testing::CommandResult run = Bt(arguments);
    EXPECT_EQ(run.exit_code, 2) << arguments << "\n" << run.output;
    EXPECT_THAT(run.output, HasSubstr("usage: bt indicators")) << arguments;
  }
}

}  // namespace
}  // namespace seed
