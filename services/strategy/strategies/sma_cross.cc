#include "services/strategy/strategies/sma_cross.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "services/strategy/param_schema.h"

namespace seed::strategy {

using ::backtest::v1::Intent;

StrategyDefinition SmaCross::Definition() {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name("sma_cross");
  info.set_description(
      "Long only. Buys when the fast SMA of closes crosses above the slow SMA "
      "while flat; closes the position when it crosses below.");
  *info.add_params() =
      IntParam("fast", 10, 1, 1000, "period of the fast SMA, in bars");
  *info.add_params() =
      IntParam("slow", 30, 2, 5000, "period of the slow SMA, in bars");
  definition.create = [] { return std::make_unique<SmaCross>(); };
  definition.check_params = [](const ResolvedParams& params) {
    std::vector<FieldProblem> problems;
    const int64_t fast = params.Int("fast");
    const int64_t slow = params.Int("slow");
    if (fast >= slow) {
      problems.push_back(
          {"strategy.params.fast", absl::StrCat("must be less than slow (fast ",
                                                fast, ", slow ", slow, ")")});
    }
    return problems;
  };
  return definition;
}

absl::Status SmaCross::OnStart(const StartContext& context) {
  const int64_t fast = context.params.Int("fast");
  const int64_t slow = context.params.Int("slow");
  symbols_ = context.symbols;
  states_.clear();
  for (size_t i = 0; i < symbols_.size(); ++i) {
    states_.push_back(SymbolState{Sma(fast), Sma(slow)});
  }
  held_.assign(symbols_.size(), 0.0);
  entry_reason_ = absl::StrCat("sma ", fast, " crossed above sma ", slow);
  exit_reason_ = absl::StrCat("sma ", fast, " crossed below sma ", slow);
  return absl::OkStatus();
}

// With one order in flight per symbol, any fill or rejection for the symbol
// settles it.
absl::Status SmaCross::OnFill(const backtest::v1::Fill& fill) {
  states_[fill.symbol()].order_in_flight = false;
  return absl::OkStatus();
}

absl::Status SmaCross::OnRejection(const backtest::v1::Rejection& rejection) {
  states_[rejection.symbol()].order_in_flight = false;
  return absl::OkStatus();
}

absl::Status SmaCross::OnBar(const backtest::v1::TimeStep& step,
                             const backtest::v1::PortfolioView& portfolio,
                             IntentSink& out) {
  std::fill(held_.begin(), held_.end(), 0.0);
  for (const auto& position : portfolio.positions()) {
    held_[position.symbol()] = position.quantity();
  }
  for (const backtest::v1::Bar& bar : step.bars()) {
    SymbolState& state = states_[bar.symbol()];
    if (!std::isfinite(bar.close())) {
      // A non-finite value would poison the exact window sums for good.
      return StageFailure(
          absl::StatusCode::kInvalidArgument, "strategy", "NON_FINITE_CLOSE",
          absl::StrCat("close of ", symbols_[bar.symbol()], " at ",
                       FormatTime(step.time()), " is ", bar.close(),
                       "; the data stage should have rejected this bar"),
          {.symbol = symbols_[bar.symbol()],
           .bar_time = FormatTime(step.time())});
    }
    state.fast.Add(bar.close());
    state.slow.Add(bar.close());
    if (!state.fast.value().has_value() || !state.slow.value().has_value()) {
      continue;
    }
    const double difference = *state.fast.value() - *state.slow.value();
    const std::optional<double> before = state.last_nonzero_difference;
    if (difference != 0.0) state.last_nonzero_difference = difference;
    if (!before.has_value() || state.order_in_flight) continue;

    const bool crossed_above = *before < 0.0 && difference > 0.0;
    const bool crossed_below = *before > 0.0 && difference < 0.0;
    const double held = held_[bar.symbol()];
    Intent intent;
    if (held == 0.0 && crossed_above) {
      intent.set_action(Intent::BUY);
      intent.set_reason(entry_reason_);
    } else if (held > 0.0 && crossed_below) {
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

}  // namespace seed::strategy
