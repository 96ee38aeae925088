#include "services/strategy/strategies/rsi_reversion.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/strategy/indicators/rsi.h"
#include "services/strategy/param_schema.h"

namespace seed::strategy {
namespace {

// RSI levels are percentages.
constexpr double kRsiMin = 0;
constexpr double kRsiMax = 100;

class RsiSignal final : public SymbolSignal {
 public:
  RsiSignal(int64_t period, double oversold, double overbought)
      : rsi_(period), oversold_(oversold), overbought_(overbought) {}

  void Add(const backtest::v1::Bar& bar) override { rsi_.Add(bar.close()); }
  bool ShouldEnterLong() const override {
    return rsi_.value().has_value() && *rsi_.value() < oversold_;
  }
  bool ShouldExitLong() const override {
    return rsi_.value().has_value() && *rsi_.value() > overbought_;
  }

 private:
  Rsi rsi_;
  double oversold_;
  double overbought_;
};

}  // namespace

StrategyDefinition RsiReversion::Definition() {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name("rsi_reversion");
  info.set_description(
      "Buys when Wilder's RSI of closes is below oversold while flat; closes "
      "the position when it is above overbought. Direction short mirrors it "
      "(short above overbought, cover below oversold); both trades either "
      "side.");
  *info.add_params() =
      IntParam("period", 14, 2, 1000, "RSI period, in bars (moves)");
  *info.add_params() =
      NumberParam("oversold", 30, kRsiMin, kRsiMax,
                  "RSI level to enter below; strictly between 0 and 100");
  *info.add_params() =
      NumberParam("overbought", 70, kRsiMin, kRsiMax,
                  "RSI level to exit above; strictly between 0 and 100");
  *info.add_params() = SignalDirectionParam();
  definition.create = [] { return std::make_unique<RsiReversion>(); };
  definition.check_params = [](const ResolvedParams& params) {
    std::vector<FieldProblem> problems;
    for (const char* level : {"oversold", "overbought"}) {
      RequireAbove(params, level, kRsiMin, problems);
      RequireBelow(params, level, kRsiMax, problems);
    }
    RequireLess(params, "oversold", "overbought", problems);
    return problems;
  };
  return definition;
}

SignalRules RsiReversion::MakeRules(const ResolvedParams& params) const {
  const int64_t period = params.Int("period");
  const double oversold = params.Number("oversold");
  const double overbought = params.Number("overbought");
  return SignalRules{[period, oversold, overbought] {
                       return std::make_unique<RsiSignal>(period, oversold,
                                                          overbought);
                     },
                     absl::StrCat("rsi ", period, " below ", oversold),
                     absl::StrCat("rsi ", period, " above ", overbought)};
}

}  // namespace seed::strategy
