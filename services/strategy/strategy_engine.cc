#include "services/strategy/strategy_engine.h"

#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "services/strategy/builtin_strategies.h"

namespace seed::strategy {
namespace {

using ::backtest::v1::Intent;

constexpr absl::string_view kStage = "strategy";

}  // namespace

// Checks every symbol index that comes in, so strategies can index their
// per-symbol state without checking, and every intent that goes out. Not
// thread-safe: the engine serializes calls.
class StrategyEngine::StrategyRun {
 public:
  StrategyRun(std::string run_id, std::vector<std::string> symbols,
              std::unique_ptr<Strategy> strategy)
      : run_id_(std::move(run_id)),
        symbols_(std::move(symbols)),
        strategy_(std::move(strategy)) {}

  absl::Status Start(ResolvedParams params) {
    return WithContext(
        strategy_->OnStart(StartContext{run_id_, symbols_, std::move(params)}),
        kStage, {.run_id = run_id_});
  }

  absl::Status Step(const backtest::v1::StrategyStepRequest& request,
                    backtest::v1::StrategyStepResponse* response) {
    const backtest::v1::TimeStep& step = request.step();
    const std::string bar_time = FormatTime(step.time());
    absl::Status status = CheckSymbols(request, bar_time);
    if (!status.ok()) return status;
    for (const backtest::v1::Fill& fill : request.fills()) {
      status = strategy_->OnFill(fill);
      if (!status.ok()) return InHook(status, fill.symbol(), fill.time());
    }
    for (const backtest::v1::Rejection& rejection : request.rejections()) {
      status = strategy_->OnRejection(rejection);
      if (!status.ok()) {
        return InHook(status, rejection.symbol(), rejection.time());
      }
    }
    IntentSink sink(response->mutable_intents());
    status = strategy_->OnBar(step, request.portfolio(), sink);
    if (!status.ok()) {
      return WithContext(status, kStage,
                         {.run_id = run_id_, .bar_time = bar_time});
    }
    for (const Intent& intent : response->intents()) {
      status = CheckIntent(intent, bar_time);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

  absl::Status End() {
    return WithContext(strategy_->OnEnd(), kStage, {.run_id = run_id_});
  }

 private:
  bool Known(int32_t symbol) const {
    return symbol >= 0 && symbol < static_cast<int64_t>(symbols_.size());
  }

  absl::Status InHook(const absl::Status& status, int32_t symbol,
                      int64_t time) const {
    return WithContext(status, kStage,
                       {.run_id = run_id_,
                        .symbol = symbols_[symbol],
                        .bar_time = FormatTime(time)});
  }

  absl::Status UnknownSymbol(absl::string_view what, int32_t symbol,
                             const std::string& bar_time) const {
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "UNKNOWN_SYMBOL_INDEX",
        absl::StrCat(what, " names symbol index ", symbol, " but run ", run_id_,
                     " has ", symbols_.size(), " symbols (",
                     absl::StrJoin(symbols_, ", "),
                     "); the caller must index the symbols given to StartRun"),
        {.run_id = run_id_, .bar_time = bar_time});
  }

  absl::Status CheckSymbols(const backtest::v1::StrategyStepRequest& request,
                            const std::string& bar_time) const {
    for (const auto& fill : request.fills()) {
      if (!Known(fill.symbol())) {
        return UnknownSymbol("a fill", fill.symbol(), bar_time);
      }
    }
    for (const auto& rejection : request.rejections()) {
      if (!Known(rejection.symbol())) {
        return UnknownSymbol("a rejection", rejection.symbol(), bar_time);
      }
    }
    for (const auto& bar : request.step().bars()) {
      if (!Known(bar.symbol())) {
        return UnknownSymbol("a bar", bar.symbol(), bar_time);
      }
    }
    for (const auto& position : request.portfolio().positions()) {
      if (!Known(position.symbol())) {
        return UnknownSymbol("a position", position.symbol(), bar_time);
      }
    }
    return absl::OkStatus();
  }

  // The portfolio trusts intents to be well formed; a strategy (possibly a
  // plug-in in another language) that breaks the contract fails here, named.
  absl::Status CheckIntent(const Intent& intent,
                           const std::string& bar_time) const {
    std::string problem;
    if (!Known(intent.symbol())) {
      problem =
          absl::StrCat("symbol index ", intent.symbol(),
                       " is not in the run's ", symbols_.size(), " symbols");
    } else if (intent.action() == Intent::ACTION_UNSPECIFIED) {
      problem = "its action is unspecified";
    } else if (intent.type() == backtest::v1::ORDER_TYPE_UNSPECIFIED) {
      problem = "its order type is unspecified";
    } else if (!std::isfinite(intent.quantity()) || intent.quantity() < 0) {
      problem = absl::StrCat("its quantity ", intent.quantity(),
                             " is not a finite number >= 0");
    } else {
      return absl::OkStatus();
    }
    return StageFailure(
        absl::StatusCode::kInternal, kStage, "INVALID_INTENT",
        absl::StrCat("the strategy emitted an invalid intent: ", problem,
                     "; fix the strategy"),
        {.run_id = run_id_,
         .symbol = Known(intent.symbol()) ? symbols_[intent.symbol()] : "",
         .bar_time = bar_time});
  }

  std::string run_id_;
  std::vector<std::string> symbols_;
  std::unique_ptr<Strategy> strategy_;
};

StrategyEngine::StrategyEngine() : StrategyEngine(BuiltinStrategies()) {}

StrategyEngine::StrategyEngine(StrategyRegistry registry)
    : registry_(std::move(registry)), runs_(kStage) {}

StrategyEngine::~StrategyEngine() = default;

absl::Status StrategyEngine::ListStrategies(
    const backtest::v1::ListStrategiesRequest& request,
    backtest::v1::ListStrategiesResponse* response) {
  for (const backtest::v1::StrategyInfo* info : registry_.List()) {
    *response->add_strategies() = *info;
  }
  return absl::OkStatus();
}

absl::Status StrategyEngine::StartRun(
    const backtest::v1::StrategyStartRequest& request,
    backtest::v1::StrategyStartResponse* response) {
  if (request.run_id().empty()) {
    return StageFailure(absl::StatusCode::kInvalidArgument, kStage,
                        "MISSING_RUN_ID",
                        "StartRun needs a run_id; the coordinator assigns one "
                        "per run");
  }
  if (request.symbols().empty()) {
    return StageFailure(absl::StatusCode::kInvalidArgument, kStage,
                        "NO_SYMBOLS",
                        absl::StrCat("run ", request.run_id(),
                                     " has no symbols; list the data's "
                                     "symbols in StartRun"),
                        {.run_id = request.run_id()});
  }
  absl::StatusOr<ResolvedStrategy> resolved =
      registry_.Resolve(request.strategy());
  if (!resolved.ok()) {
    return WithContext(resolved.status(), kStage, {.run_id = request.run_id()});
  }
  // The fingerprint records the parameters as they will run.
  *response->mutable_resolved() = request.strategy();
  *response->mutable_resolved()->mutable_params() = resolved->params.values();
  auto run = std::make_unique<StrategyRun>(
      request.run_id(),
      std::vector<std::string>(request.symbols().begin(),
                               request.symbols().end()),
      resolved->definition->create());
  absl::Status status = run->Start(std::move(resolved->params));
  if (!status.ok()) return status;
  return runs_.Add(request.run_id(), std::move(run));
}

absl::Status StrategyEngine::OnStep(
    const backtest::v1::StrategyStepRequest& request,
    backtest::v1::StrategyStepResponse* response) {
  return runs_.With(request.run_id(), [&](StrategyRun& run) {
    return run.Step(request, response);
  });
}

absl::Status StrategyEngine::EndRun(
    const backtest::v1::StrategyEndRequest& request,
    backtest::v1::StrategyEndResponse* response) {
  return runs_.Remove(request.run_id(),
                      [](StrategyRun& run) { return run.End(); });
}

absl::StatusOr<backtest::v1::StrategySpec> StrategyEngine::ResolveSpec(
    const backtest::v1::StrategySpec& spec) const {
  absl::StatusOr<ResolvedStrategy> resolved = registry_.Resolve(spec);
  if (!resolved.ok()) return resolved.status();
  backtest::v1::StrategySpec filled = spec;
  *filled.mutable_params() = resolved->params.values();
  return filled;
}

}  // namespace seed::strategy
