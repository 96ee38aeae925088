// GuardedPosition: one symbol's standing in the portfolio view for a
// strategy that guards each of its positions with working orders of its own
// carrying one tag (donchian_breakout's STOP, atr_trailing_stop's
// TRAILING_STOP), and the steps such strategies share: wait while another
// order of the symbol is working, cancel the guards, enter from flat. Reads
// the view once per symbol and bar. Not thread-safe: one owner at a time.
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_GUARDED_POSITION_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_GUARDED_POSITION_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "backtest/v1/orders.pb.h"
#include "backtest/v1/strategy.pb.h"
#include "services/strategy/intents.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

class GuardedPosition {
 public:
  // The entry on a side at this bar, if the strategy's rule holds.
  using EntryRule =
      std::function<std::optional<backtest::v1::Intent>(PositionSide)>;

  // The standing of `symbol` in `view`; guards are its working orders
  // tagged `guard_tag`. The view must outlive this object.
  GuardedPosition(const backtest::v1::PortfolioView& view, int32_t symbol,
                  absl::string_view guard_tag);

  // A working order of the symbol other than a guard (an entry or exit not
  // yet settled): the strategy waits for it.
  bool awaiting_other_order() const { return awaiting_other_order_; }
  bool flat() const { return held_ == 0; }
  // The side of the position held; only when not flat.
  PositionSide side() const {
    return held_ > 0 ? PositionSide::kLong : PositionSide::kShort;
  }
  bool guarded() const { return !guards_.empty(); }

  // A CANCEL of each guard, with `reason`.
  void CancelGuards(absl::string_view reason, IntentSink& out) const;

  // Flat: cancels the guards left over, then emits the first entry `entry`
  // makes, the long side's before the short's.
  void EnterFromFlat(const EntryRule& entry, IntentSink& out) const;

 private:
  double held_ = 0;
  std::vector<const backtest::v1::Order*> guards_;
  bool awaiting_other_order_ = false;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_GUARDED_POSITION_H_
