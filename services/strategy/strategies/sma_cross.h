// sma_cross: long-only moving-average crossover, per symbol. Buys when the
// fast SMA of closes crosses above the slow one while flat; closes the
// position when it crosses below while long. Crosses follow backtrader's
// CrossOver so trades match it bar by bar. Not thread-safe (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_SMA_CROSS_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_SMA_CROSS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "backtest/v1/market.pb.h"
#include "backtest/v1/orders.pb.h"
#include "services/strategy/indicators/sma.h"
#include "services/strategy/registry.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

// Params: fast (int, default 10, [1, 1000]) and slow (int, default 30,
// [2, 5000]), with fast < slow.
//
// "Crosses above at bar t": fast_t > slow_t and, at the latest earlier bar of
// the symbol where the two SMAs differed, fast < slow; bars where they are
// equal are skipped, and only bars where both are defined count (so the first
// such bar can never be a cross). This is backtrader's CrossOver over its
// NonZeroDifference. "Below" mirrors it.
//
// At most one order per symbol is in flight: after emitting an intent the
// strategy emits nothing more for that symbol until a fill or rejection for
// it arrives. A rejected entry leaves it flat, free to enter on a later cross.
class SmaCross final : public Strategy {
 public:
  static StrategyDefinition Definition();

  absl::Status OnStart(const StartContext& context) override;
  absl::Status OnFill(const backtest::v1::Fill& fill) override;
  absl::Status OnRejection(const backtest::v1::Rejection& rejection) override;
  absl::Status OnBar(const backtest::v1::TimeStep& step,
                     const backtest::v1::PortfolioView& portfolio,
                     IntentSink& out) override;

 private:
  struct SymbolState {
    Sma fast;
    Sma slow;
    // fast - slow at the latest bar where it was not zero, counting only
    // bars where both SMAs were defined.
    std::optional<double> last_nonzero_difference;
    bool order_in_flight = false;
  };

  std::vector<std::string> symbols_;
  std::vector<SymbolState> states_;
  // Shares held per symbol as of the current step's close; reused per step.
  std::vector<double> held_;
  std::string entry_reason_;
  std::string exit_reason_;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_SMA_CROSS_H_
