#include "common/time.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace seed {
namespace {

bool ParseDigits(absl::string_view text, size_t pos, size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

absl::Status BadTime(absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat(
      "'", text,
      "' is not a time: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]"));
}

}  // namespace

absl::StatusOr<int64_t> ParseTime(absl::string_view text) {
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (text.size() < 10 || text[4] != '-' || text[7] != '-' ||
      !ParseDigits(text, 0, 4, &year) || !ParseDigits(text, 5, 2, &month) ||
      !ParseDigits(text, 8, 2, &day)) {
    return BadTime(text);
  }
  if (text.size() > 10) {
    if ((text[10] != 'T' && text[10] != ' ') || text.size() < 16 ||
        text[13] != ':' || !ParseDigits(text, 11, 2, &hour) ||
        !ParseDigits(text, 14, 2, &minute)) {
      return BadTime(text);
    }
    if (text.size() > 16) {
      if (text.size() != 19 || text[16] != ':' ||
          !ParseDigits(text, 17, 2, &second)) {
        return BadTime(text);
      }
    }
  }
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  // CivilSecond normalizes out-of-range fields (Feb 30 -> Mar 2); refuse them.
  if (civil.year() != year || civil.month() != month || civil.day() != day ||
      civil.hour() != hour || civil.minute() != minute ||
      civil.second() != second) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a valid calendar date or time"));
  }
  return absl::ToUnixSeconds(absl::FromCivil(civil, absl::UTCTimeZone()));
}

std::string FormatTime(int64_t time) {
  const absl::CivilSecond civil = absl::ToCivilSecond(
      absl::FromUnixSeconds(time), absl::UTCTimeZone());
  if (time % kSecondsPerDay == 0) {
    return absl::StrFormat("%04d-%02d-%02d", civil.year(), civil.month(),
                           civil.day());
  }
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d", civil.year(),
                         civil.month(), civil.day(), civil.hour(),
                         civil.minute(), civil.second());
}

std::string NowUtcIso8601() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(),
                          absl::UTCTimeZone());
}

}  // namespace seed
