// The hot loop of ParseCsv (csv_reader.h): one pass over a file's bytes for
// its line count and where non-ASCII text starts, and the parse of a clean row
// in place, without copies, trimming or calendar libraries. Each function
// answers only for input it fully understands and says when it does not; the
// reader then takes its general path, which words every message, so a result
// never depends on which path read a row. Thread-safe: pure functions.
#ifndef SEED_SERVICES_DATA_CSV_READER_SCAN_H_
#define SEED_SERVICES_DATA_CSV_READER_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace seed::data {

struct TextScan {
  // '\n' bytes in the text.
  int64_t newlines = 0;
  // Offset of the first byte >= 0x80, or nullopt when the text is ASCII.
  std::optional<size_t> first_non_ascii;
};

TextScan ScanText(absl::string_view text);

// FirstInvalidUtf8(text) (common/text.h), given where the first non-ASCII
// byte is: ASCII stretches are skipped eight bytes at a time and only the
// stretches of non-ASCII bytes are decoded, which gives the same offset
// because a well-formed multi-byte sequence never holds an ASCII byte.
std::optional<size_t> FirstInvalidUtf8From(absl::string_view text,
                                           size_t first_non_ascii);

// Days from 1970-01-01 to year-month-day of the proleptic Gregorian calendar
// (negative before 1970). `month` in [1, 12], `day` in [1, 31].
int64_t DaysFromCivil(int64_t year, int month, int day);

// ParseTime (common/time.h) for exactly "YYYY-MM-DD", "YYYY-MM-DDTHH:MM" and
// "YYYY-MM-DDTHH:MM:SS" (T or a space), with the same answer; false for
// anything else, valid or not (ParseTime then says what is wrong).
bool ParseTimeFast(absl::string_view text, int64_t* seconds);

// std::from_chars(p, end, value) for a finite number: the end of the number,
// or nullptr when there is none or it is not finite. A plain decimal of at
// most 15 digits ("-12.25", "1000") is read by Clinger's fast path: its
// digits and 10^k are exact doubles, so one IEEE division rounds as
// from_chars does; anything else is from_chars's.
const char* ParseNumberFast(const char* p, const char* end, double* value);

// A row's time and its five values, in the order open, high, low, close,
// volume.
struct FastRow {
  int64_t time = 0;
  double values[5] = {};
};

// Reads the clean rows of one file in place. Not thread-safe: one scanner
// per file being parsed.
class RowScanner {
 public:
  // Rows of exactly `fields` fields whose values (open, high, low, close,
  // volume) are fields columns[0..4], increasing; field 0 is the time.
  RowScanner(int fields, const int columns[5]);

  // Reads `line` (no '\n' and no final '\r') when it is exactly the
  // scanner's fields separated by commas, none with spaces around it, field 0
  // a time ParseTimeFast reads, and the value fields finite numbers
  // std::from_chars reads whole, with its values (other fields are not looked
  // at); false otherwise. Example: "2020-01-02,10,11,9,10.5,100" with fields
  // 6 and columns {1, 2, 3, 4, 5}.
  bool Parse(absl::string_view line, FastRow* row);

 private:
  // ParseTimeFast, reading a date only when it differs from the last one.
  bool ParseTime(absl::string_view text, int64_t* seconds);

  int fields_;
  int columns_[5];
  // The last date read, and its days since the epoch.
  bool has_last_date_ = false;
  char last_date_[10] = {};
  int64_t last_days_ = 0;
};

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_CSV_READER_SCAN_H_
