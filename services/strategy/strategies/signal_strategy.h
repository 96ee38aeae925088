// SignalStrategy: the shared body of the per-symbol signal strategies
// (sma_cross, ema_cross, momentum, zscore_reversion, rsi_reversion,
// bollinger_reversion). A strategy supplies, per symbol, a SymbolSignal
// ("update the indicators with this bar; enter or exit a long? a short?")
// and gets the rest: per-symbol state, flat/long/short from the portfolio
// view, the `direction` parameter, orders in flight, MARKET intents with
// reasons. Not thread-safe (see Strategy).
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_SIGNAL_STRATEGY_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_SIGNAL_STRATEGY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/market.pb.h"
#include "backtest/v1/orders.pb.h"
#include "common/stage_error.h"
#include "services/strategy/intents.h"
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

  // Every higher-timeframe bar of the symbol (SignalRules.timeframes), once
  // it has closed, before the step's own bar; the close is finite.
  virtual void AddClosed(const backtest::v1::ClosedBar& bar) {}

  // The long side's rules ("the buy signal", "the sell signal").
  virtual bool ShouldEnterLong() const = 0;
  virtual bool ShouldExitLong() const = 0;
  // The short side's rules; by default the mirror image of the long side's:
  // short on the sell signal, cover on the buy signal. A rule whose exit is
  // not the mirror of its entry (reversion to the mean) overrides both.
  virtual bool ShouldEnterShort() const { return ShouldExitLong(); }
  virtual bool ShouldExitShort() const { return ShouldEnterLong(); }
};

// What a strategy's parameters make for one run.
struct SignalRules {
  std::function<std::unique_ptr<SymbolSignal>()> new_signal;
  std::string entry_reason;  // the BUY intents' reason
  std::string exit_reason;   // the long exits' (CLOSE) reason
  // The SHORT and COVER intents' reasons; empty: exit_reason and
  // entry_reason (right when the short rules are the default mirror).
  std::string short_entry_reason;
  std::string short_exit_reason;
  // Higher timeframes the signals read (Strategy::Timeframes); empty: none.
  std::vector<std::string> timeframes;
};

// Flat means no position in the view; long a positive one, short a negative
// one. Param `direction` (DirectionParam) chooses the sides:
//   long:  flat and ShouldEnterLong: MARKET BUY; long and ShouldExitLong:
//          MARKET CLOSE.
//   short: flat and ShouldEnterShort: MARKET SHORT; short and
//          ShouldExitShort: MARKET COVER.
//   both:  flat: BUY on ShouldEnterLong, else SHORT on ShouldEnterShort;
//          an exit whose bar also says enter the other side reverses: CLOSE
//          then SHORT, or COVER then BUY, in that order at one step.
// Entries have quantity 0 (the portfolio's sizing rule decides); exits take
// the whole position. After emitting for a symbol it emits nothing more for
// it until every order it emitted is settled: filled completely, rejected,
// expired or cancelled. A rejected entry leaves it flat, free to enter again.
// At each step the closed higher-timeframe bars of SignalRules.timeframes go
// to their symbols' signals first (others, which another strategy of the run
// asked for, are ignored), then the step's bars. A non-finite close fails
// the run (NON_FINITE_CLOSE). Each strategy's schema must declare the
// `direction` parameter.
class SignalStrategy : public Strategy {
 public:
  absl::Status OnStart(const StartContext& context) final;
  std::vector<std::string> Timeframes() const final;
  absl::Status OnFill(const backtest::v1::Fill& fill) final;
  absl::Status OnRejection(const backtest::v1::Rejection& rejection) final;
  absl::Status OnOrderEvent(const backtest::v1::OrderEvent& event) final;
  absl::Status OnBar(const backtest::v1::TimeStep& step,
                     const backtest::v1::PortfolioView& portfolio,
                     IntentSink& out) final;

 protected:
  // Called once per run, from OnStart, with the resolved params.
  virtual SignalRules MakeRules(const ResolvedParams& params) const = 0;

 private:
  struct SymbolState {
    std::unique_ptr<SymbolSignal> signal;
    int orders_in_flight = 0;
  };

  // One order of `symbol` settled.
  void Settle(int32_t symbol);
  // The intents for one symbol's bar at position `held`, in order.
  std::vector<backtest::v1::Intent> Decide(int32_t symbol,
                                           const SymbolSignal& signal,
                                           double held) const;

  std::vector<std::string> symbols_;
  std::vector<SymbolState> states_;
  // Shares held per symbol as of the current step's close; reused per step.
  std::vector<double> held_;
  Direction direction_ = Direction::kLong;
  SignalRules rules_;
};

// For strategies that read only closes: a non-finite close fails the run
// (NON_FINITE_CLOSE, naming the symbol and time).
absl::Status CheckFiniteClose(const backtest::v1::Bar& bar,
                              const std::string& symbol, int64_t time);

// For strategies that read every price of a bar: a non-finite open, high,
// low or close fails the run (NON_FINITE_PRICE, naming the symbol and time)
// before it can poison an indicator for good.
absl::Status CheckFinitePrices(const backtest::v1::Bar& bar,
                               const std::string& symbol, int64_t time);

// The `direction` parameter of the signal strategies (DirectionParam).
backtest::v1::ParamSchema SignalDirectionParam();

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

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_SIGNAL_STRATEGY_H_
