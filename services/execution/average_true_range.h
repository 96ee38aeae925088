// The average true range as execution keeps it for one symbol: for the
// atr_fraction slippage model (AverageTrueRange) and for trailing stops by an
// ATR multiple (NextWilderAverage). True range = max(high, previous close) -
// min(low, previous close). Not thread-safe: owned by one Simulator.
#ifndef SEED_SERVICES_EXECUTION_AVERAGE_TRUE_RANGE_H_
#define SEED_SERVICES_EXECUTION_AVERAGE_TRUE_RANGE_H_

#include <algorithm>

#include "backtest/v1/market.pb.h"

namespace seed::execution {

// The ATR length a spec or order leaves 0: Wilder's own choice, also TTR's and
// TA-Lib's default.
inline constexpr int kDefaultAtrLength = 14;

inline double TrueRange(const backtest::v1::Bar& bar, double previous_close) {
  return std::max(bar.high(), previous_close) -
         std::min(bar.low(), previous_close);
}

// Wilder's smoothing with alpha = 1 / length: (average * (length - 1) +
// value) / length.
inline double NextWilderAverage(double average, double value, int length) {
  return (average * (length - 1) + value) / length;
}

// A symbol's ATR over `length` bars as TTR computes it (true ranges from the
// second bar on, Wilder's smoothing seeded with the mean of the first
// `length`), and what stands in for it before it is defined. Example, length
// 2: bars (H 11, L 9, C 10), (12, 10, 11), (14, 12, 13) have true ranges 2
// and 3, so ValueFor(next bar) == 2.5.
class AverageTrueRange {
 public:
  explicit AverageTrueRange(int length) : length_(length) {}

  // The ATR as of the last bar added, for a fill at `bar` (the next one):
  // defined after length + 1 bars; before that the mean of the true ranges so
  // far; with none yet, the range (high - low) of the one bar added, or of
  // `bar` itself when none was.
  double ValueFor(const backtest::v1::Bar& bar) const {
    if (true_ranges_ >= length_) return average_;
    if (true_ranges_ > 0) return sum_ / true_ranges_;
    if (bars_ > 0) return first_range_;
    return bar.high() - bar.low();
  }

  void Add(const backtest::v1::Bar& bar) {
    if (bars_ == 0) {
      first_range_ = bar.high() - bar.low();
    } else {
      const double true_range = TrueRange(bar, previous_close_);
      ++true_ranges_;
      if (true_ranges_ <= length_) {
        sum_ += true_range;
        average_ = sum_ / true_ranges_;
      } else {
        average_ = NextWilderAverage(average_, true_range, length_);
      }
    }
    previous_close_ = bar.close();
    ++bars_;
  }

 private:
  int length_;
  long bars_ = 0;
  long true_ranges_ = 0;
  double first_range_ = 0;
  double previous_close_ = 0;
  double sum_ = 0;      // of the first `length_` true ranges
  double average_ = 0;  // once true_ranges_ >= length_
};

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_AVERAGE_TRUE_RANGE_H_
