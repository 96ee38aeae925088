#include "services/strategy/strategies/beta_target.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/stage_error.h"
#include "services/strategy/param_schema.h"
#include "services/strategy/strategies/cross_section.h"
#include "services/strategy/strategies/long_only_signals.h"

namespace seed::strategy {

StrategyDefinition BetaTarget::Definition() {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name("beta_target");
  info.set_description(
      "Long only. Holds the run's symbols other than the benchmark in equal "
      "weights scaled so that the portfolio's rolling beta to the benchmark "
      "is target_beta; rebalances when it drifts more than band away.");
  *info.add_params() = StringParam(
      "benchmark", "", {},
      "the symbol betas are measured against; one of data.symbols, not "
      "traded");
  *info.add_params() =
      NumberParam("target_beta", 0.5, 0, 3, "the portfolio beta to keep");
  *info.add_params() =
      IntParam("period", 60, 2, 1000, "returns in each rolling beta");
  *info.add_params() = NumberParam(
      "band", 0.1, 0, 3, "how far the beta may drift before a rebalance");
  *info.add_params() =
      NumberParam("max_exposure", 1.0, 0, 2,
                  "most of equity held in total (a fraction; above 0)");
  definition.create = [] { return std::make_unique<BetaTarget>(); };
  definition.check_params = [](const ResolvedParams& params) {
    std::vector<FieldProblem> problems;
    RequireAbove(params, "max_exposure", 0, problems);
    return problems;
  };
  return definition;
}

absl::Status BetaTarget::OnStart(const StartContext& context) {
  symbols_ = context.symbols;
  const std::string& benchmark = context.params.Text("benchmark");
  const auto it = std::find(symbols_.begin(), symbols_.end(), benchmark);
  std::string problem;
  if (it == symbols_.end()) {
    problem = absl::StrCat(
        benchmark.empty() ? "required"
                          : absl::StrCat("'", benchmark, "' is not"),
        ": name one of the run's symbols (", absl::StrJoin(symbols_, ", "),
        "); add the benchmark to data.symbols if needed");
  } else if (symbols_.size() < 2) {
    problem = absl::StrCat("'", benchmark,
                           "' is the run's only symbol; add symbols to trade");
  }
  if (!problem.empty()) {
    return InvalidFields("strategy", "INVALID_PARAMS",
                         {{"strategy.params.benchmark", problem}});
  }
  benchmark_ = static_cast<int32_t>(it - symbols_.begin());
  betas_.assign(symbols_.size(), RollingBeta(context.params.Int("period")));
  target_beta_ = context.params.Number("target_beta");
  band_ = context.params.Number("band");
  max_exposure_ = context.params.Number("max_exposure");
  return absl::OkStatus();
}

absl::Status BetaTarget::OnBar(const backtest::v1::TimeStep& step,
                               const backtest::v1::PortfolioView& portfolio,
                               IntentSink& out) {
  absl::Status status = CheckFiniteCloses(step, symbols_);
  if (!status.ok()) return status;
  std::optional<double> benchmark_close;
  for (const backtest::v1::Bar& bar : step.bars()) {
    if (bar.symbol() == benchmark_) benchmark_close = bar.close();
  }
  if (!benchmark_close.has_value()) return absl::OkStatus();

  std::vector<int32_t> candidates;
  double beta_sum = 0;
  for (const backtest::v1::Bar& bar : step.bars()) {
    if (bar.symbol() == benchmark_) continue;
    RollingBeta& beta = betas_[bar.symbol()];
    beta.Add(bar.close(), *benchmark_close);
    if (!beta.value().has_value()) continue;
    candidates.push_back(bar.symbol());
    beta_sum += *beta.value();
  }
  if (candidates.empty() || portfolio.equity() <= 0) return absl::OkStatus();

  const double k = static_cast<double>(candidates.size());
  const double weight =
      beta_sum > 0 ? std::min(target_beta_ / beta_sum, max_exposure_ / k) : 0;
  const double aim = weight * beta_sum;
  double beta_now = 0;
  for (const backtest::v1::Position& position : portfolio.positions()) {
    const std::optional<double> beta = betas_[position.symbol()].value();
    if (position.symbol() == benchmark_ || !beta.has_value()) continue;
    beta_now += position.market_value() / portfolio.equity() * *beta;
  }
  if (std::abs(beta_now - aim) <= band_) return absl::OkStatus();
  EmitTargetWeights(
      EqualWeights(candidates, weight * k), portfolio,
      absl::StrFormat("beta %.3f, aim %.3f (target %g, band %g): %.4f of "
                      "equity in each of %d symbols",
                      beta_now, aim, target_beta_, band_, weight,
                      candidates.size()),
      out);
  return absl::OkStatus();
}

}  // namespace seed::strategy
