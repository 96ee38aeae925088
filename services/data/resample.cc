#include "services/data/resample.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/stage_error.h"
#include "common/time.h"

namespace seed::data {
namespace {

constexpr int64_t kSecondsPerMinute = 60;
constexpr int64_t kSecondsPerHour = 3600;
// An error lists every allowed timeframe up to this many (35 for one-minute
// bars), else the shortest and longest half of that each: enough to show the
// pattern without a wall of text for one-second bars.
constexpr size_t kMaxListedTimeframes = 40;

// Rounds toward minus infinity, so bars before 1970 fall into the right
// bucket too.
int64_t FloorDiv(int64_t numerator, int64_t denominator) {
  const int64_t quotient = numerator / denominator;
  const bool inexact = quotient * denominator != numerator;
  return inexact && (numerator < 0) != (denominator < 0) ? quotient - 1
                                                         : quotient;
}

// "1d", "4h", "15m" or "45s": the largest whole unit.
std::string Unit(int64_t seconds) {
  if (seconds % kSecondsPerDay == 0) {
    return absl::StrCat(seconds / kSecondsPerDay, "d");
  }
  if (seconds % kSecondsPerHour == 0) {
    return absl::StrCat(seconds / kSecondsPerHour, "h");
  }
  if (seconds % kSecondsPerMinute == 0) {
    return absl::StrCat(seconds / kSecondsPerMinute, "m");
  }
  return absl::StrCat(seconds, "s");
}

std::string Describe(int64_t seconds) {
  return absl::StrCat(seconds, " s (", Unit(seconds), ")");
}

// The timeframes bars `interval` apart can make, in seconds, shortest first.
std::vector<int64_t> AllowedTimeframes(int64_t interval) {
  std::vector<int64_t> allowed;
  if (interval <= 0 || kSecondsPerDay % interval != 0) return allowed;
  for (int64_t multiple = 2; multiple * interval <= kSecondsPerDay;
       ++multiple) {
    if (kSecondsPerDay % (multiple * interval) == 0) {
      allowed.push_back(multiple * interval);
    }
  }
  return allowed;
}

std::string DescribeAllowed(int64_t interval) {
  const std::vector<int64_t> allowed = AllowedTimeframes(interval);
  if (interval >= kSecondsPerDay) {
    return absl::StrCat("none: bars ", Describe(interval),
                        " apart have no higher timeframe within a day");
  }
  if (allowed.empty()) {
    return absl::StrCat("none: the bar interval ", Describe(interval),
                        " does not divide a day");
  }
  std::vector<std::string> listed;
  const size_t half = kMaxListedTimeframes / 2;
  for (size_t i = 0; i < allowed.size(); ++i) {
    if (allowed.size() > kMaxListedTimeframes && i == half) {
      listed.push_back("...");
      i = allowed.size() - half;
    }
    listed.push_back(Unit(allowed[i]));
  }
  return absl::StrCat(absl::StrJoin(listed, ", "),
                      " (s = 1, m = 60, h = 3600, d = 86400 seconds)");
}

}  // namespace

absl::Status CheckTimeframe(int64_t timeframe_seconds, int64_t interval_seconds,
                            absl::string_view symbol) {
  std::string problem;
  if (timeframe_seconds <= 0 || timeframe_seconds > kSecondsPerDay ||
      kSecondsPerDay % timeframe_seconds != 0) {
    problem =
        "does not divide a day (86400 s), so its buckets would not "
        "align to midnight";
  } else if (interval_seconds > 0 && timeframe_seconds <= interval_seconds) {
    problem = absl::StrCat("is not larger than ", symbol, "'s bar interval, ",
                           Describe(interval_seconds));
  } else if (interval_seconds > 0 &&
             timeframe_seconds % interval_seconds != 0) {
    problem = absl::StrCat("is not a whole multiple of ", symbol,
                           "'s bar interval, ", Describe(interval_seconds));
  } else {
    return absl::OkStatus();
  }
  const std::string allowed =
      interval_seconds > 0 ? absl::StrCat("allowed for ", symbol, ": ",
                                          DescribeAllowed(interval_seconds))
                           : "allowed: a number of seconds dividing 86400";
  return StageFailure(
      absl::StatusCode::kInvalidArgument, "data", "INVALID_TIMEFRAME",
      absl::StrCat("timeframe_seconds ", timeframe_seconds, " for ", symbol,
                   " ", problem, "; ", allowed),
      {.symbol = std::string(symbol),
       .hint = "choose a timeframe (the strategy's timeframe param) the "
               "bars can be resampled into, or bars with a shorter interval "
               "(e.g. intraday files for 1d)"});
}

ResampledBars Resample(const BarColumns& bars, size_t begin, size_t end,
                       int64_t timeframe_seconds) {
  const bool daily = timeframe_seconds == kSecondsPerDay;
  ResampledBars out;
  for (size_t i = begin; i < end; ++i) {
    const int64_t bucket = FloorDiv(bars.time[i] - 1, timeframe_seconds);
    const int64_t close_time = (bucket + 1) * timeframe_seconds;
    if (out.close_time.empty() || out.close_time.back() != close_time) {
      out.bars.Append(daily ? bucket * timeframe_seconds : close_time,
                      bars.open[i], bars.high[i], bars.low[i], bars.close[i],
                      bars.volume[i]);
      out.close_time.push_back(close_time);
      continue;
    }
    BarColumns& into = out.bars;
    into.high.back() = std::max(into.high.back(), bars.high[i]);
    into.low.back() = std::min(into.low.back(), bars.low[i]);
    into.close.back() = bars.close[i];
    into.volume.back() += bars.volume[i];
  }
  return out;
}

}  // namespace seed::data
