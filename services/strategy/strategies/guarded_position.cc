#include "services/strategy/strategies/guarded_position.h"

#include <utility>

namespace seed::strategy {

GuardedPosition::GuardedPosition(const backtest::v1::PortfolioView& view,
                                 int32_t symbol, absl::string_view guard_tag)
    : held_(PositionQuantity(view, symbol)) {
  for (const backtest::v1::Order& order : view.working_orders()) {
    if (order.symbol() != symbol) continue;
    if (order.tag() == guard_tag) {
      guards_.push_back(&order);
    } else {
      awaiting_other_order_ = true;
    }
  }
}

void GuardedPosition::CancelGuards(absl::string_view reason,
                                   IntentSink& out) const {
  for (const backtest::v1::Order* guard : guards_) {
    out.Emit(CancelOrder(*guard, reason));
  }
}

void GuardedPosition::EnterFromFlat(const EntryRule& entry,
                                    IntentSink& out) const {
  CancelGuards("flat: the stop has nothing to protect", out);
  for (const PositionSide side : {PositionSide::kLong, PositionSide::kShort}) {
    std::optional<backtest::v1::Intent> intent = entry(side);
    if (!intent.has_value()) continue;
    out.Emit(*std::move(intent));
    return;
  }
}

}  // namespace seed::strategy
