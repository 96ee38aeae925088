// DonchianChannel: streaming Donchian channel as TTR's DonchianChannel
// computes it: the highest high and lowest low of the last `period` bars
// (the current bar included) and their midpoint. Monotonic queues make it
// O(1) amortized per bar. Not thread-safe: one owner at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_DONCHIAN_CHANNEL_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_DONCHIAN_CHANNEL_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "services/strategy/indicators/band.h"

namespace seed::strategy {

// Example:
//   DonchianChannel channel(2);
//   channel.Add(5, 3);  // channel.value() is empty
//   channel.Add(7, 4);  // lower 3, middle 5, upper 7
//   channel.Add(6, 5);  // lower 4, middle 5.5, upper 7
class DonchianChannel {
 public:
  // period >= 1.
  explicit DonchianChannel(int64_t period);

  // One bar; prices must be finite.
  void Add(double high, double low);

  // Undefined (empty) until `period` bars were added.
  std::optional<Band> value() const { return value_; }

  int64_t period() const { return period_; }

 private:
  // (bar number, price) of the bars that can still be the extreme: each is
  // beyond every later one, so the front is the window's extreme.
  using Candidates = std::deque<std::pair<int64_t, double>>;

  int64_t period_;
  int64_t bars_ = 0;
  Candidates highs_;  // decreasing prices
  Candidates lows_;   // increasing prices
  std::optional<Band> value_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_DONCHIAN_CHANNEL_H_
