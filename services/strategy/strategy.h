// Strategy: the event-driven interface every strategy implements. Per run the
// engine calls OnStart once, then per time step OnFill/OnRejection for each
// settled order and OnBar with the whole cross-section, then OnEnd. A
// strategy keeps its own state between calls. Not thread-safe: the engine
// never calls one instance from two threads at once.
#ifndef SEED_SERVICES_STRATEGY_STRATEGY_H_
#define SEED_SERVICES_STRATEGY_STRATEGY_H_

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

  // An order of the strategy filled at the open of this step.
  virtual absl::Status OnFill(const backtest::v1::Fill& fill) {
    return absl::OkStatus();
  }

  // An intent or order of the strategy was refused (by the portfolio at
  // sizing, or by execution at the fill).
  virtual absl::Status OnRejection(const backtest::v1::Rejection& rejection) {
    return absl::OkStatus();
  }

  // The bars of every symbol that has one at this step, and the portfolio as
  // of this step's close. Intents placed here fill no earlier than each
  // symbol's next bar.
  virtual absl::Status OnBar(const backtest::v1::TimeStep& step,
                             const backtest::v1::PortfolioView& portfolio,
                             IntentSink& out) = 0;

  virtual absl::Status OnEnd() { return absl::OkStatus(); }
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGY_H_
