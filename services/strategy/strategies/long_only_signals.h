// LongOnlySignals: the shared body of the long-only signal strategies. A
// strategy supplies, per symbol, a SymbolSignal ("update the indicators with
// this bar; enter? exit?") and gets the rest: per-symbol state, flat/long from
// the portfolio view, one order in flight per symbol, BUY (sized by the
// portfolio) and CLOSE intents with reasons. Long only for now; a direction
// parameter will add short variants. Not thread-safe (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_LONG_ONLY_SIGNALS_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_LONG_ONLY_SIGNALS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/market.pb.h"
#include "backtest/v1/orders.pb.h"
#include "common/stage_error.h"
#include "services/strategy/param_schema.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

// One symbol's indicators and entry/exit rules.
class SymbolSignal {
 public:
  virtual ~SymbolSignal() = default;

  // Every bar of the symbol, in time order, whatever the position or orders;
  // the close is finite.
  virtual void Add(const backtest::v1::Bar& bar) = 0;

  // Asked after Add, only while flat and with no order in flight.
  virtual bool ShouldEnter() const = 0;
  // Asked after Add, only while long and with no order in flight.
  virtual bool ShouldExit() const = 0;
};

// What a strategy's parameters make for one run.
struct SignalRules {
  std::function<std::unique_ptr<SymbolSignal>()> new_signal;
  std::string entry_reason;  // the BUY intents' reason
  std::string exit_reason;   // the CLOSE intents' reason
};

// Flat means no position in the view; long means a positive one. On a flat
// symbol whose signal says enter it emits a MARKET BUY of quantity 0 (the
// portfolio's sizing rule decides); on a long one whose signal says exit, a
// MARKET CLOSE. After emitting for a symbol it emits nothing more for it until
// a fill or rejection for it arrives; a rejected entry leaves it flat, free to
// enter again. A non-finite close fails the run (NON_FINITE_CLOSE).
class LongOnlySignals : public Strategy {
 public:
  absl::Status OnStart(const StartContext& context) final;
  absl::Status OnFill(const backtest::v1::Fill& fill) final;
  absl::Status OnRejection(const backtest::v1::Rejection& rejection) final;
  absl::Status OnBar(const backtest::v1::TimeStep& step,
                     const backtest::v1::PortfolioView& portfolio,
                     IntentSink& out) final;

 protected:
  // Called once per run, from OnStart, with the resolved params.
  virtual SignalRules MakeRules(const ResolvedParams& params) const = 0;

 private:
  struct SymbolState {
    std::unique_ptr<SymbolSignal> signal;
    bool order_in_flight = false;
  };

  std::vector<std::string> symbols_;
  std::vector<SymbolState> states_;
  // Shares held per symbol as of the current step's close; reused per step.
  std::vector<double> held_;
  std::string entry_reason_;
  std::string exit_reason_;
};

// For check_params: a problem on "strategy.params.<name>" when the param is
// not above `bound` (schemas carry inclusive bounds only).
void RequireAbove(const ResolvedParams& params, absl::string_view name,
                  double bound, std::vector<FieldProblem>& problems);
// For check_params: a problem on "strategy.params.<name>" when the param is
// not below `bound`.
void RequireBelow(const ResolvedParams& params, absl::string_view name,
                  double bound, std::vector<FieldProblem>& problems);
// For check_params: a problem on "strategy.params.<low>" unless low < high.
void RequireLess(const ResolvedParams& params, absl::string_view low,
                 absl::string_view high, std::vector<FieldProblem>& problems);

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_LONG_ONLY_SIGNALS_H_
