// The shared part of the moving-average crossover strategies (sma_cross,
// ema_cross): the cross rule, a per-symbol signal over any streaming average,
// and the fast/slow parameter schema. Not thread-safe: one owner at a time.
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_MOVING_AVERAGE_CROSS_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_MOVING_AVERAGE_CROSS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/market.pb.h"
#include "services/strategy/registry.h"
#include "services/strategy/strategies/signal_strategy.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

// "Crosses above at bar t": fast_t > slow_t and, at the latest earlier bar
// where the two differed, fast < slow; bars where they are equal are skipped,
// and only bars where both are defined count (so the first such bar can never
// be a cross). This is backtrader's CrossOver over its NonZeroDifference.
// "Below" mirrors it.
class Crossover {
 public:
  // The two lines at the next bar; either may be undefined.
  void Add(std::optional<double> fast, std::optional<double> slow);

  bool crossed_above() const { return crossed_above_; }
  bool crossed_below() const { return crossed_below_; }

 private:
  // fast - slow at the latest bar where it was not zero, counting only bars
  // where both were defined.
  std::optional<double> last_nonzero_difference_;
  bool crossed_above_ = false;
  bool crossed_below_ = false;
};

// Enter on a cross above of the fast average of closes over the slow one,
// exit on a cross below. Average: Sma, Ema or any class with the indicators'
// Average(period), Add(double) and std::optional<double> value().
template <typename Average>
class MovingAverageCrossSignal final : public SymbolSignal {
 public:
  MovingAverageCrossSignal(int64_t fast, int64_t slow)
      : fast_(fast), slow_(slow) {}

  void Add(const backtest::v1::Bar& bar) override {
    fast_.Add(bar.close());
    slow_.Add(bar.close());
    crossover_.Add(fast_.value(), slow_.value());
  }
  bool ShouldEnterLong() const override { return crossover_.crossed_above(); }
  bool ShouldExitLong() const override { return crossover_.crossed_below(); }

 private:
  Average fast_;
  Average slow_;
  Crossover crossover_;
};

// Params fast (int, default 10, [1, 1000]) and slow (int, default 30,
// [2, 5000]) with fast < slow, and direction; `average` ("SMA", "EMA") names
// the average in the description.
StrategyDefinition MovingAverageCrossDefinition(
    absl::string_view name, absl::string_view average,
    std::function<std::unique_ptr<Strategy>()> create);

// The signals and the reasons ("<label> 10 crossed above <label> 30") of a run.
template <typename Average>
SignalRules MovingAverageCrossRules(const ResolvedParams& params,
                                    absl::string_view label) {
  const int64_t fast = params.Int("fast");
  const int64_t slow = params.Int("slow");
  return SignalRules{
      [fast, slow] {
        return std::make_unique<MovingAverageCrossSignal<Average>>(fast, slow);
      },
      absl::StrCat(label, " ", fast, " crossed above ", label, " ", slow),
      absl::StrCat(label, " ", fast, " crossed below ", label, " ", slow)};
}

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_MOVING_AVERAGE_CROSS_H_
