#include "services/strategy/strategies/long_only_signals.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/time.h"

namespace seed::strategy {

using ::backtest::v1::Intent;

absl::Status LongOnlySignals::OnStart(const StartContext& context) {
  SignalRules rules = MakeRules(context.params);
  symbols_ = context.symbols;
  states_.clear();
  states_.resize(symbols_.size());
  for (SymbolState& state : states_) state.signal = rules.new_signal();
  held_.assign(symbols_.size(), 0.0);
  entry_reason_ = std::move(rules.entry_reason);
  exit_reason_ = std::move(rules.exit_reason);
  return absl::OkStatus();
}

// With one order in flight per symbol, any fill or rejection for the symbol
// settles it.
absl::Status LongOnlySignals::OnFill(const backtest::v1::Fill& fill) {
  states_[fill.symbol()].order_in_flight = false;
  return absl::OkStatus();
}

absl::Status LongOnlySignals::OnRejection(
    const backtest::v1::Rejection& rejection) {
  states_[rejection.symbol()].order_in_flight = false;
  return absl::OkStatus();
}

absl::Status LongOnlySignals::OnBar(
    const backtest::v1::TimeStep& step,
    const backtest::v1::PortfolioView& portfolio, IntentSink& out) {
  std::fill(held_.begin(), held_.end(), 0.0);
  for (const auto& position : portfolio.positions()) {
    held_[position.symbol()] = position.quantity();
  }
  for (const backtest::v1::Bar& bar : step.bars()) {
    SymbolState& state = states_[bar.symbol()];
    if (!std::isfinite(bar.close())) {
      // A non-finite value would poison the indicators' exact sums for good.
      return StageFailure(
          absl::StatusCode::kInvalidArgument, "strategy", "NON_FINITE_CLOSE",
          absl::StrCat("close of ", symbols_[bar.symbol()], " at ",
                       FormatTime(step.time()), " is ", bar.close(),
                       "; the data stage should have rejected this bar"),
          {.symbol = symbols_[bar.symbol()],
           .bar_time = FormatTime(step.time())});
    }
    state.signal->Add(bar);
    if (state.order_in_flight) continue;

    const double held = held_[bar.symbol()];
    Intent intent;
    if (held == 0.0 && state.signal->ShouldEnter()) {
      intent.set_action(Intent::BUY);
      intent.set_reason(entry_reason_);
    } else if (held > 0.0 && state.signal->ShouldExit()) {
      intent.set_action(Intent::CLOSE);
      intent.set_reason(exit_reason_);
    } else {
      continue;
    }
    intent.set_symbol(bar.symbol());
    intent.set_quantity(0.0);  // the portfolio's sizing rule decides
    intent.set_type(backtest::v1::MARKET);
    state.order_in_flight = true;
    out.Emit(std::move(intent));
  }
  return absl::OkStatus();
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
