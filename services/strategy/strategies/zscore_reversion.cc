#include "services/strategy/strategies/zscore_reversion.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/strategy/indicators/z_score.h"
#include "services/strategy/param_schema.h"

namespace seed::strategy {
namespace {

class ZScoreSignal final : public SymbolSignal {
 public:
  ZScoreSignal(int64_t period, double entry_z, double exit_z)
      : z_(period), entry_z_(entry_z), exit_z_(exit_z) {}

  void Add(const backtest::v1::Bar& bar) override { z_.Add(bar.close()); }
  bool ShouldEnterLong() const override {
    return z_.value().has_value() && *z_.value() < -entry_z_;
  }
  bool ShouldExitLong() const override {
    return z_.value().has_value() && *z_.value() >= exit_z_;
  }
  // The mirror image around the mean, not the long side's exit: a close far
  // above the mean is shorted and covered once back at -exit_z.
  bool ShouldEnterShort() const override {
    return z_.value().has_value() && *z_.value() > entry_z_;
  }
  bool ShouldExitShort() const override {
    return z_.value().has_value() && *z_.value() <= -exit_z_;
  }

 private:
  ZScore z_;
  double entry_z_;
  double exit_z_;
};

}  // namespace

StrategyDefinition ZScoreReversion::Definition() {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name("zscore_reversion");
  info.set_description(
      "Buys when the z-score of the close over the last period closes is "
      "below -entry_z while flat; closes the position when it is at or above "
      "exit_z. Direction short mirrors it around the mean (short above "
      "+entry_z, cover at or below -exit_z); both trades either side.");
  *info.add_params() = IntParam("period", 20, 2, 1000,
                                "closes in the rolling mean and deviation");
  *info.add_params() =
      NumberParam("entry_z", 2.0, 0, 10,
                  "standard deviations below the mean to enter at; above 0");
  *info.add_params() =
      NumberParam("exit_z", 0.0, -10, 10,
                  "z-score to exit at or above (0: back at the mean)");
  *info.add_params() = SignalDirectionParam();
  definition.create = [] { return std::make_unique<ZScoreReversion>(); };
  definition.check_params = [](const ResolvedParams& params) {
    std::vector<FieldProblem> problems;
    RequireAbove(params, "entry_z", 0, problems);
    return problems;
  };
  return definition;
}

SignalRules ZScoreReversion::MakeRules(const ResolvedParams& params) const {
  const int64_t period = params.Int("period");
  const double entry_z = params.Number("entry_z");
  const double exit_z = params.Number("exit_z");
  return SignalRules{
      [period, entry_z, exit_z] {
        return std::make_unique<ZScoreSignal>(period, entry_z, exit_z);
      },
      absl::StrCat("z-score over ", period, " bars below -", entry_z),
      absl::StrCat("z-score over ", period, " bars at or above ", exit_z),
      absl::StrCat("z-score over ", period, " bars above +", entry_z),
      absl::StrCat("z-score over ", period, " bars at or below ",
                   exit_z == 0 ? 0.0 : -exit_z)};
}

}  // namespace seed::strategy
