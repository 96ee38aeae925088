#include "services/data/csv_reader_scan.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "common/text.h"
#include "common/time.h"

namespace seed::data {
namespace {

constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// Sixteen bytes, as GCC's vector extension (SSE2, NEON, or plain code).
typedef signed char ByteVector __attribute__((vector_size(16)));

// Clinger's fast path: a decimal of at most 15 digits is an exact double,
// and so is 10^k for k <= 22, so one IEEE division of the two is the
// correctly rounded value, as std::from_chars returns it.
constexpr int kMaxExactDigits = 15;
constexpr double kPowersOfTen[] = {1e0,  1e1,  1e2,  1e3, 1e4,  1e5,
                                   1e6,  1e7,  1e8,  1e9, 1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15};

uint64_t LoadWord(const char* bytes) {
  uint64_t word;
  std::memcpy(&word, bytes, sizeof(word));
  return word;
}

bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') <= 9; }

// Two digits at `text`, or -1.
int TwoDigits(const char* text) {
  if (!IsDigit(text[0]) || !IsDigit(text[1])) return -1;
  return (text[0] - '0') * 10 + (text[1] - '0');
}

bool IsLeapYear(int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

}  // namespace

TextScan ScanText(absl::string_view text) {
  TextScan scan;
  const char* const data = text.data();
  const size_t size = text.size();
  // Sixteen bytes at a time (SSE2 on x86-64, NEON on ARM): each lane counts
  // its newlines in a byte, summed before it could reach 256.
  constexpr size_t kLanes = sizeof(ByteVector);
  constexpr size_t kBlocksPerSum = 255;
  ByteVector any_high = {};
  size_t i = 0;
  while (i + kLanes <= size) {
    ByteVector counts = {};
    const size_t stop =
        std::min(i + kBlocksPerSum * kLanes, size - (size - i) % kLanes);
    for (; i < stop; i += kLanes) {
      ByteVector block;
      std::memcpy(&block, data + i, kLanes);
      counts -= block == '\n';  // a match is -1
      any_high |= block;
    }
    for (size_t lane = 0; lane < kLanes; ++lane) {
      scan.newlines += static_cast<unsigned char>(counts[lane]);
    }
  }
  bool high = false;
  for (size_t lane = 0; lane < kLanes; ++lane) high |= any_high[lane] < 0;
  for (; i < size; ++i) {
    scan.newlines += data[i] == '\n';
    high |= static_cast<unsigned char>(data[i]) >= 0x80;
  }
  if (high) {
    size_t first = 0;
    while (static_cast<unsigned char>(data[first]) < 0x80) ++first;
    scan.first_non_ascii = first;
  }
  return scan;
}

std::optional<size_t> FirstInvalidUtf8From(absl::string_view text,
                                           size_t first_non_ascii) {
  const char* const data = text.data();
  const size_t size = text.size();
  size_t i = first_non_ascii;
  while (i < size) {
    // [i, run_end): bytes >= 0x80, which must be whole sequences.
    size_t run_end = i;
    while (run_end < size &&
           static_cast<unsigned char>(data[run_end]) >= 0x80) {
      ++run_end;
    }
    if (const std::optional<size_t> bad =
            FirstInvalidUtf8(text.substr(i, run_end - i))) {
      return i + *bad;
    }
    // The ASCII stretch after it, a word at a time.
    i = run_end;
    while (i + sizeof(uint64_t) <= size &&
           (LoadWord(data + i) & kHighBits) == 0) {
      i += sizeof(uint64_t);
    }
    while (i < size && static_cast<unsigned char>(data[i]) < 0x80) ++i;
  }
  return std::nullopt;
}

int64_t DaysFromCivil(int64_t year, int month, int day) {
  // Years counted from March, so the leap day ends a year; 400-year eras of
  // 146,097 days. 719,468 days separate 0000-03-01 from 1970-01-01.
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year =
      (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

namespace {

bool IsTimeLength(size_t size) {
  return size == 10 || size == 16 || size == 19;
}

// Days since the epoch of text[0, 10), "YYYY-MM-DD"; false when it is not a
// valid date of that form.
bool ParseDate(const char* t, int64_t* days) {
  const int century = TwoDigits(t);
  const int year_in_century = TwoDigits(t + 2);
  const int month = TwoDigits(t + 5);
  const int day = TwoDigits(t + 8);
  if (century < 0 || year_in_century < 0 || t[4] != '-' || t[7] != '-' ||
      month < 1 || month > 12 || day < 1) {
    return false;
  }
  const int64_t year = century * 100 + year_in_century;
  if (day > DaysInMonth(year, month)) return false;
  *days = DaysFromCivil(year, month, day);
  return true;
}

// Seconds into the day of what follows the date in a time IsTimeLength
// accepts: nothing, "THH:MM" or "THH:MM:SS" (T or a space).
bool ParseTimeOfDay(const char* t, size_t size, int64_t* seconds) {
  int hour = 0, minute = 0, second = 0;
  if (size > 10) {
    hour = TwoDigits(t + 11);
    minute = TwoDigits(t + 14);
    if ((t[10] != 'T' && t[10] != ' ') || t[13] != ':' || hour < 0 ||
        hour > 23 || minute < 0 || minute > 59) {
      return false;
    }
    if (size == 19) {
      second = TwoDigits(t + 17);
      if (t[16] != ':' || second < 0 || second > 59) return false;
    }
  }
  *seconds = hour * 3600 + minute * 60 + second;
  return true;
}

}  // namespace

bool ParseTimeFast(absl::string_view text, int64_t* seconds) {
  int64_t days = 0, time_of_day = 0;
  if (!IsTimeLength(text.size()) || !ParseDate(text.data(), &days) ||
      !ParseTimeOfDay(text.data(), text.size(), &time_of_day)) {
    return false;
  }
  *seconds = days * kSecondsPerDay + time_of_day;
  return true;
}

const char* ParseNumberFast(const char* p, const char* end, double* value) {
  const char* q = p;
  const bool negative = q < end && *q == '-';
  q += negative;
  uint64_t mantissa = 0;
  int digits = 0, fraction_digits = 0;
  for (; q < end && IsDigit(*q); ++q, ++digits) {
    mantissa = mantissa * 10 + (*q - '0');
  }
  const int integer_digits = digits;
  if (q < end && *q == '.') {
    for (++q; q < end && IsDigit(*q); ++q, ++digits, ++fraction_digits) {
      mantissa = mantissa * 10 + (*q - '0');
    }
  }
  const bool plain = integer_digits > 0 && digits <= kMaxExactDigits &&
                     (fraction_digits > 0 || q[-1] != '.') &&
                     (q == end || (*q != 'e' && *q != 'E'));
  if (plain) {
    const double magnitude =
        static_cast<double>(mantissa) / kPowersOfTen[fraction_digits];
    *value = negative ? -magnitude : magnitude;
    return q;
  }
  const std::from_chars_result parsed = std::from_chars(p, end, *value);
  if (parsed.ec != std::errc() || !std::isfinite(*value)) return nullptr;
  return parsed.ptr;
}

RowScanner::RowScanner(int fields, const int columns[5]) : fields_(fields) {
  std::copy(columns, columns + 5, columns_);
}

bool RowScanner::ParseTime(absl::string_view text, int64_t* seconds) {
  const char* t = text.data();
  if (!IsTimeLength(text.size())) return false;
  // Intraday rows repeat their date: it is read once.
  if (!has_last_date_ || std::memcmp(t, last_date_, sizeof(last_date_)) != 0) {
    has_last_date_ = ParseDate(t, &last_days_);
    if (!has_last_date_) return false;
    std::memcpy(last_date_, t, sizeof(last_date_));
  }
  int64_t time_of_day = 0;
  if (!ParseTimeOfDay(t, text.size(), &time_of_day)) return false;
  *seconds = last_days_ * kSecondsPerDay + time_of_day;
  return true;
}

bool RowScanner::Parse(absl::string_view line, FastRow* row) {
  const char* p = line.data();
  const char* const end = p + line.size();
  const char* comma =
      static_cast<const char*>(std::memchr(p, ',', line.size()));
  if (comma == nullptr ||
      !ParseTime(absl::string_view(p, comma - p), &row->time)) {
    return false;
  }
  p = comma + 1;
  int column = 0;
  for (int field = 1; field < fields_; ++field) {
    if (column < 5 && columns_[column] == field) {
      p = ParseNumberFast(p, end, &row->values[column++]);
      if (p == nullptr) return false;
    } else {
      comma = static_cast<const char*>(std::memchr(p, ',', end - p));
      p = comma == nullptr ? end : comma;
    }
    if (field == fields_ - 1) return p == end && column == 5;
    if (p == end || *p != ',') return false;
    ++p;
  }
  return false;
}

}  // namespace seed::data
