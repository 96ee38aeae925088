// Macd: streaming moving average convergence/divergence as TTR's MACD
// computes it with percent = FALSE: EMA(fast) - EMA(slow) of the values, and
// a signal line, the EMA(signal) of the MACD values, seeded once `signal`
// MACD values exist. O(1) per value. Not thread-safe: one owner at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_MACD_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_MACD_H_

#include <cstdint>
#include <optional>

#include "services/strategy/indicators/ema.h"

namespace seed::strategy {

// Example (the usual 12/26/9):
//   Macd macd(12, 26, 9);
//   // after 26 values: macd.value() is defined, macd.signal() is not;
//   // after 26 + 8 values: both are.
class Macd {
 public:
  // Periods >= 1; fast < slow is the usual choice but not required.
  Macd(int64_t fast, int64_t slow, int64_t signal);

  // value must be finite.
  void Add(double value);

  // EMA(fast) - EMA(slow): undefined until both EMAs are.
  std::optional<double> value() const { return value_; }

  // EMA(signal) of value(): undefined until `signal` MACD values exist.
  std::optional<double> signal() const { return signal_.value(); }

  // Values before value() is defined: the longer EMA's period.
  int64_t period() const;
  int64_t fast_period() const { return fast_.period(); }
  int64_t slow_period() const { return slow_.period(); }
  int64_t signal_period() const { return signal_.period(); }

 private:
  Ema fast_;
  Ema slow_;
  Ema signal_;
  std::optional<double> value_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_MACD_H_
