// Why a finished run made few or no trades, from what the results stage
// stores of it: how many orders it placed and filled, which intents and
// orders were refused (grouped by reason, most frequent first, one example
// each) and, for a run that never signalled, the strategy parameters that
// are lookbacks longer than the bars the run had. `bt show RUN` prints it
// under the run's details (docs/failures.md, "When a run made few or no
// trades"). Pure functions of a GetRunResponse; thread-safe.
#ifndef SEED_CLI_RUN_ACTIVITY_H_
#define SEED_CLI_RUN_ACTIVITY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "backtest/v1/results.pb.h"

namespace seed::cli {

namespace v1 = ::backtest::v1;

// A succeeded run with fewer closed trades than this gets an explanation.
inline constexpr int kFewTrades = 5;

// The rejections of one stage and code, with the first one as an example.
struct RefusalGroup {
  std::string stage;  // "portfolio" or "execution"
  std::string code;   // INSUFFICIENT_CASH, MAX_POSITIONS, ...
  int64_t count = 0;
  v1::Rejection example;
};

// A strategy parameter that is a lookback in bars and wants more bars than
// the run had.
struct LongLookback {
  std::string field;  // "strategy.params.slow", "strategies[id].params.slow"
  int64_t bars = 0;
};

struct RunActivity {
  int64_t closed_trades = 0;
  int64_t open_trades = 0;
  int64_t orders_placed = 0;  // distinct order ids of fills and rejections
  int64_t orders_filled = 0;  // distinct order ids of fills
  int64_t fills = 0;
  int64_t refused = 0;                 // every rejection
  std::vector<RefusalGroup> refusals;  // by count, most first; then by name
  int64_t bars = 0;                    // steps of the run (equity points)
  int64_t warmup_bars = 0;             // data.warmup_bars of the spec
  std::vector<LongLookback> long_lookbacks;
  std::string data_start;  // data.start and data.end of the spec, if set
  std::string data_end;
  // Set when the stored spec cannot be read: why (the lookbacks are then
  // unknown).
  std::string spec_problem;
};

// What `run` (read with its records) did, counted from its records and its
// stored spec. A lookback is an integer parameter named slow, fast,
// lookback, period, window or length, or ending in _length, _period,
// _lookback, _window or _bars, that exceeds the bars plus the warm-up.
RunActivity ReadRunActivity(const v1::GetRunResponse& run);

// The explanation `bt show` prints: empty unless the run SUCCEEDED with
// fewer than kFewTrades closed trades. Example, for a run that never
// signalled:
//   activity: 0 closed trades
//     the strategy never signalled: no order placed, no intent refused
//     likely cause: strategy.params.slow = 500 needs more than 500 bars; the
//     run had 400 bars, 2015-01-01..2016-07-26
std::string ExplainRunActivity(const v1::GetRunResponse& run);

}  // namespace seed::cli

#endif  // SEED_CLI_RUN_ACTIVITY_H_
