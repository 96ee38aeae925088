// Bar times: int64 seconds since 1970-01-01T00:00:00 on the data's own clock
// (no time zone is applied). Parsing and formatting of the ISO forms our files
// and specs use. Thread-safe: pure functions.
#ifndef SEED_COMMON_TIME_H_
#define SEED_COMMON_TIME_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seed {

inline constexpr int64_t kSecondsPerDay = 86400;

// Accepts "2014-12-31", "2014-12-31T09:30:00", "2014-12-31 09:30:00" and
// "2014-12-31T09:30" (seconds optional). Example:
//   absl::StatusOr<int64_t> t = ParseTime("1995-01-03");  // 789091200
absl::StatusOr<int64_t> ParseTime(absl::string_view text);

// "2014-12-31" when the time is midnight, else "2014-12-31T09:30:00".
std::string FormatTime(int64_t time);

// Current wall-clock time as "2026-11-23T05:31:00Z".
std::string NowUtcIso8601();

}  // namespace seed

#endif  // SEED_COMMON_TIME_H_
