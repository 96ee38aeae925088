// Resampling: one symbol's bars aggregated into bars of a higher timeframe
// (an hour, a day) for strategies that look at several timeframes
// (ReadBarsRequest.timeframe_seconds, docs/semantics.md "Higher timeframes").
// Bar times are the END of their interval, so a bar at t belongs to bucket
// k = floor((t - 1) / timeframe) covering (k * tf, (k + 1) * tf]; the bucket
// closes at (k + 1) * tf. Thread-safe: pure functions.
#ifndef SEED_SERVICES_DATA_RESAMPLE_H_
#define SEED_SERVICES_DATA_RESAMPLE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/data/csv_reader.h"

namespace seed::data {

// One symbol's bars in a higher timeframe: bars.time[i] is bar i's label
// (its close_time[i] for minutes and hours; its session date at 00:00:00
// for a day, like a daily bar) and close_time[i] the end of its period.
struct ResampledBars {
  BarColumns bars;
  std::vector<int64_t> close_time;
};

// OK when bars `interval_seconds` apart can be resampled into
// `timeframe_seconds`: it is larger than the interval, a whole multiple of
// it, and divides a day so that buckets align to midnight. An interval of 0
// (a file of one bar, nothing to measure) allows any such timeframe.
// Otherwise INVALID_ARGUMENT, reason INVALID_TIMEFRAME, naming the field
// timeframe_seconds, `symbol`, its interval and the allowed values.
absl::Status CheckTimeframe(int64_t timeframe_seconds, int64_t interval_seconds,
                            absl::string_view symbol);

// Aggregates bars[begin, end) into buckets of `timeframe_seconds` (which
// CheckTimeframe accepted): open of the bucket's first bar, highest high,
// lowest low, close of its last bar, summed volume. Buckets without bars
// (nights, weekends, halts) are absent; the first and last buckets hold only
// the bars inside [begin, end), so the last one may not be complete yet: a
// caller delivers a bar only once a bar at or after its close_time exists.
ResampledBars Resample(const BarColumns& bars, size_t begin, size_t end,
                       int64_t timeframe_seconds);

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_RESAMPLE_H_
