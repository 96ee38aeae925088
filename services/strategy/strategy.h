// Strategy: the event-driven interface every strategy implements. Per run the
// engine calls OnStart once (then Timeframes), then per time step OnFill,
// OnRejection and OnOrderEvent for what happened to its orders (in time
// order), OnSymbolStart for each symbol that has its first bar, and OnBar
// with the whole cross-section; then OnEnd. A strategy keeps its own state
// between calls. Not thread-safe: the engine never calls one instance from two
// threads at once.
#ifndef SEED_SERVICES_STRATEGY_STRATEGY_H_
#define SEED_SERVICES_STRATEGY_STRATEGY_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "backtest/v1/market.pb.h"
#include "backtest/v1/orders.pb.h"
#include "google/protobuf/repeated_field.h"
#include "services/strategy/param_schema.h"

namespace seed::strategy {

struct StartContext {
  std::string run_id;
  // The run's symbol table: Bar.symbol, Fill.symbol, Intent.symbol, ... index
  // it. The engine guarantees every index it delivers is within it.
  std::vector<std::string> symbols;
  ResolvedParams params;
  // The symbols' metadata from the spec's data.metadata file: empty when the
  // spec names none, else metadata[i] describes symbols[i].
  std::vector<backtest::v1::SymbolMetadata> metadata;
};

// Where OnBar puts its intents; the engine returns them in emission order.
class IntentSink {
 public:
  explicit IntentSink(
      google::protobuf::RepeatedPtrField<backtest::v1::Intent>* intents)
      : intents_(intents) {}

  void Emit(backtest::v1::Intent intent) {
    *intents_->Add() = std::move(intent);
  }

 private:
  google::protobuf::RepeatedPtrField<backtest::v1::Intent>* intents_;
};

// Any error a hook returns fails the run; the engine attributes it to stage
// "strategy" and adds the run id and bar time (a strategy should set the
// symbol itself when one applies).
class Strategy {
 public:
  virtual ~Strategy() = default;

  virtual absl::Status OnStart(const StartContext& context) {
    return absl::OkStatus();
  }

  // The higher timeframes the strategy wants to see, asked once right after
  // OnStart (so they may come from its params): "<n>m" or "<n>h" dividing a
  // day, or "1d" (docs/semantics.md, "Higher timeframes"). The data stage
  // resamples every symbol's bars into them, and each step's closed_bars
  // carries the bars whose period closed at or before the step. Default:
  // none.
  virtual std::vector<std::string> Timeframes() const { return {}; }

  // An order of the strategy filled at the open of this step.
  virtual absl::Status OnFill(const backtest::v1::Fill& fill) {
    return absl::OkStatus();
  }

  // An intent or order of the strategy was refused (by the portfolio at
  // sizing, or by execution at the fill).
  virtual absl::Status OnRejection(const backtest::v1::Rejection& rejection) {
    return absl::OkStatus();
  }

  // Something other than a fill happened to a working order: it expired, was
  // cancelled (at the strategy's request, or by its bracket partner's fill),
  // a bracket exit started working or was resized, a stop-limit triggered.
  virtual absl::Status OnOrderEvent(const backtest::v1::OrderEvent& event) {
    return absl::OkStatus();
  }

  // `symbol` has its first bar of the run, `first_bar`; called after the
  // step's fills and events and before the OnBar that carries that bar. A
  // symbol that starts late (listed after the run's first step) starts then.
  virtual absl::Status OnSymbolStart(int32_t symbol,
                                     const backtest::v1::Bar& first_bar) {
    return absl::OkStatus();
  }

  // The bars of every symbol that has one at this step (step.bars), the
  // higher-timeframe bars that closed since the previous step
  // (step.closed_bars, see Timeframes), and the portfolio as of this step's
  // close (cash, equity, positions, working orders, buying power,
  // exposures). Intents placed here fill no earlier than each symbol's next
  // bar; they may use every Intent action and order field (orders.proto;
  // services/strategy/intents.h builds the common ones).
  virtual absl::Status OnBar(const backtest::v1::TimeStep& step,
                             const backtest::v1::PortfolioView& portfolio,
                             IntentSink& out) = 0;

  virtual absl::Status OnEnd() { return absl::OkStatus(); }
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGY_H_
