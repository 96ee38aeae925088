#include "services/strategy/strategies/signal_strategy.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/time.h"

namespace seed::strategy {

using ::backtest::v1::Intent;

absl::Status SignalStrategy::OnStart(const StartContext& context) {
  rules_ = MakeRules(context.params);
  if (rules_.short_entry_reason.empty()) {
    rules_.short_entry_reason = rules_.exit_reason;
  }
  if (rules_.short_exit_reason.empty()) {
    rules_.short_exit_reason = rules_.entry_reason;
  }
  direction_ = ParseDirection(context.params.Text("direction"));
  symbols_ = context.symbols;
  states_.clear();
  states_.resize(symbols_.size());
  for (SymbolState& state : states_) state.signal = rules_.new_signal();
  held_.assign(symbols_.size(), 0.0);
  return absl::OkStatus();
}

std::vector<std::string> SignalStrategy::Timeframes() const {
  return rules_.timeframes;
}

void SignalStrategy::Settle(int32_t symbol) {
  int& in_flight = states_[symbol].orders_in_flight;
  in_flight = std::max(0, in_flight - 1);
}

// A partial fill leaves the rest of the order working.
absl::Status SignalStrategy::OnFill(const backtest::v1::Fill& fill) {
  if (!fill.partial()) Settle(fill.symbol());
  return absl::OkStatus();
}

absl::Status SignalStrategy::OnRejection(
    const backtest::v1::Rejection& rejection) {
  Settle(rejection.symbol());
  return absl::OkStatus();
}

// Only an order that stops working without filling completely settles here;
// the other events are about orders these strategies never place.
absl::Status SignalStrategy::OnOrderEvent(
    const backtest::v1::OrderEvent& event) {
  if (event.kind() == backtest::v1::OrderEvent::EXPIRED ||
      event.kind() == backtest::v1::OrderEvent::CANCELLED) {
    Settle(event.symbol());
  }
  return absl::OkStatus();
}

std::vector<Intent> SignalStrategy::Decide(int32_t symbol,
                                           const SymbolSignal& signal,
                                           double held) const {
  const bool may_long = Allows(direction_, PositionSide::kLong);
  const bool may_short = Allows(direction_, PositionSide::kShort);
  const auto enter_long = [&] {
    return MarketEntry(symbol, PositionSide::kLong, rules_.entry_reason);
  };
  const auto enter_short = [&] {
    return MarketEntry(symbol, PositionSide::kShort, rules_.short_entry_reason);
  };
  std::vector<Intent> intents;
  if (held == 0.0) {
    if (may_long && signal.ShouldEnterLong()) {
      intents.push_back(enter_long());
    } else if (may_short && signal.ShouldEnterShort()) {
      intents.push_back(enter_short());
    }
  } else if (held > 0.0 && may_long && signal.ShouldExitLong()) {
    intents.push_back(
        MarketExit(symbol, PositionSide::kLong, rules_.exit_reason));
    if (may_short && signal.ShouldEnterShort()) {
      intents.push_back(enter_short());
    }
  } else if (held < 0.0 && may_short && signal.ShouldExitShort()) {
    intents.push_back(
        MarketExit(symbol, PositionSide::kShort, rules_.short_exit_reason));
    if (may_long && signal.ShouldEnterLong()) intents.push_back(enter_long());
  }
  return intents;
}

absl::Status SignalStrategy::OnBar(const backtest::v1::TimeStep& step,
                                   const backtest::v1::PortfolioView& portfolio,
                                   IntentSink& out) {
  std::fill(held_.begin(), held_.end(), 0.0);
  for (const auto& position : portfolio.positions()) {
    held_[position.symbol()] = position.quantity();
  }
  for (const backtest::v1::ClosedBar& closed : step.closed_bars()) {
    // In a run of several strategies, those another one asked for too.
    if (std::find(rules_.timeframes.begin(), rules_.timeframes.end(),
                  closed.timeframe()) == rules_.timeframes.end()) {
      continue;
    }
    const int32_t symbol = closed.bar().symbol();
    const absl::Status status =
        CheckFiniteClose(closed.bar(), symbols_[symbol], step.time());
    if (!status.ok()) return status;
    states_[symbol].signal->AddClosed(closed);
  }
  for (const backtest::v1::Bar& bar : step.bars()) {
    SymbolState& state = states_[bar.symbol()];
    // A non-finite value would poison the indicators' exact sums for good.
    const absl::Status status =
        CheckFiniteClose(bar, symbols_[bar.symbol()], step.time());
    if (!status.ok()) return status;
    state.signal->Add(bar);
    if (state.orders_in_flight > 0) continue;
    for (Intent& intent :
         Decide(bar.symbol(), *state.signal, held_[bar.symbol()])) {
      ++state.orders_in_flight;
      out.Emit(std::move(intent));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckFiniteClose(const backtest::v1::Bar& bar,
                              const std::string& symbol, int64_t time) {
  if (std::isfinite(bar.close())) return absl::OkStatus();
  return StageFailure(
      absl::StatusCode::kInvalidArgument, "strategy", "NON_FINITE_CLOSE",
      absl::StrCat("close of ", symbol, " at ", FormatTime(time), " is ",
                   bar.close(),
                   "; the data stage should have rejected this bar"),
      {.symbol = symbol, .bar_time = FormatTime(time)});
}

absl::Status CheckFinitePrices(const backtest::v1::Bar& bar,
                               const std::string& symbol, int64_t time) {
  for (const double price : {bar.open(), bar.high(), bar.low(), bar.close()}) {
    if (std::isfinite(price)) continue;
    return StageFailure(
        absl::StatusCode::kInvalidArgument, "strategy", "NON_FINITE_PRICE",
        absl::StrCat("a price of ", symbol, " at ", FormatTime(time), " is ",
                     price, "; the data stage should have rejected this bar"),
        {.symbol = symbol, .bar_time = FormatTime(time)});
  }
  return absl::OkStatus();
}

backtest::v1::ParamSchema SignalDirectionParam() {
  return DirectionParam(
      "sides to trade. long: buy on the entry signal, close on the exit "
      "signal");
}

namespace {

// Ints are carried as numbers too (see ParamSchema types).
double ValueOf(const ResolvedParams& params, absl::string_view name) {
  return params.values().at(std::string(name)).number();
}

std::string FieldOf(absl::string_view name) {
  return absl::StrCat("strategy.params.", name);
}

}  // namespace

void RequireAbove(const ResolvedParams& params, absl::string_view name,
                  double bound, std::vector<FieldProblem>& problems) {
  const double value = ValueOf(params, name);
  if (value > bound) return;
  problems.push_back({FieldOf(name), absl::StrCat("must be greater than ",
                                                  bound, " (is ", value, ")")});
}

void RequireBelow(const ResolvedParams& params, absl::string_view name,
                  double bound, std::vector<FieldProblem>& problems) {
  const double value = ValueOf(params, name);
  if (value < bound) return;
  problems.push_back({FieldOf(name), absl::StrCat("must be less than ", bound,
                                                  " (is ", value, ")")});
}

void RequireLess(const ResolvedParams& params, absl::string_view low,
                 absl::string_view high, std::vector<FieldProblem>& problems) {
  const double low_value = ValueOf(params, low);
  const double high_value = ValueOf(params, high);
  if (low_value < high_value) return;
  problems.push_back(
      {FieldOf(low),
       absl::StrCat("must be less than ", high, " (", low, " ", low_value, ", ",
                    high, " ", high_value, ")")});
}

}  // namespace seed::strategy
