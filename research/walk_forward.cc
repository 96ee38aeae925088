#include "research/walk_forward.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/time.h"

namespace seed::research {
namespace {

// The nominal day of a boundary past the data's last bar: later than any
// date arithmetic reaches, so that every later boundary is past it too.
constexpr int64_t kPastTheData = std::numeric_limits<int64_t>::max() / 4;

const absl::CivilDay kEpoch(1970, 1, 1);

// Without a stated end, data is taken to cover this many days past its last
// bar: daily data of a market closed on weekends and holidays shows no bar
// for up to 3 days (Friday to a Monday holiday) before a calendar period ends
// on such a day, and that period is nonetheless complete.
constexpr int64_t kClosedDaysGrace = 3;

int64_t DayOf(int64_t time) {
  int64_t day = time / kSecondsPerDay;
  if (time % kSecondsPerDay < 0) --day;  // floor, also before 1970
  return day;
}

// How a length moves a boundary: by bars, by days (weeks are 7) or by
// months (years are 12).
enum class Kind { kBars, kDays, kMonths };

struct Offset {
  Kind kind = Kind::kBars;
  int64_t count = 0;
};

Offset OffsetOf(const Length& length, int64_t times) {
  const int64_t count = length.count * times;
  switch (length.unit) {
    case LengthUnit::kBars:
      return {Kind::kBars, count};
    case LengthUnit::kDays:
      return {Kind::kDays, count};
    case LengthUnit::kWeeks:
      return {Kind::kDays, 7 * count};
    case LengthUnit::kMonths:
      return {Kind::kMonths, count};
    case LengthUnit::kYears:
      return {Kind::kMonths, 12 * count};
  }
  return {};
}

// `months` after `day`, the day clamped to the month's last: Jan 31 + 1
// month = Feb 28 or 29.
int64_t AddMonths(int64_t day, int64_t months) {
  const absl::CivilDay civil = kEpoch + day;
  const absl::CivilMonth month = absl::CivilMonth(civil) + months;
  const int last_day = (absl::CivilDay(month + 1) - 1).day();
  const absl::CivilDay target(month.year(), month.month(),
                              std::min(civil.day(), last_day));
  return target - kEpoch;
}

std::string Describe(const Length& length) {
  const char* unit = "bar";
  switch (length.unit) {
    case LengthUnit::kBars:
      break;
    case LengthUnit::kDays:
      unit = "day";
      break;
    case LengthUnit::kWeeks:
      unit = "week";
      break;
    case LengthUnit::kMonths:
      unit = "month";
      break;
    case LengthUnit::kYears:
      unit = "year";
      break;
  }
  return absl::StrCat(length.count, " ", unit, length.count == 1 ? "" : "s");
}

// A point in the data: a base (a bar index, the data's size or more when past
// the last bar, and a nominal day) plus an offset of one kind not yet
// applied, so that lengths of one kind add up before any calendar arithmetic.
struct Boundary {
  int64_t index = 0;
  int64_t day = 0;
  Offset offset;
};

class Clock {
 public:
  explicit Clock(absl::Span<const int64_t> times) {
    days_.reserve(times.size());
    for (int64_t time : times) days_.push_back(DayOf(time));
  }

  int64_t size() const { return static_cast<int64_t>(days_.size()); }
  int64_t last_day() const { return days_.back(); }

  Boundary First() const { return {0, days_.front(), {}}; }

  // `boundary` moved on by `times` * `length`.
  Boundary Advance(Boundary boundary, const Length& length,
                   int64_t times) const {
    const Offset offset = OffsetOf(length, times);
    if (offset.kind == boundary.offset.kind) {
      boundary.offset.count += offset.count;
      return boundary;
    }
    Boundary moved = Resolve(boundary);
    moved.offset = offset;
    return moved;
  }

  // The boundary with its offset applied (and none left).
  Boundary Resolve(const Boundary& boundary) const {
    const Offset& offset = boundary.offset;
    if (offset.kind == Kind::kBars) {
      const int64_t index = boundary.index + offset.count;
      return {index, index < size() ? days_[index] : kPastTheData, {}};
    }
    int64_t day = kPastTheData;
    if (boundary.day < kPastTheData) {
      day = offset.kind == Kind::kDays ? boundary.day + offset.count
                                       : AddMonths(boundary.day, offset.count);
    }
    const int64_t index =
        std::lower_bound(days_.begin(), days_.end(), day) - days_.begin();
    return {index, day, {Kind::kDays, 0}};
  }

 private:
  std::vector<int64_t> days_;
};

}  // namespace

absl::StatusOr<std::vector<Window>> MakeWindows(
    absl::Span<const int64_t> times, const WindowSpec& spec,
    std::optional<int64_t> data_end) {
  const Length step = spec.step.value_or(spec.out_of_sample);
  const std::pair<const char*, const Length*> lengths[] = {
      {"in_sample", &spec.in_sample},
      {"out_of_sample", &spec.out_of_sample},
      {"step", &step}};
  for (const auto& [name, length] : lengths) {
    if (length->count < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("walk-forward ", name,
                       " length must be at least 1, "
                       "got ",
                       length->count));
    }
  }
  if (times.empty()) {
    return absl::InvalidArgumentError(
        "no walk-forward window fits: the data has no bars");
  }
  for (size_t i = 1; i < times.size(); ++i) {
    if (times[i] <= times[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("walk-forward times must be strictly increasing: bar ",
                       i, " (", FormatTime(times[i]), ") is not after bar ",
                       i - 1, " (", FormatTime(times[i - 1]), ")"));
    }
  }

  const Clock clock(times);
  const int64_t n = clock.size();
  const int64_t last_day = data_end.has_value()
                               ? DayOf(*data_end)
                               : clock.last_day() + kClosedDaysGrace;
  const Boundary first = clock.First();
  std::vector<Window> windows;
  int64_t dropped_partial = 0;
  for (int64_t k = 0;; ++k) {
    Boundary start_offset = first;
    Boundary oos_offset;
    if (spec.kind == WindowKind::kRolling) {
      start_offset = clock.Advance(first, step, k);
      oos_offset = clock.Advance(start_offset, spec.in_sample, 1);
    } else {
      oos_offset =
          clock.Advance(clock.Advance(first, spec.in_sample, 1), step, k);
    }
    const Boundary start = clock.Resolve(start_offset);
    const Boundary oos = clock.Resolve(oos_offset);
    if (oos.index >= n) break;
    const Boundary end =
        clock.Resolve(clock.Advance(oos_offset, spec.out_of_sample, 1));
    const bool partial = spec.out_of_sample.unit == LengthUnit::kBars
                             ? end.index > n
                             : end.day - 1 > last_day;
    const int64_t end_index = std::min(end.index, n);
    if (start.index >= oos.index || oos.index >= end_index) continue;
    if (partial && !spec.keep_partial) {
      ++dropped_partial;
      continue;
    }
    Window window;
    window.index = static_cast<int64_t>(windows.size());
    window.in_sample_first = start.index;
    window.in_sample_last = oos.index - 1;
    window.out_of_sample_first = oos.index;
    window.out_of_sample_last = end_index - 1;
    window.in_sample_start = times[window.in_sample_first];
    window.in_sample_end = times[window.in_sample_last];
    window.out_of_sample_start = times[window.out_of_sample_first];
    window.out_of_sample_end = times[window.out_of_sample_last];
    window.partial = partial;
    windows.push_back(window);
  }
  if (windows.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no walk-forward window fits: in-sample ", Describe(spec.in_sample),
        " then out-of-sample ", Describe(spec.out_of_sample),
        " need more than the data's ", FormatTime(times.front()), "..",
        FormatTime(times.back()), " (", n, " bars)",
        dropped_partial > 0
            ? absl::StrCat("; ", dropped_partial,
                           " window(s) cut short by the end of the data were "
                           "dropped (keep_partial keeps them)")
            : ""));
  }
  return windows;
}

}  // namespace seed::research
