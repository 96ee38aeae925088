#include "services/strategy/indicators/donchian_channel.h"

namespace seed::strategy {
namespace {

// Adds bar `bar`'s price and drops candidates that left the window or that
// it outdoes; `beats(a, b)` says price a is at least as extreme as b.
template <typename Beats>
void Update(int64_t bar, double price, int64_t period, Beats beats,
            std::deque<std::pair<int64_t, double>>* candidates) {
  while (!candidates->empty() && beats(price, candidates->back().second)) {
    candidates->pop_back();
  }
  candidates->emplace_back(bar, price);
  if (candidates->front().first <= bar - period) candidates->pop_front();
}

}  // namespace

DonchianChannel::DonchianChannel(int64_t period) : period_(period) {}

void DonchianChannel::Add(double high, double low) {
  const int64_t bar = bars_++;
  Update(
      bar, high, period_, [](double a, double b) { return a >= b; }, &highs_);
  Update(
      bar, low, period_, [](double a, double b) { return a <= b; }, &lows_);
  if (bars_ < period_) return;
  const double upper = highs_.front().second;
  const double lower = lows_.front().second;
  value_ = Band{.lower = lower, .middle = (upper + lower) / 2, .upper = upper};
}

}  // namespace seed::strategy
