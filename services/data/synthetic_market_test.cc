#include "services/data/synthetic_market.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/data/csv_reader.h"

namespace seed::data {
namespace {

using ::testing::ElementsAre;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class SyntheticMarketTest : public ::testing::Test {
 protected:
  // Writes a market with `seed` into its own directory and returns it.
  std::string Write(uint64_t seed, const std::string& name) {
    SyntheticMarketOptions options;
    options.output_dir = absl::StrCat(::testing::TempDir(), "/synth_", name);
    std::filesystem::remove_all(options.output_dir);
    options.seed = seed;
    const absl::Status status = WriteSyntheticMarket(options);
    EXPECT_TRUE(status.ok()) << status;
    return options.output_dir;
  }

  ParsedFile Parse(const std::string& dir, const std::string& symbol) {
    const std::string path = absl::StrCat(dir, "/", symbol, ".csv");
    absl::StatusOr<ParsedFile> file = ParseCsv(ReadFile(path), path, symbol);
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? *std::move(file) : ParsedFile();
  }
};

TEST(SyntheticSymbolNameTest, CountsInLetters) {
  EXPECT_EQ(SyntheticSymbolName(0), "SYNA");
  EXPECT_EQ(SyntheticSymbolName(4), "SYNE");
  EXPECT_EQ(SyntheticSymbolName(25), "SYNZ");
  EXPECT_EQ(SyntheticSymbolName(26), "SYNAA");
  EXPECT_EQ(SyntheticSymbolName(27), "SYNAB");
}

TEST_F(SyntheticMarketTest, SameSeedGivesIdenticalBytesAndOtherSeedsDiffer) {
  const std::string first = Write(42, "first");
  const std::string again = Write(42, "again");
  const std::string other = Write(43, "other");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(first)) {
    files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  EXPECT_THAT(files, ElementsAre("SYNA.csv", "SYNB.csv", "SYNC.csv", "SYND.csv",
                                 "SYNE.csv"));
  for (const std::string& file : files) {
    const std::string text = ReadFile(absl::StrCat(first, "/", file));
    EXPECT_EQ(text, ReadFile(absl::StrCat(again, "/", file))) << file;
    EXPECT_NE(text, ReadFile(absl::StrCat(other, "/", file))) << file;
  }
  // Symbols are not copies of each other.
  EXPECT_NE(ReadFile(first + "/SYNA.csv").substr(0, 200),
            ReadFile(first + "/SYND.csv").substr(0, 200));
}

TEST_F(SyntheticMarketTest, EveryFileValidatesWithoutBadRows) {
  const std::string dir = Write(42, "clean");
  for (int index = 0; index < 5; ++index) {
    const std::string symbol = SyntheticSymbolName(index);
    const ParsedFile file = Parse(dir, symbol);
    EXPECT_EQ(file.report.format(), "ohlcv");
    EXPECT_EQ(BadRowCount(file.report), 0) << symbol;
    EXPECT_GT(file.report.rows_read(), 0) << symbol;
    EXPECT_EQ(file.report.interval_seconds(), kSecondsPerDay);
    for (size_t i = 0; i < file.bars.size(); ++i) {
      // 1970-01-01 was a Thursday: (days + 4) % 7 is 0 on Sundays.
      const int weekday = (file.bars.time[i] / kSecondsPerDay + 4) % 7;
      ASSERT_TRUE(weekday >= 1 && weekday <= 5) << symbol << " row " << i;
      // Prices are whole cents.
      ASSERT_EQ(std::round(file.bars.close[i] * 100) / 100, file.bars.close[i]);
    }
  }
}

TEST_F(SyntheticMarketTest, OneSymbolHaltsAndOneListsLate) {
  const std::string dir = Write(42, "events");
  const ParsedFile full = Parse(dir, "SYNA");
  EXPECT_EQ(full.report.rows_read(), 1500);
  EXPECT_EQ(full.report.first_time(), "2015-01-02");
  EXPECT_EQ(full.report.issue_counts().count("gap"), 0);

  const ParsedFile halted = Parse(dir, SyntheticSymbolName(kHaltedSymbolIndex));
  EXPECT_EQ(halted.report.rows_read(), 1500 - kHaltTradingDays);
  EXPECT_EQ(halted.report.issue_counts().at("gap"), 1);
  EXPECT_EQ(halted.report.issues(0).line(), 1 + 900 + 1);  // header, 900 rows

  const ParsedFile late =
      Parse(dir, SyntheticSymbolName(kLateListingSymbolIndex));
  EXPECT_EQ(late.report.rows_read(), 1000);
  EXPECT_EQ(late.bars.time.front(), full.bars.time[500]);
  EXPECT_EQ(late.report.last_time(), full.report.last_time());
}

TEST_F(SyntheticMarketTest, LooksLikeAMarket) {
  const ParsedFile file = Parse(Write(42, "realism"), "SYNA");
  const BarColumns& bars = file.bars;
  int gapped_opens = 0, large_gaps = 0;
  std::vector<double> moves;  // |close-to-close return|
  for (size_t i = 1; i < bars.size(); ++i) {
    const double gap = bars.open[i] / bars.close[i - 1] - 1;
    gapped_opens += gap != 0;
    large_gaps += std::fabs(gap) > 0.04;
    moves.push_back(std::fabs(bars.close[i] / bars.close[i - 1] - 1));
    EXPECT_GT(bars.volume[i], 0);
  }
  EXPECT_GT(gapped_opens, static_cast<int>(bars.size()) * 9 / 10);
  EXPECT_GT(large_gaps, 0);
  // Volatility clusters: a big move tends to follow a big move.
  double mean = 0;
  for (double move : moves) mean += move / moves.size();
  double lagged = 0, variance = 0;
  for (size_t i = 0; i < moves.size(); ++i) {
    variance += (moves[i] - mean) * (moves[i] - mean);
    if (i > 0) lagged += (moves[i] - mean) * (moves[i - 1] - mean);
  }
  EXPECT_GT(lagged / variance, 0.05);
}

TEST(WriteSyntheticMarketTest, ListsEveryBadOption) {
  SyntheticMarketOptions options;
  options.symbols = 0;
  options.trading_days = 5;
  options.start_date = "2015-02-30";
  const absl::Status status = WriteSyntheticMarket(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(status)) {
    fields.push_back(problem.field);
  }
  EXPECT_THAT(fields, ElementsAre("output_dir", "symbols", "trading_days",
                                  "start_date"));
}

}  // namespace
}  // namespace seed::data
