#include "services/strategy/strategies/bollinger_reversion.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/strategy/indicators/bollinger_bands.h"
#include "services/strategy/param_schema.h"

namespace seed::strategy {
namespace {

class BollingerSignal final : public SymbolSignal {
 public:
  BollingerSignal(int64_t period, double width) : bands_(period, width) {}

  void Add(const backtest::v1::Bar& bar) override {
    bands_.Add(bar.close());
    close_ = bar.close();
  }
  bool ShouldEnterLong() const override {
    return bands_.value().has_value() && close_ < bands_.value()->lower;
  }
  bool ShouldExitLong() const override {
    return bands_.value().has_value() && close_ >= bands_.value()->middle;
  }
  // The mirror image around the middle band, not the long side's exit.
  bool ShouldEnterShort() const override {
    return bands_.value().has_value() && close_ > bands_.value()->upper;
  }
  bool ShouldExitShort() const override {
    return bands_.value().has_value() && close_ <= bands_.value()->middle;
  }

 private:
  BollingerBands bands_;
  double close_ = 0;
};

}  // namespace

StrategyDefinition BollingerReversion::Definition() {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name("bollinger_reversion");
  info.set_description(
      "Buys when the close is below the lower Bollinger band while flat; "
      "closes the position when the close is at or above the middle band (the "
      "SMA). Direction short mirrors it (short above the upper band, cover at "
      "or below the middle); both trades either side.");
  *info.add_params() =
      IntParam("period", 20, 2, 1000, "closes in the bands' SMA and deviation");
  *info.add_params() =
      NumberParam("width", 2.0, 0, 10,
                  "band distance from the SMA, in population standard "
                  "deviations; above 0");
  *info.add_params() = SignalDirectionParam();
  definition.create = [] { return std::make_unique<BollingerReversion>(); };
  definition.check_params = [](const ResolvedParams& params) {
    std::vector<FieldProblem> problems;
    RequireAbove(params, "width", 0, problems);
    return problems;
  };
  return definition;
}

SignalRules BollingerReversion::MakeRules(const ResolvedParams& params) const {
  const int64_t period = params.Int("period");
  const double width = params.Number("width");
  return SignalRules{
      [period, width] {
        return std::make_unique<BollingerSignal>(period, width);
      },
      absl::StrCat("close below lower bollinger band ", period, ", ", width),
      absl::StrCat("close at or above bollinger middle band ", period),
      absl::StrCat("close above upper bollinger band ", period, ", ", width),
      absl::StrCat("close at or below bollinger middle band ", period)};
}

}  // namespace seed::strategy
