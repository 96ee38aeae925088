// Walk-forward windows over a run's clock: each window is an in-sample
// period (where a sweep picks the parameters) followed at once by an
// out-of-sample period (where the picked parameters run unseen), stepping
// forward until the data ends. Thread-safe: a pure function.
//
// Definitions (docs/research.md). Times are the sorted bar times of the
// data (int64 seconds on the data's clock); "day" is the UTC calendar day
// floor(time / 86400). A window is made of boundaries, each a bar index and,
// for calendar lengths, a nominal day:
// - B0 = the first bar (its day). Advancing a boundary by n bars adds n to
//   its index; by n days or months adds them to its nominal day (weeks count
//   7 days, years 12 months; months clamp the day to the month's end, never
//   roll over: a month after Jan 31 is Feb 28, or 29 in a leap year) and
//   moves the index to the first bar on or after that day. Lengths of one
//   kind (bars, days, months) are summed before any arithmetic, so a
//   boundary is one addition away from the last boundary of another kind,
//   e.g. B0 + (k * step + in_sample) months.
// - Rolling window k (k = 0, 1, ...): start = B0 advanced by k steps, oos =
//   start advanced by the in-sample length, end = oos advanced by the
//   out-of-sample length. Anchored: start = B0 for every window, oos = B0
//   advanced by the in-sample length and then by k steps. With step = the
//   out-of-sample length, window k's end is window k + 1's oos exactly.
// - In-sample bars: [start, oos); out-of-sample bars: [oos, end). So the
//   out-of-sample period begins with the bar after the in-sample's last, and
//   the two never overlap. The window's times are those of its first and
//   last bars in each period.
// - Windows are made while oos is a bar of the data. The last ones may be
//   cut short by the end of the data: in bars, when end is past the last
//   bar; in calendar units, when end - 1 day (the period's last day) is
//   after the last day the data covers: `data_end`'s day when given (e.g.
//   the spec's end date), else the last bar's day + 3 (a market closed on a
//   weekend and a Monday holiday shows no bar for 3 days, yet a month that
//   ends on such a day is complete). Such a partial window is dropped (the
//   default) or kept with `partial` set (keep_partial).
// - A window whose in-sample or out-of-sample period holds no bar (a gap in
//   the data longer than the period) is left out; indexes count the windows
//   returned.
// With step = the out-of-sample length (the default), the out-of-sample
// periods tile the data after the first in-sample period; a smaller step
// makes them overlap (they cannot then be stitched), a larger one leaves
// gaps.
#ifndef SEED_RESEARCH_WALK_FORWARD_H_
#define SEED_RESEARCH_WALK_FORWARD_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace seed::research {

enum class LengthUnit { kBars, kDays, kWeeks, kMonths, kYears };

struct Length {
  int64_t count = 0;  // >= 1
  LengthUnit unit = LengthUnit::kBars;
};

enum class WindowKind { kRolling, kAnchored };

struct WindowSpec {
  WindowKind kind = WindowKind::kRolling;
  Length in_sample;
  Length out_of_sample;
  // How far each window moves on; default the out-of-sample length.
  std::optional<Length> step;
  // Keep the last windows whose out-of-sample period the data cuts short.
  bool keep_partial = false;
};

struct Window {
  int64_t index = 0;  // 0-based, in time order
  // Bar indexes into the times, first and last inclusive.
  int64_t in_sample_first = 0;
  int64_t in_sample_last = 0;
  int64_t out_of_sample_first = 0;
  int64_t out_of_sample_last = 0;
  // The times of those bars.
  int64_t in_sample_start = 0;
  int64_t in_sample_end = 0;
  int64_t out_of_sample_start = 0;
  int64_t out_of_sample_end = 0;
  // The data ends before the out-of-sample period does (keep_partial only).
  bool partial = false;
};

// The windows over `times` (strictly increasing), in time order. Fails with
// INVALID_ARGUMENT when a length's count is below 1, the times are not
// strictly increasing, or no window fits, naming the lengths and the data's
// range, e.g. "no walk-forward window fits: in-sample 5 years then
// out-of-sample 1 year need more than the data's 1995-01-03..1998-12-31
// (1008 bars)".
// Example:
//   WindowSpec spec{.in_sample = {3, LengthUnit::kYears},
//                   .out_of_sample = {6, LengthUnit::kMonths}};
//   absl::StatusOr<std::vector<Window>> windows = MakeWindows(times, spec);
absl::StatusOr<std::vector<Window>> MakeWindows(
    absl::Span<const int64_t> times, const WindowSpec& spec,
    std::optional<int64_t> data_end = std::nullopt);

}  // namespace seed::research

#endif  // SEED_RESEARCH_WALK_FORWARD_H_
