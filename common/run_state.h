// Which run states are final: one definition for the coordinator, the
// results stage and every client. Thread-safe: a pure function.
#ifndef SEED_COMMON_RUN_STATE_H_
#define SEED_COMMON_RUN_STATE_H_

#include "backtest/v1/run.pb.h"

namespace seed {

// A run in a final state never changes again: SUCCEEDED, FAILED, CANCELLED
// or ABANDONED (its coordinator went away).
inline bool IsFinalRunState(backtest::v1::RunState state) {
  return state == backtest::v1::SUCCEEDED || state == backtest::v1::FAILED ||
         state == backtest::v1::CANCELLED || state == backtest::v1::ABANDONED;
}

}  // namespace seed

#endif  // SEED_COMMON_RUN_STATE_H_
