#include "services/strategy/strategies/momentum.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/strategy/indicators/rate_of_change.h"
#include "services/strategy/param_schema.h"

namespace seed::strategy {
namespace {

class MomentumSignal final : public SymbolSignal {
 public:
  MomentumSignal(int64_t lookback, double threshold)
      : change_(lookback), threshold_(threshold) {}

  void Add(const backtest::v1::Bar& bar) override { change_.Add(bar.close()); }
  bool ShouldEnterLong() const override {
    return change_.value().has_value() && *change_.value() > threshold_;
  }
  bool ShouldExitLong() const override {
    return change_.value().has_value() && *change_.value() < -threshold_;
  }

 private:
  RateOfChange change_;
  double threshold_;
};

}  // namespace

StrategyDefinition Momentum::Definition() {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name("momentum");
  info.set_description(
      "Buys when the return over the last lookback bars exceeds +threshold "
      "while flat; closes the position when it falls below -threshold. "
      "Direction short mirrors it (short below -threshold, cover above "
      "+threshold); both trades either side.");
  *info.add_params() =
      IntParam("lookback", 20, 1, 1000, "bars the return is measured over");
  *info.add_params() = NumberParam(
      "threshold", 0.05, 0, 1,
      "return (a fraction, 0.05 = 5%) to exceed to enter, and its negative "
      "to fall below to exit; above 0");
  *info.add_params() = SignalDirectionParam();
  definition.create = [] { return std::make_unique<Momentum>(); };
  definition.check_params = [](const ResolvedParams& params) {
    std::vector<FieldProblem> problems;
    RequireAbove(params, "threshold", 0, problems);
    return problems;
  };
  return definition;
}

SignalRules Momentum::MakeRules(const ResolvedParams& params) const {
  const int64_t lookback = params.Int("lookback");
  const double threshold = params.Number("threshold");
  return SignalRules{
      [lookback, threshold] {
        return std::make_unique<MomentumSignal>(lookback, threshold);
      },
      absl::StrCat("return over ", lookback, " bars above +", threshold),
      absl::StrCat("return over ", lookback, " bars below -", threshold)};
}

}  // namespace seed::strategy
