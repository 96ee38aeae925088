#include "services/strategy/strategies/atr_trailing_stop.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/strategy/param_schema.h"
#include "services/strategy/strategies/guarded_position.h"
#include "services/strategy/strategies/signal_strategy.h"

namespace seed::strategy {
namespace {

using ::backtest::v1::Intent;

// The tag of the trailing stop, so it can be told from entries and exits.
constexpr absl::string_view kTrailTag = "trail";

bool IsLong(PositionSide side) { return side == PositionSide::kLong; }

}  // namespace

StrategyDefinition AtrTrailingStop::Definition() {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name("atr_trailing_stop");
  info.set_description(
      "Buys when the close crosses above its SMA while flat and exits only "
      "through a trailing stop atr_multiple ATRs below the highest high "
      "since the entry. Direction short mirrors it; both also reverses on "
      "the opposite cross.");
  *info.add_params() = IntParam("sma_length", 50, 1, 5000,
                                "SMA of closes the trend entry "
                                "crosses, in bars");
  *info.add_params() = IntParam("atr_length", 14, 1, 1000,
                                "ATR period (Wilder), in bars; also the "
                                "trail's atr_length");
  *info.add_params() = NumberParam("atr_multiple", 3.0, 0, 100,
                                   "trailing distance in ATRs; above 0");
  *info.add_params() = DirectionParam(
      "sides to trade. long: buy the cross above the SMA, exit at the "
      "trailing stop");
  definition.create = [] { return std::make_unique<AtrTrailingStop>(); };
  definition.check_params = [](const ResolvedParams& params) {
    std::vector<FieldProblem> problems;
    RequireAbove(params, "atr_multiple", 0, problems);
    return problems;
  };
  return definition;
}

absl::Status AtrTrailingStop::OnStart(const StartContext& context) {
  const ResolvedParams& params = context.params;
  symbols_ = context.symbols;
  states_.assign(symbols_.size(), SymbolState(params.Int("sma_length"),
                                              params.Int("atr_length")));
  direction_ = ParseDirection(params.Text("direction"));
  atr_multiple_ = params.Number("atr_multiple");
  atr_length_ = static_cast<int32_t>(params.Int("atr_length"));
  return absl::OkStatus();
}

std::optional<Intent> AtrTrailingStop::Entry(int32_t symbol, PositionSide side,
                                             const backtest::v1::Bar& bar,
                                             const SymbolState& state) const {
  const std::optional<double> atr = state.atr.value();
  const bool long_side = IsLong(side);
  if (!Allows(direction_, side) || !atr.has_value() || *atr <= 0 ||
      !(long_side ? state.cross.crossed_above()
                  : state.cross.crossed_below())) {
    return std::nullopt;
  }
  Intent entry =
      MarketEntry(symbol, side,
                  absl::StrCat("close crossed ", long_side ? "above" : "below",
                               " sma ", state.sma.period()),
                  "entry");
  const double stop = long_side ? bar.close() - atr_multiple_ * *atr
                                : bar.close() + atr_multiple_ * *atr;
  if (stop > 0) entry.set_initial_stop(stop);
  return entry;
}

absl::Status AtrTrailingStop::OnBar(
    const backtest::v1::TimeStep& step,
    const backtest::v1::PortfolioView& portfolio, IntentSink& out) {
  for (const backtest::v1::Bar& bar : step.bars()) {
    const int32_t symbol = bar.symbol();
    const absl::Status status =
        CheckFinitePrices(bar, symbols_[symbol], step.time());
    if (!status.ok()) return status;
    SymbolState& state = states_[symbol];
    state.sma.Add(bar.close());
    state.atr.Add(bar.high(), bar.low(), bar.close());
    state.cross.Add(bar.close(), state.sma.value());

    const GuardedPosition position(portfolio, symbol, kTrailTag);
    if (position.awaiting_other_order()) continue;
    if (position.flat()) {
      position.EnterFromFlat(
          [&](PositionSide side) { return Entry(symbol, side, bar, state); },
          out);
      continue;
    }
    const PositionSide side = position.side();
    std::optional<Intent> reverse = Entry(symbol, Opposite(side), bar, state);
    if (reverse.has_value()) {
      position.CancelGuards("reversing", out);
      out.Emit(MarketExit(symbol, side, reverse->reason(), "exit"));
      out.Emit(*std::move(reverse));
      continue;
    }
    if (position.guarded()) continue;
    const std::optional<double> atr = state.atr.value();
    if (atr.has_value() && *atr > 0) {
      out.Emit(AtrTrailingExit(
          symbol, side, atr_multiple_, *atr, atr_length_,
          absl::StrCat("trailing stop ", atr_multiple_, " ATR ", atr_length_),
          kTrailTag));
    } else {
      out.Emit(MarketExit(symbol, side, "no ATR to trail the position with",
                          "exit"));
    }
  }
  return absl::OkStatus();
}

}  // namespace seed::strategy
