// Test helper for the cross-sectional strategies: drives a builtin strategy
// through StrategyEngine over several symbols' hand-made closes and a
// portfolio that holds exactly the target weights asked for. Not thread-safe:
// each call builds its own engine.
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_CROSS_SECTION_TEST_UTIL_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_CROSS_SECTION_TEST_UTIL_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace seed::strategy {

// A close that marks "no bar for this symbol at this step".
inline constexpr double kNoBar = std::numeric_limits<double>::quiet_NaN();

struct CrossSectionRun {
  std::string strategy;
  std::vector<std::string> symbols;
  std::vector<std::string> sectors;  // one per symbol, or empty: no metadata
  std::map<std::string, double> numbers;     // numeric params
  std::map<std::string, std::string> texts;  // text params
  // times[t]: step t's time (seconds); closes[t][i]: symbol i's close at step
  // t, kNoBar for none.
  std::vector<int64_t> times;
  std::vector<std::vector<double>> closes;
};

// Runs `run` one step per OnSteps call. The view at each step holds, for
// every symbol whose latest target weight is non-zero, a position of market
// value weight x equity (equity 100000, never changing): as if each intent
// filled at the next step exactly at its weight. Returns one line per step
// with intents, "t: AAA=0.5 BBB=0" (targets in emission order, %g), or the
// first error's status as "error: ..." as the last line.
std::vector<std::string> RunCrossSection(const CrossSectionRun& run);

// Daily times from 2020-01-01 (a Wednesday, no weekends skipped).
std::vector<int64_t> DailyTimes(int count);

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_CROSS_SECTION_TEST_UTIL_H_
