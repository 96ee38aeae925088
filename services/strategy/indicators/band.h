// Band: the three lines of a channel indicator (Bollinger bands, Donchian
// channel) at one bar. A plain value: thread-safe to copy and read.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_BAND_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_BAND_H_

namespace seed::strategy {

struct Band {
  double lower = 0;
  double middle = 0;
  double upper = 0;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_BAND_H_
