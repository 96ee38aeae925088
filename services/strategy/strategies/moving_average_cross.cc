#include "services/strategy/strategies/moving_average_cross.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/strategy/param_schema.h"

namespace seed::strategy {

void Crossover::Add(std::optional<double> fast, std::optional<double> slow) {
  crossed_above_ = crossed_below_ = false;
  if (!fast.has_value() || !slow.has_value()) return;
  const double difference = *fast - *slow;
  const std::optional<double> before = last_nonzero_difference_;
  if (difference != 0.0) last_nonzero_difference_ = difference;
  if (!before.has_value()) return;
  crossed_above_ = *before < 0.0 && difference > 0.0;
  crossed_below_ = *before > 0.0 && difference < 0.0;
}

StrategyDefinition MovingAverageCrossDefinition(
    absl::string_view name, absl::string_view average,
    std::function<std::unique_ptr<Strategy>()> create) {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name(std::string(name));
  info.set_description(
      absl::StrCat("Buys when the fast ", average,
                   " of closes crosses above the "
                   "slow ",
                   average,
                   " while flat; closes the position when it crosses "
                   "below. With direction short it shorts on the cross below "
                   "and covers on the cross above; with both it reverses."));
  *info.add_params() =
      IntParam("fast", 10, 1, 1000,
               absl::StrCat("period of the fast ", average, ", in bars"));
  *info.add_params() =
      IntParam("slow", 30, 2, 5000,
               absl::StrCat("period of the slow ", average, ", in bars"));
  *info.add_params() = SignalDirectionParam();
  definition.create = std::move(create);
  definition.check_params = [](const ResolvedParams& params) {
    std::vector<FieldProblem> problems;
    RequireLess(params, "fast", "slow", problems);
    return problems;
  };
  return definition;
}

}  // namespace seed::strategy
