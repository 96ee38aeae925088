#include "services/strategy/strategies/cross_sectional_momentum.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "services/strategy/param_schema.h"
#include "services/strategy/strategies/cross_section.h"
#include "services/strategy/strategies/long_only_signals.h"

namespace seed::strategy {

StrategyDefinition CrossSectionalMomentum::Definition() {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name("cross_sectional_momentum");
  info.set_description(
      "Long only. At each month's first step, holds the top_n symbols by "
      "return from lookback bars ago to skip bars ago (12-1 month momentum "
      "by default), equally weighted; everything else at 0.");
  *info.add_params() =
      IntParam("lookback", 252, 2, 5000,
               "bars back to the start of the return (252: about 12 months)");
  *info.add_params() =
      IntParam("skip", 21, 0, 4999,
               "bars back to the end of the return (21: about a month, "
               "skipped); below lookback");
  *info.add_params() =
      IntParam("top_n", 10, 1, 1000, "how many of the best symbols to hold");
  definition.create = [] { return std::make_unique<CrossSectionalMomentum>(); };
  definition.check_params = [](const ResolvedParams& params) {
    std::vector<FieldProblem> problems;
    RequireLess(params, "skip", "lookback", problems);
    return problems;
  };
  return definition;
}

absl::Status CrossSectionalMomentum::OnStart(const StartContext& context) {
  symbols_ = context.symbols;
  closes_.assign(symbols_.size(), {});
  lookback_ = context.params.Int("lookback");
  skip_ = context.params.Int("skip");
  top_n_ = context.params.Int("top_n");
  return absl::OkStatus();
}

absl::Status CrossSectionalMomentum::OnBar(
    const backtest::v1::TimeStep& step,
    const backtest::v1::PortfolioView& portfolio, IntentSink& out) {
  absl::Status status = CheckFiniteCloses(step, symbols_);
  if (!status.ok()) return status;
  for (const backtest::v1::Bar& bar : step.bars()) {
    std::deque<double>& closes = closes_[bar.symbol()];
    closes.push_back(bar.close());
    if (static_cast<int64_t>(closes.size()) > lookback_ + 1) {
      closes.pop_front();
    }
  }
  const absl::CivilMonth month = absl::ToCivilMonth(
      absl::FromUnixSeconds(step.time()), absl::UTCTimeZone());
  const bool month_start =
      previous_month_.has_value() && month != *previous_month_;
  previous_month_ = month;
  if (!month_start) return absl::OkStatus();

  std::vector<std::pair<int32_t, double>> scores;
  for (const backtest::v1::Bar& bar : step.bars()) {
    const std::deque<double>& closes = closes_[bar.symbol()];
    if (static_cast<int64_t>(closes.size()) <= lookback_) continue;
    // closes.back() is this bar (t); closes[lookback - skip] is t - skip.
    scores.emplace_back(bar.symbol(),
                        closes[lookback_ - skip_] / closes.front() - 1);
  }
  if (scores.empty()) return absl::OkStatus();  // Still warming up.
  std::vector<int32_t> held = RankByScore(std::move(scores));
  held.resize(std::min<size_t>(held.size(), top_n_));
  std::vector<std::string> names;
  for (int32_t symbol : held) names.push_back(symbols_[symbol]);
  EmitTargetWeights(
      EqualWeights(held, 1.0), portfolio,
      absl::StrCat("top ", held.size(), " by return from ", lookback_, " to ",
                   skip_, " bars ago: ", absl::StrJoin(names, ", ")),
      out);
  return absl::OkStatus();
}

}  // namespace seed::strategy
