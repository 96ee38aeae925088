// Structural checks of one strategy intent, the same for every stage that
// reads intents: the portfolio checks every intent a strategy returns
// (embedded or remote) before sizing it, so a malformed one fails the run as
// the strategy's fault. Only facts visible in
// the intent and the symbol's latest close are checked; whether the
// portfolio can afford or allow it is a rejection, not a failure.
// Thread-safe: a pure function.
#ifndef SEED_COMMON_INTENT_CHECK_H_
#define SEED_COMMON_INTENT_CHECK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "backtest/v1/orders.pb.h"

namespace seed {

// OK, or INVALID_ARGUMENT from stage "strategy" with reason "INVALID_INTENT"
// naming the intent (its position `intent_index` among the step's intents),
// the symbol, the field and the value. `symbols` is the run's symbol table;
// `reference_close` is the symbol's latest close (0 when it has none yet:
// the checks against the close are skipped). Example:
//   CheckIntent(buy_with_stop_12_5, 2, {"NVDA", "MSFT", "ORCL"}, 12.1)
//   -> "intent 2 for ORCL: bracket.stop_loss 12.5 is above the close 12.1 of
//       a BUY entry; a long's stop must be below"
absl::Status CheckIntent(const backtest::v1::Intent& intent, int intent_index,
                         absl::Span<const std::string> symbols,
                         double reference_close);

}  // namespace seed

#endif  // SEED_COMMON_INTENT_CHECK_H_
