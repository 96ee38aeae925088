#include "services/data/csv_reader.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/sha256.h"
#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::data {
namespace {

using ::backtest::v1::DataIssue;
using ::backtest::v1::FileReport;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPath[] = "/data/ORCL.csv";
constexpr char kHeader[] = "date,open,high,low,close,volume\n";

ParsedFile Parse(const std::string& text) {
  absl::StatusOr<ParsedFile> file = ParseCsv(text, kPath, "ORCL");
  EXPECT_TRUE(file.ok()) << file.status();
  return file.ok() ? *std::move(file) : ParsedFile();
}

// The issues of one kind as "line:message".
std::vector<std::string> Issues(const FileReport& report,
                                absl::string_view kind) {
  std::vector<std::string> found;
  for (const DataIssue& issue : report.issues()) {
    if (issue.kind() == kind) {
      found.push_back(absl::StrCat(issue.line(), ":", issue.message()));
    }
  }
  return found;
}

int64_t Count(const FileReport& report, absl::string_view kind) {
  const auto it = report.issue_counts().find(std::string(kind));
  return it == report.issue_counts().end() ? 0 : it->second;
}

// A clean daily or intraday bar at each time.
std::string Rows(const std::vector<std::string>& times) {
  std::string text = kHeader;
  for (const std::string& time : times) {
    absl::StrAppend(&text, time, ",10,11,9,10.5,1000\n");
  }
  return text;
}

TEST(CsvReaderTest, ParsesOurDailyFormatColumnWise) {
  const ParsedFile file = Parse(absl::StrCat(
      kHeader, "1995-01-03,2.179012,2.191358,2.117284,2.117284,36301200\n",
      "1995-01-04,2.123457,2.148148,2.092592,2.135803,46051600\n"));
  EXPECT_THAT(file.bars.time, ElementsAre(789091200, 789177600));
  EXPECT_THAT(file.bars.open, ElementsAre(2.179012, 2.123457));
  EXPECT_THAT(file.bars.high, ElementsAre(2.191358, 2.148148));
  EXPECT_THAT(file.bars.low, ElementsAre(2.117284, 2.092592));
  EXPECT_THAT(file.bars.close, ElementsAre(2.117284, 2.135803));
  EXPECT_THAT(file.bars.volume, ElementsAre(36301200, 46051600));
  const FileReport& report = file.report;
  EXPECT_EQ(report.format(), "ohlcv");
  EXPECT_EQ(report.symbol(), "ORCL");
  EXPECT_EQ(report.path(), kPath);
  EXPECT_EQ(report.rows_read(), 2);
  EXPECT_EQ(report.rows_kept(), 2);
  EXPECT_EQ(report.interval_seconds(), kSecondsPerDay);
  EXPECT_EQ(report.first_time(), "1995-01-03");
  EXPECT_EQ(report.last_time(), "1995-01-04");
  EXPECT_TRUE(report.issues().empty());
}

TEST(CsvReaderTest, AcceptsTimestampHeaderWithBomCaseSpacesAndCrLf) {
  const ParsedFile file = Parse(
      "\xEF\xBB\xBF Timestamp , OPEN,High,low,Close, volume \r\n"
      "2006-01-02T09:01:00,3602,3603,3597,3599,5699\r\n"
      "2006-01-02 09:02:00, 3600 ,3601,3598,3599,894\r\n"
      "\r\n"
      "2006-01-02T09:03:00,3599,3600,3598,3600,10\r\n");
  EXPECT_EQ(file.report.format(), "ohlcv");
  EXPECT_EQ(file.report.rows_read(), 3);
  EXPECT_EQ(file.report.rows_kept(), 3);
  EXPECT_EQ(file.report.interval_seconds(), 60);
  EXPECT_EQ(file.report.first_time(), "2006-01-02T09:01:00");
  EXPECT_EQ(file.bars.open[1], 3600);
}

TEST(CsvReaderTest, AcceptsTimeAsFirstColumnName) {
  EXPECT_EQ(Parse("time,open,high,low,close,volume\n"
                  "2006-01-02T09:01:00,1,1,1,1,0\n")
                .report.rows_kept(),
            1);
}

TEST(CsvReaderTest, ParsesYahooExportIgnoringAdjCloseAndRejectingNull) {
  const ParsedFile file = Parse(
      "Date,Open,High,Low,Close,Adj Close,Volume\n"
      "2014-12-30,45.5,46,45,45.75,40.1,100\n"
      "2014-12-31,null,null,null,null,null,null\n");
  EXPECT_EQ(file.report.format(), "yahoo");
  EXPECT_THAT(file.bars.close, ElementsAre(45.75));
  EXPECT_THAT(file.bars.volume, ElementsAre(100));
  EXPECT_EQ(file.report.rows_read(), 2);
  EXPECT_THAT(Issues(file.report, kUnparsableRow),
              ElementsAre("3:open 'null' is not a number"));
}

TEST(CsvReaderTest, UnknownHeaderNamesTheFileAndBothAcceptedHeaders) {
  for (const std::string& text :
       {std::string("day,o,h,l,c,v\n1995-01-03,1,1,1,1,1\n"),
        std::string("date,open,high,low,close\n"), std::string("")}) {
    const absl::StatusOr<ParsedFile> file = ParseCsv(text, kPath, "ORCL");
    ASSERT_FALSE(file.ok());
    EXPECT_EQ(file.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(file.status().message(), HasSubstr(kPath));
    EXPECT_THAT(file.status().message(),
                HasSubstr("'date,open,high,low,close,volume'"));
    EXPECT_THAT(file.status().message(),
                HasSubstr("'Date,Open,High,Low,Close,Adj Close,Volume'"));
    const backtest::v1::StageError error = ToStageError(file.status(), "");
    EXPECT_EQ(error.stage(), "data");
    EXPECT_EQ(error.reason(), kUnknownFormatReason);
    EXPECT_EQ(error.symbol(), "ORCL");
  }
  EXPECT_THAT(ParseCsv("", kPath, "ORCL").status().message(),
              HasSubstr("the file is empty"));
}

// Line numbers count the header as line 1.
constexpr char kEveryIssue[] =
    "date,open,high,low,close,volume\n"
    "1995-01-02,10,11,9,10,100\n"         // 2 kept
    "1995-01-03,10,11,9,10\n"             // 3 field count
    "1995-01-04,abc,11,9,10,100\n"        // 4 not a number
    "1995-13-05,10,11,9,10,100\n"         // 5 bad date
    "1995-01-05,10,11,0,10,100\n"         // 6 low 0
    "1995-01-06,4.15,4.1,4.2,4.15,100\n"  // 7 high < low
    "1995-01-09,12,11,9,10,100\n"         // 8 open above high
    "1995-01-10,10,11,9,8.5,100\n"        // 9 close below low
    "1995-01-11,10,11,9,10,-5\n"          // 10 negative volume
    "1995-01-02,10,11,9,10,100\n"         // 11 repeats line 2
    "1995-01-12,10,11,9,10,100\n"         // 12 kept
    "1995-01-11,10,11,9,10,100\n"         // 13 before line 12
    "1995-01-13,10,11,9,10,100\n";        // 14 kept

TEST(CsvReaderTest, ReportsEveryIssueKindWithLineNumbers) {
  const ParsedFile file = Parse(kEveryIssue);
  const FileReport& report = file.report;
  EXPECT_EQ(report.rows_read(), 13);
  EXPECT_EQ(report.rows_kept(), 3);
  EXPECT_EQ(BadRowCount(report), 10);
  EXPECT_EQ(report.rows_dropped(), 0);
  EXPECT_THAT(file.bars.time,
              ElementsAre(*ParseTime("1995-01-02"), *ParseTime("1995-01-12"),
                          *ParseTime("1995-01-13")));
  EXPECT_THAT(Issues(report, kUnparsableRow),
              ElementsAre("3:expected 6 fields, found 5",
                          "4:open 'abc' is not a number",
                          HasSubstr("5:'1995-13-05' is not")));
  EXPECT_THAT(Issues(report, kNonPositivePrice),
              ElementsAre("6:low 0 is not positive"));
  EXPECT_THAT(Issues(report, kHighBelowLow),
              ElementsAre("7:high 4.1 < low 4.2"));
  EXPECT_THAT(Issues(report, kOpenOutsideRange),
              ElementsAre("8:open 12 outside [low 9, high 11]"));
  EXPECT_THAT(Issues(report, kCloseOutsideRange),
              ElementsAre("9:close 8.5 outside [low 9, high 11]"));
  EXPECT_THAT(Issues(report, kNegativeVolume), ElementsAre("10:volume -5 < 0"));
  EXPECT_THAT(Issues(report, kDuplicateTime),
              ElementsAre("11:time repeats line 2"));
  EXPECT_THAT(Issues(report, kOutOfOrderTime),
              ElementsAre("13:time is before 1995-01-12 on line 12"));
  EXPECT_EQ(Count(report, kUnparsableRow), 3);
  // Only rows 2 and 12 are kept before line 12: 10 days apart.
  EXPECT_THAT(
      Issues(report, kGap),
      ElementsAre(HasSubstr("12:no bars for 10 days after 1995-01-02")));
  // Issues come in line order; the row's time is kept once it parsed.
  EXPECT_EQ(report.issues(0).line(), 3);
  EXPECT_EQ(report.issues(0).time(), "");
  EXPECT_EQ(report.issues(4).time(), "1995-01-06");
  EXPECT_EQ(DescribeBadRowCounts(report),
            "3 unparsable_row, 1 non_positive_price, 1 high_below_low, "
            "1 open_outside_range, 1 close_outside_range, 1 negative_volume, "
            "1 duplicate_time, 1 out_of_order_time");
}

TEST(CsvReaderTest, RejectFailsNamingFileCountsAndFirstLines) {
  for (const auto policy :
       {backtest::v1::REJECT, backtest::v1::BAD_ROW_POLICY_UNSPECIFIED}) {
    FileReport report = Parse(kEveryIssue).report;
    const absl::Status status = ApplyBadRowPolicy(policy, &report);
    ASSERT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
    EXPECT_THAT(status.message(),
                HasSubstr("/data/ORCL.csv has 10 bad rows of 13 (3 "
                          "unparsable_row, 1 non_positive_price"));
    EXPECT_THAT(status.message(),
                HasSubstr("ORCL.csv line 3: expected 6 fields, found 5"));
    EXPECT_THAT(status.message(),
                HasSubstr("ORCL.csv line 7 (1995-01-06): high 4.1 < low 4.2"));
    // Only the first five offending lines are quoted.
    EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("line 8 ")));
    const backtest::v1::StageError error = ToStageError(status, "");
    EXPECT_EQ(error.stage(), "data");
    EXPECT_EQ(error.reason(), "BAD_ROWS");
    EXPECT_EQ(error.symbol(), "ORCL");
    EXPECT_EQ(error.hint(), "fix the file or set data.on_bad_rows: drop");
    EXPECT_EQ(report.rows_dropped(), 0);
  }
}

TEST(CsvReaderTest, DropCountsTheDroppedRows) {
  FileReport report = Parse(kEveryIssue).report;
  ASSERT_TRUE(ApplyBadRowPolicy(backtest::v1::DROP, &report).ok());
  EXPECT_EQ(report.rows_dropped(), 10);
  EXPECT_EQ(report.rows_kept(), 3);
  EXPECT_EQ(report.issue_counts().at("high_below_low"), 1);
}

TEST(CsvReaderTest, CleanFilePassesReject) {
  FileReport report =
      Parse(Rows({"1995-01-02", "1995-01-03", "1995-01-04"})).report;
  EXPECT_TRUE(ApplyBadRowPolicy(backtest::v1::REJECT, &report).ok());
}

TEST(CsvReaderTest, KeepsFirstFiveIssuesOfAKindButCountsAll) {
  std::string text = kHeader;
  for (int day = 10; day < 18; ++day) {
    absl::StrAppend(&text, "1995-01-", day, ",4,4,5,4,1\n");
  }
  const FileReport report = Parse(text).report;
  EXPECT_EQ(Count(report, kHighBelowLow), 8);
  EXPECT_EQ(Issues(report, kHighBelowLow).size(), kMaxIssuesPerKind);
  EXPECT_EQ(report.issues(4).line(), 6);
}

TEST(CsvReaderTest, DailyGapsBeyondSevenDaysAreWarnings) {
  // 2001-09-10 -> 09-17 (the September 2001 closure) is 7 days: normal.
  // 2001-09-21 -> 10-01 is 10 days: a gap.
  FileReport report =
      Parse(Rows({"2001-09-06", "2001-09-07", "2001-09-10", "2001-09-17",
                  "2001-09-18", "2001-09-19", "2001-09-20", "2001-09-21",
                  "2001-10-01", "2001-10-02"}))
          .report;
  EXPECT_EQ(report.interval_seconds(), kSecondsPerDay);
  EXPECT_EQ(Count(report, kGap), 1);
  EXPECT_THAT(Issues(report, kGap),
              ElementsAre("10:no bars for 10 days after 2001-09-21 (more than "
                          "7 days is unusual for daily data)"));
  EXPECT_EQ(report.issues(0).time(), "2001-10-01");
  EXPECT_EQ(report.rows_kept(), 10);
  EXPECT_EQ(BadRowCount(report), 0);
  EXPECT_TRUE(ApplyBadRowPolicy(backtest::v1::REJECT, &report).ok());
}

TEST(CsvReaderTest, EightDaysIsAGapForDailyData) {
  const FileReport report =
      Parse(Rows({"2001-09-04", "2001-09-05", "2001-09-06", "2001-09-14"}))
          .report;
  EXPECT_EQ(Count(report, kGap), 1);
}

TEST(CsvReaderTest, IntradayGapsBeyondFourDaysAreWarnings) {
  // One-minute bars; a weekend break (Fri 22:00 -> Mon 09:01) is normal, a
  // break of 4 days and a bit is not.
  const FileReport report =
      Parse(Rows({"2006-01-05T21:59:00", "2006-01-05T22:00:00",
                  "2006-01-06T09:01:00", "2006-01-06T09:02:00",
                  "2006-01-06T22:00:00", "2006-01-09T09:01:00",
                  "2006-01-09T09:02:00", "2006-01-09T09:03:00",
                  "2006-01-13T09:04:00", "2006-01-13T09:05:00"}))
          .report;
  EXPECT_EQ(report.interval_seconds(), 60);
  EXPECT_THAT(Issues(report, kGap),
              ElementsAre("10:no bars for 4.0 days after 2006-01-09T09:03:00 "
                          "(more than 4 days is unusual for intraday data)"));
}

TEST(CsvReaderTest, WeeklyBarsGetSlackOnTopOfTheirInterval) {
  // Weekly bars 7 days apart are normal; a skipped week (14 days) is a gap.
  const FileReport report =
      Parse(Rows({"2014-01-03", "2014-01-10", "2014-01-17", "2014-01-24",
                  "2014-02-07"}))
          .report;
  EXPECT_EQ(report.interval_seconds(), 7 * kSecondsPerDay);
  EXPECT_THAT(Issues(report, kGap),
              ElementsAre(HasSubstr("6:no bars for 14 days after 2014-01-24 "
                                    "(more than 13 days")));
}

TEST(CsvReaderTest, RejectsNonFiniteAndPartialNumbers) {
  const FileReport report =
      Parse(absl::StrCat(kHeader, "1995-01-02,nan,11,9,10,100\n",
                         "1995-01-03,10,inf,9,10,100\n",
                         "1995-01-04,10,11,9,10,1.5x\n",
                         "1995-01-05,10,11,9,10,\n"))
          .report;
  EXPECT_EQ(Count(report, kUnparsableRow), 4);
  EXPECT_EQ(report.rows_kept(), 0);
  EXPECT_EQ(report.interval_seconds(), 0);
  EXPECT_EQ(report.first_time(), "");
}

// Rows of every kind, clean ones mostly, in a random order of times.
std::string RandomRows(uint32_t seed, bool yahoo) {
  std::mt19937 random(seed);
  std::string text = yahoo ? "Date,Open,High,Low,Close,Adj Close,Volume\n"
                           : "timestamp,open,high,low,close,volume\n";
  int64_t time = *ParseTime("2001-01-01T00:00:00");
  const char* const kNumbers[] = {"10", "10.5", "1e1", "9.99",  "11",
                                  "0",  "-1",   "abc", "nan",   "",
                                  "1.", ".5",   "+3",  "1e400", "12"};
  for (int row = 0; row < 3000; ++row) {
    const int pick = random() % 100;
    // Mostly forward in time, sometimes a repeat, a step back or a gap.
    time += pick < 3 ? 0 : pick < 5 ? -120 : pick < 7 ? 6 * kSecondsPerDay : 60;
    std::string when = FormatTime(time);
    if (pick == 7) when = "2001-02-30";
    if (pick == 8) when = when.substr(0, 16);
    if (when.size() == 10 && pick % 2 == 0) when += "T00:00";
    std::vector<std::string> values;
    if (pick < 80) {
      const double low = 10 + (random() % 1000) / 100.0;
      const double high = low + (random() % 300) / 100.0;
      const double open = low + (high - low) * (random() % 100) / 100.0;
      const double close = low + (high - low) * (random() % 100) / 100.0;
      values = {absl::StrFormat("%.2f", open), absl::StrFormat("%.2f", high),
                absl::StrFormat("%.2f", low), absl::StrFormat("%.2f", close),
                absl::StrCat(random() % 100000)};
    } else {
      for (int v = 0; v < 5; ++v) {
        values.push_back(kNumbers[random() % std::size(kNumbers)]);
      }
    }
    if (yahoo) values.insert(values.begin() + 4, "adj");
    if (pick == 9) values.pop_back();
    if (pick == 10) values.push_back("1");
    absl::StrAppend(&text, when, ",", absl::StrJoin(values, ","),
                    pick == 11 ? "\r\n" : "\n", pick == 12 ? "\n" : "");
  }
  return text;
}

void ExpectSameParse(const ParsedFile& a, const ParsedFile& b) {
  EXPECT_EQ(a.bars.time, b.bars.time);
  EXPECT_EQ(a.bars.open, b.bars.open);
  EXPECT_EQ(a.bars.high, b.bars.high);
  EXPECT_EQ(a.bars.low, b.bars.low);
  EXPECT_EQ(a.bars.close, b.bars.close);
  EXPECT_EQ(a.bars.volume, b.bars.volume);
  EXPECT_EQ(a.report.DebugString(), b.report.DebugString());
}

TEST(CsvReaderTest, EveryRowReadsTheSameOnTheCleanAndTheGeneralPath) {
  // A space before each row sends it to the general path (fields are
  // trimmed there), whose words every message keeps; without it, clean rows
  // take the in-place path. Both must give the same bars and report.
  for (const bool yahoo : {false, true}) {
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      const std::string text = RandomRows(seed, yahoo);
      const size_t header_end = text.find('\n') + 1;
      const std::string spaced = absl::StrCat(
          text.substr(0, header_end), " ",
          absl::StrReplaceAll(text.substr(header_end), {{"\n", "\n "}}));
      const ParsedFile clean = Parse(text);
      const ParsedFile general = Parse(spaced);
      EXPECT_GT(clean.report.rows_kept(), 1000);
      EXPECT_GT(BadRowCount(clean.report), 100);
      ExpectSameParse(clean, general);
    }
  }
}

// Everything ParseCsv returns, in a canonical text (map entries sorted).
std::string Canonical(const ParsedFile& file) {
  std::string text;
  for (size_t i = 0; i < file.bars.size(); ++i) {
    absl::StrAppendFormat(&text, "%d %a %a %a %a %a\n", file.bars.time[i],
                          file.bars.open[i], file.bars.high[i],
                          file.bars.low[i], file.bars.close[i],
                          file.bars.volume[i]);
  }
  const FileReport& report = file.report;
  absl::StrAppend(&text, report.symbol(), "|", report.path(), "|",
                  report.format(), "|", report.rows_read(), "|",
                  report.rows_kept(), "|", report.rows_dropped(), "|",
                  report.interval_seconds(), "|", report.first_time(), "|",
                  report.last_time(), "\n");
  const std::map<std::string, int64_t> counts(report.issue_counts().begin(),
                                              report.issue_counts().end());
  for (const auto& [kind, count] : counts) {
    absl::StrAppend(&text, kind, "=", count, "\n");
  }
  for (const DataIssue& issue : report.issues()) {
    absl::StrAppend(&text, issue.kind(), "|", issue.line(), "|", issue.time(),
                    "|", issue.message(), "\n");
  }
  return text;
}

TEST(CsvReaderTest, ParserOutputIsPinnedToItsVersion) {
  // The column cache serves what an earlier run parsed, under the parser
  // version that parsed it. When this fails, ParseCsv's output changed: if
  // that is meant, bump kCsvParserVersion (csv_reader.h) and pin the new
  // version with the digest this prints.
  std::string all;
  for (const std::string& text :
       {std::string(kEveryIssue), RandomRows(11, false), RandomRows(12, true),
        Rows({"2001-09-06", "2001-09-21", "2001-10-01", "2001-10-02"}),
        std::string("\xEF\xBB\xBF Timestamp , OPEN,High,low,Close, volume \r\n"
                    "2006-01-02T09:01:00,3602,3603,3597,3599,5699\r\n")}) {
    absl::StrAppend(&all, Canonical(Parse(text)), "--\n");
  }
  const std::string digest = Sha256Hex(all);
  EXPECT_EQ(
      absl::StrCat(kCsvParserVersion, " ", digest),
      "1 4148e062863c6c2553649b2dd8b93721c7dfbe2c1b2d630a0f96f26318180ce9");
}

}  // namespace
}  // namespace seed::data
