#include "services/strategy/strategies/trend_pullback.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/strategy/param_schema.h"
#include "services/strategy/strategies/signal_strategy.h"

namespace seed::strategy {

using ::backtest::v1::Intent;

StrategyDefinition TrendPullback::Definition() {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name("trend_pullback");
  info.set_description(
      "In an uptrend (close above the trend SMA), a close below the pullback "
      "SMA arms the setup and the next close back above it buys, with a "
      "bracket: stop-loss at the lowest low of the last swing_bars bars, "
      "take-profit at target_r times the initial risk. Direction short "
      "mirrors it; both trades either side.");
  *info.add_params() = IntParam("trend_length", 50, 2, 5000,
                                "SMA of closes that defines the trend, in "
                                "bars");
  *info.add_params() = IntParam("pullback_length", 5, 1, 1000,
                                "SMA of closes the pullback dips below and "
                                "the resumption closes back above, in bars; "
                                "less than trend_length");
  *info.add_params() = IntParam("swing_bars", 5, 1, 1000,
                                "bars (the entry bar included) whose lowest "
                                "low is the stop-loss");
  *info.add_params() = NumberParam(
      "target_r", 2.0, 0, 100,
      "take-profit distance in multiples of the initial risk (entry fill "
      "minus stop); above 0");
  *info.add_params() =
      DirectionParam("sides to trade. long: buy pullbacks in an uptrend");
  definition.create = [] { return std::make_unique<TrendPullback>(); };
  definition.check_params = [](const ResolvedParams& params) {
    std::vector<FieldProblem> problems;
    RequireLess(params, "pullback_length", "trend_length", problems);
    RequireAbove(params, "target_r", 0, problems);
    return problems;
  };
  return definition;
}

absl::Status TrendPullback::OnStart(const StartContext& context) {
  const ResolvedParams& params = context.params;
  symbols_ = context.symbols;
  states_.assign(symbols_.size(), SymbolState(params.Int("trend_length"),
                                              params.Int("pullback_length"),
                                              params.Int("swing_bars")));
  direction_ = ParseDirection(params.Text("direction"));
  target_r_ = params.Number("target_r");
  return absl::OkStatus();
}

std::optional<Intent> TrendPullback::Entry(int32_t symbol, PositionSide side,
                                           const backtest::v1::Bar& bar,
                                           SymbolState& state) const {
  const bool long_side = side == PositionSide::kLong;
  bool& armed = long_side ? state.armed_long : state.armed_short;
  const std::optional<double> trend = state.trend.value();
  const std::optional<double> pullback = state.pullback.value();
  const std::optional<Band> swing = state.swing.value();
  if (!Allows(direction_, side) || !trend.has_value() ||
      !pullback.has_value() || !swing.has_value()) {
    return std::nullopt;
  }
  // Long side; the short side is its mirror image.
  const double close = bar.close();
  const bool with_trend = long_side ? close > *trend : close < *trend;
  const bool pulled_back = long_side ? close < *pullback : close > *pullback;
  const bool resumed = long_side ? close > *pullback : close < *pullback;
  if (!with_trend) {
    armed = false;
    return std::nullopt;
  }
  if (pulled_back) {
    armed = true;
    return std::nullopt;
  }
  if (!armed || !resumed) return std::nullopt;
  armed = false;
  const double stop = long_side ? swing->lower : swing->upper;
  if (stop <= 0 || (long_side ? stop >= close : stop <= close)) {
    return std::nullopt;
  }
  return BracketEntry(
      symbol, side, stop, target_r_,
      absl::StrCat(long_side ? "uptrend" : "downtrend", " (sma ",
                   state.trend.period(), ") resumed after a pullback (sma ",
                   state.pullback.period(), ")"),
      "entry");
}

absl::Status TrendPullback::OnBar(const backtest::v1::TimeStep& step,
                                  const backtest::v1::PortfolioView& portfolio,
                                  IntentSink& out) {
  for (const backtest::v1::Bar& bar : step.bars()) {
    const int32_t symbol = bar.symbol();
    const absl::Status status =
        CheckFinitePrices(bar, symbols_[symbol], step.time());
    if (!status.ok()) return status;
    SymbolState& state = states_[symbol];
    state.trend.Add(bar.close());
    state.pullback.Add(bar.close());
    state.swing.Add(bar.high(), bar.low());
    if (PositionQuantity(portfolio, symbol) != 0 ||
        !WorkingOrders(portfolio, symbol).empty()) {
      state.armed_long = state.armed_short = false;
      continue;
    }
    // Both sides update their setups; a long entry wins a tie.
    std::optional<Intent> long_entry =
        Entry(symbol, PositionSide::kLong, bar, state);
    std::optional<Intent> short_entry =
        Entry(symbol, PositionSide::kShort, bar, state);
    if (long_entry.has_value()) {
      out.Emit(*std::move(long_entry));
    } else if (short_entry.has_value()) {
      out.Emit(*std::move(short_entry));
    }
  }
  return absl::OkStatus();
}

}  // namespace seed::strategy
