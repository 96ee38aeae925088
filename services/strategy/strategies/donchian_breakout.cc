#include "services/strategy/strategies/donchian_breakout.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/strategy/param_schema.h"
#include "services/strategy/strategies/guarded_position.h"
#include "services/strategy/strategies/signal_strategy.h"

namespace seed::strategy {
namespace {

using ::backtest::v1::Intent;

// The tag of the protective stop, so it can be told from entries and exits.
constexpr absl::string_view kStopTag = "stop";

bool IsLong(PositionSide side) { return side == PositionSide::kLong; }

}  // namespace

StrategyDefinition DonchianBreakout::Definition() {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name("donchian_breakout");
  info.set_description(
      "Buys when the close breaks above the highest high of the previous "
      "entry_bars bars, with a protective stop atr_stop ATRs below the "
      "entry close; closes the position when the close falls below the "
      "lowest low of the previous exit_bars bars, or at the stop. Direction "
      "short mirrors it; both trades either side.");
  *info.add_params() = IntParam("entry_bars", 20, 1, 1000,
                                "bars of the entry channel (before the "
                                "current bar)");
  *info.add_params() = IntParam("exit_bars", 10, 1, 1000,
                                "bars of the exit channel (before the "
                                "current bar)");
  *info.add_params() =
      IntParam("atr_length", 14, 1, 1000, "ATR period (Wilder), in bars");
  *info.add_params() = NumberParam(
      "atr_stop", 2.0, 0, 100,
      "initial stop distance from the entry close, in ATRs; above 0");
  *info.add_params() = DirectionParam(
      "sides to trade. long: buy the breakout above the entry channel, exit "
      "below the exit channel or at the stop");
  definition.create = [] { return std::make_unique<DonchianBreakout>(); };
  definition.check_params = [](const ResolvedParams& params) {
    std::vector<FieldProblem> problems;
    RequireAbove(params, "atr_stop", 0, problems);
    return problems;
  };
  return definition;
}

absl::Status DonchianBreakout::OnStart(const StartContext& context) {
  const ResolvedParams& params = context.params;
  symbols_ = context.symbols;
  states_.assign(symbols_.size(),
                 SymbolState(params.Int("entry_bars"), params.Int("exit_bars"),
                             params.Int("atr_length")));
  direction_ = ParseDirection(params.Text("direction"));
  atr_stop_ = params.Number("atr_stop");
  return absl::OkStatus();
}

std::optional<Intent> DonchianBreakout::Entry(
    int32_t symbol, PositionSide side, const backtest::v1::Bar& bar,
    const std::optional<Band>& entry_channel, SymbolState& state) const {
  const std::optional<double> atr = state.atr.value();
  if (!Allows(direction_, side) || !entry_channel.has_value() ||
      !atr.has_value() || *atr <= 0) {
    return std::nullopt;
  }
  const bool long_side = IsLong(side);
  if (long_side ? !(bar.close() > entry_channel->upper)
                : !(bar.close() < entry_channel->lower)) {
    return std::nullopt;
  }
  const double stop = long_side ? bar.close() - atr_stop_ * *atr
                                : bar.close() + atr_stop_ * *atr;
  if (stop <= 0) return std::nullopt;
  Intent entry = MarketEntry(
      symbol, side,
      absl::StrCat("close ", long_side ? "above the " : "below the ",
                   state.entry_channel.period(), "-bar ",
                   long_side ? "high " : "low ",
                   long_side ? entry_channel->upper : entry_channel->lower),
      "entry");
  entry.set_initial_stop(stop);
  state.planned_stop = stop;
  return entry;
}

absl::Status DonchianBreakout::OnBar(
    const backtest::v1::TimeStep& step,
    const backtest::v1::PortfolioView& portfolio, IntentSink& out) {
  for (const backtest::v1::Bar& bar : step.bars()) {
    const int32_t symbol = bar.symbol();
    absl::Status status = CheckFinitePrices(bar, symbols_[symbol], step.time());
    if (!status.ok()) return status;
    SymbolState& state = states_[symbol];
    // The channels of the bars before this one.
    const std::optional<Band> entry_channel = state.entry_channel.value();
    const std::optional<Band> exit_channel = state.exit_channel.value();
    state.entry_channel.Add(bar.high(), bar.low());
    state.exit_channel.Add(bar.high(), bar.low());
    state.atr.Add(bar.high(), bar.low(), bar.close());

    const GuardedPosition position(portfolio, symbol, kStopTag);
    if (position.awaiting_other_order()) continue;
    if (position.flat()) {
      state.planned_stop = 0;
      position.EnterFromFlat(
          [&](PositionSide side) {
            return Entry(symbol, side, bar, entry_channel, state);
          },
          out);
      continue;
    }
    const PositionSide side = position.side();
    const bool long_side = IsLong(side);
    if (exit_channel.has_value() &&
        (long_side ? bar.close() < exit_channel->lower
                   : bar.close() > exit_channel->upper)) {
      position.CancelGuards("exit channel broken", out);
      out.Emit(MarketExit(
          symbol, side,
          absl::StrCat("close ", long_side ? "below the " : "above the ",
                       state.exit_channel.period(), "-bar ",
                       long_side ? "low " : "high ",
                       long_side ? exit_channel->lower : exit_channel->upper),
          "exit"));
      std::optional<Intent> reverse =
          Entry(symbol, Opposite(side), bar, entry_channel, state);
      if (reverse.has_value()) out.Emit(*std::move(reverse));
      continue;
    }
    if (position.guarded()) continue;
    // The entry filled at this bar's open: protect it. A position the
    // strategy did not open gets the stop its rule would have given now.
    std::optional<double> atr = state.atr.value();
    double stop = state.planned_stop;
    if (stop <= 0 && atr.has_value()) {
      stop = long_side ? bar.close() - atr_stop_ * *atr
                       : bar.close() + atr_stop_ * *atr;
    }
    if (stop > 0 && (long_side ? stop <= bar.close() : stop >= bar.close())) {
      out.Emit(ProtectiveStop(
          symbol, side, stop,
          absl::StrCat("initial stop ", atr_stop_, " ATR from the entry"),
          kStopTag));
    } else {
      out.Emit(
          MarketExit(symbol, side,
                     absl::StrCat("close ", bar.close(),
                                  " already through the initial stop ", stop),
                     "exit"));
    }
  }
  return absl::OkStatus();
}

}  // namespace seed::strategy
