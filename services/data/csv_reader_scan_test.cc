#include "services/data/csv_reader_scan.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/text.h"
#include "common/time.h"
#include "gtest/gtest.h"

namespace seed::data {
namespace {

constexpr int kOhlcvColumns[5] = {1, 2, 3, 4, 5};
constexpr int kYahooColumns[5] = {1, 2, 3, 4, 6};

TEST(ScanTextTest, CountsNewlinesAndFindsTheFirstNonAsciiByte) {
  EXPECT_EQ(ScanText("").newlines, 0);
  EXPECT_FALSE(ScanText("").first_non_ascii.has_value());
  const std::string text = "a\nbb\n\nccc,ddd,eee\nfff\n\ngggggggggggg";
  const TextScan scan = ScanText(text);
  EXPECT_EQ(scan.newlines, 6);
  EXPECT_FALSE(scan.first_non_ascii.has_value());
  // Every position, in and out of the eight-byte words.
  for (size_t at = 0; at < text.size(); ++at) {
    std::string changed = text;
    changed[at] = '\xE9';
    const TextScan found = ScanText(changed);
    EXPECT_EQ(found.first_non_ascii, at);
    EXPECT_EQ(found.newlines, 6 - (text[at] == '\n')) << at;
  }
}

TEST(FirstInvalidUtf8FromTest, AgreesWithTheByteByByteCheck) {
  const std::vector<std::string> texts = {
      "\xEF\xBB\xBF"
      "date,open\n1,2\n",                         // byte order mark
      "abc caf\xC3\xA9 12345678 \xE2\x82\xAC\n",  // valid
      "abc caf\xE9 more text\n",                  // Latin-1
      "abcdefgh\xC3",                             // cut at the end
      "abcdefgh\xC3z and more",                   // cut by ASCII
      "abcdefghijklmnop\x80",                     // lone continuation
      "ok \xF0\x9F\x93\x88 then \xED\xA0\x80",    // a surrogate
      "\xC0\xAF overlong",                        // overlong form
      "12345678901234567890\xF4\x90\x80\x80",     // past U+10FFFF
  };
  for (const std::string& text : texts) {
    const TextScan scan = ScanText(text);
    ASSERT_TRUE(scan.first_non_ascii.has_value()) << text;
    EXPECT_EQ(FirstInvalidUtf8From(text, *scan.first_non_ascii),
              FirstInvalidUtf8(text))
        << text;
  }
}

TEST(DaysFromCivilTest, CountsFromTheEpoch) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(0, 1, 1), -719528);
}

TEST(ParseTimeFastTest, AgreesWithParseTimeOnEveryDayOfSixCenturies) {
  int64_t day = DaysFromCivil(1700, 1, 1);
  for (int year = 1700; year < 2300; ++year) {
    for (int month = 1; month <= 12; ++month) {
      for (int d = 1; d <= 31; ++d) {
        const std::string text =
            absl::StrFormat("%04d-%02d-%02d", year, month, d);
        const absl::StatusOr<int64_t> expected = ParseTime(text);
        int64_t seconds = 0;
        ASSERT_EQ(ParseTimeFast(text, &seconds), expected.ok()) << text;
        if (!expected.ok()) continue;
        ASSERT_EQ(seconds, *expected) << text;
        ASSERT_EQ(seconds, day++ * kSecondsPerDay) << text;
      }
    }
  }
}

TEST(ParseTimeFastTest, AgreesWithParseTimeOnTimesOfDayAndOddForms) {
  std::vector<std::string> texts = {
      "2020-01-02T09:30",    "2020-01-02 09:30",    "2020-01-02T09:30:59",
      "2020-01-02T23:59:59", "2020-01-02T24:00:00", "2020-01-02T09:60",
      "2020-01-02T09:30:60", "2020-01-02X09:30",    "2020-01-02T09-30",
      "2020-01-02T9:30",     "2020-01-02T09:30:5",  "2020-01-02T09:30:05Z",
      "2020-1-02",           "2020/01/02",          " 2020-01-02",
      "2020-01-02 ",         "0000-01-01",          "9999-12-31T23:59:59",
      "1900-02-29",          "2000-02-29",          "2021-00-10",
      "2021-13-10",          "2021-04-31",          "2021-04-00",
      "+020-01-02",          "20a0-01-02",          "",
      "2020-01-02T",         "2020-01-02T09:30:",
  };
  std::mt19937 random(7);
  for (int i = 0; i < 20000; ++i) {
    texts.push_back(absl::StrFormat(
        "%04d-%02d-%02dT%02d:%02d:%02d", random() % 10000, random() % 14,
        random() % 33, random() % 26, random() % 62, random() % 62));
  }
  for (const std::string& text : texts) {
    const absl::StatusOr<int64_t> expected = ParseTime(text);
    int64_t seconds = -1;
    ASSERT_EQ(ParseTimeFast(text, &seconds), expected.ok()) << text;
    if (expected.ok()) {
      EXPECT_EQ(seconds, *expected) << text;
    }
  }
}

TEST(ParseNumberFastTest, AgreesWithFromCharsOnEveryKindOfNumber) {
  std::vector<std::string> texts = {
      "0",
      "-0",
      "1",
      "10",
      "1000",
      "3602.125",
      "0.1",
      "0.3",
      "-12.25",
      "1.",
      ".5",
      "-.5",
      "1e5",
      "1.5E-3",
      "inf",
      "-inf",
      "nan",
      "+1",
      "",
      "-",
      "abc",
      "007",
      "1.5.3",
      "12,5",
      "123456789012345",
      "1234567890123456",  // 15 and 16 digits
      "0.000000000000001",
      "99999999999999.9",
      "1.7976931348623157e308",
      "1e400",
      "4.9e-324",
  };
  std::mt19937_64 random(42);
  for (int i = 0; i < 200000; ++i) {
    // Decimals of up to 17 digits with the point anywhere.
    std::string digits = std::to_string(random() % 100000000000000000ULL);
    const size_t point = random() % (digits.size() + 1);
    if (point < digits.size()) digits.insert(point, ".");
    if (random() % 4 == 0) digits.insert(0, "-");
    texts.push_back(digits);
  }
  for (const std::string& text : texts) {
    const char* end = text.data() + text.size();
    double expected = 0;
    const std::from_chars_result parsed =
        std::from_chars(text.data(), end, expected);
    const bool ok = parsed.ec == std::errc() && std::isfinite(expected);
    double value = -1;
    const char* stop = ParseNumberFast(text.data(), end, &value);
    ASSERT_EQ(stop != nullptr, ok) << text;
    if (!ok) continue;
    ASSERT_EQ(stop, parsed.ptr) << text;
    // Bit for bit, the sign of zero included.
    ASSERT_EQ(std::memcmp(&value, &expected, sizeof(value)), 0)
        << text << ": " << value << " vs " << expected;
  }
}

TEST(RowScannerTest, ReadsADateOnceButChecksEveryTime) {
  RowScanner scanner(6, kOhlcvColumns);
  FastRow row;
  ASSERT_TRUE(scanner.Parse("2020-01-02T09:30,1,1,1,1,1", &row));
  EXPECT_EQ(row.time, *ParseTime("2020-01-02T09:30"));
  ASSERT_TRUE(scanner.Parse("2020-01-02T09:31:05,1,1,1,1,1", &row));
  EXPECT_EQ(row.time, *ParseTime("2020-01-02T09:31:05"));
  EXPECT_FALSE(scanner.Parse("2020-01-02T24:00,1,1,1,1,1", &row));
  EXPECT_FALSE(scanner.Parse("2020-01-02X09:32,1,1,1,1,1", &row));
  EXPECT_FALSE(scanner.Parse("2020-02-30,1,1,1,1,1", &row));
  // Ten bytes that are no date, whatever was read before them.
  EXPECT_FALSE(scanner.Parse(std::string(10, '\0') + ",1,1,1,1,1", &row));
  RowScanner fresh(6, kOhlcvColumns);
  EXPECT_FALSE(fresh.Parse(std::string(10, '\0') + ",1,1,1,1,1", &row));
  ASSERT_TRUE(scanner.Parse("2020-01-03,1,1,1,1,1", &row));
  EXPECT_EQ(row.time, *ParseTime("2020-01-03"));
}

TEST(RowScannerTest, ReadsACleanRowInPlace) {
  FastRow row;
  RowScanner ohlcv(6, kOhlcvColumns);
  ASSERT_TRUE(ohlcv.Parse("2020-01-02,10,11.5,9.25,10.5,1000", &row));
  EXPECT_EQ(row.time, *ParseTime("2020-01-02"));
  EXPECT_EQ(row.values[0], 10);
  EXPECT_EQ(row.values[1], 11.5);
  EXPECT_EQ(row.values[2], 9.25);
  EXPECT_EQ(row.values[3], 10.5);
  EXPECT_EQ(row.values[4], 1000);
  // Yahoo's: Adj Close (field 5) is skipped whatever it holds.
  RowScanner yahoo(7, kYahooColumns);
  ASSERT_TRUE(yahoo.Parse("2020-01-02 09:30,1,2,0.5,1.5,adj?,7", &row));
  EXPECT_EQ(row.values[4], 7);
  EXPECT_EQ(row.time, *ParseTime("2020-01-02T09:30"));
}

TEST(RowScannerTest, LeavesEverythingElseToTheGeneralPath) {
  FastRow row;
  RowScanner scanner(6, kOhlcvColumns);
  for (const char* line : {
           "2020-01-02,10,11,9,10.5",             // too few fields
           "2020-01-02,10,11,9,10.5,1000,1",      // too many
           "2020-01-02, 10,11,9,10.5,1000",       // a space
           "2020-01-02,10 ,11,9,10.5,1000",       // a space
           "2020-01-02,10,11,9,10.5,1000 ",       // a space at the end
           " 2020-01-02,10,11,9,10.5,1000",       // a space first
           "2020-01-02,10,11,9,10.5,",            // an empty field
           "2020-01-02,10,11,9,null,1000",        // not a number
           "2020-01-02,10,11,9,nan,1000",         // not finite
           "2020-01-02,10,11,9,inf,1000",         // not finite
           "2020-01-02,+10,11,9,10.5,1000",       // from_chars refuses '+'
           "2020-01-02,10,11,9,10.5,1e",          // half a number
           "2020-02-30,10,11,9,10.5,1000",        // no such day
           "2020-01-02T25:00,10,11,9,10.5,1000",  // no such hour
           "20200102,10,11,9,10.5,1000",          // another time form
           "",                                    // nothing
           "2020-01-02",                          // a time alone
       }) {
    EXPECT_FALSE(scanner.Parse(line, &row)) << line;
  }
}

}  // namespace
}  // namespace seed::data
