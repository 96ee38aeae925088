#include "services/strategy/strategy_engine.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "google/protobuf/repeated_field.h"
#include "services/strategy/builtin_strategies.h"

namespace seed::strategy {
namespace {

using ::backtest::v1::Intent;
using ::google::protobuf::RepeatedPtrField;

constexpr absl::string_view kStage = "strategy";

// Metadata is optional, but when given it must describe the run's symbols one
// for one, in order, so strategies can index it like the symbol table.
absl::Status CheckMetadata(const backtest::v1::StrategyStartRequest& request) {
  if (request.metadata().empty()) return absl::OkStatus();
  std::string problem;
  if (request.metadata_size() != request.symbols_size()) {
    problem = absl::StrCat("has ", request.metadata_size(), " entries for ",
                           request.symbols_size(), " symbols");
  } else {
    for (int i = 0; i < request.symbols_size(); ++i) {
      if (request.metadata(i).symbol() != request.symbols(i)) {
        problem =
            absl::StrCat("entry ", i, " is for '", request.metadata(i).symbol(),
                         "' but symbol ", i, " is '", request.symbols(i), "'");
        break;
      }
    }
  }
  if (problem.empty()) return absl::OkStatus();
  return StageFailure(
      absl::StatusCode::kInvalidArgument, kStage, "METADATA_MISMATCH",
      absl::StrCat("StartRun for run ", request.run_id(), ": metadata ",
                   problem,
                   "; pass OpenDatasetResponse.metadata as the data stage "
                   "returned it"),
      {.run_id = request.run_id()});
}

}  // namespace

// Checks every symbol index it hands the strategy, so strategies can index
// their per-symbol state without checking, and every intent that goes out.
// Not thread-safe: the engine serializes calls.
class StrategyEngine::StrategyRun {
 public:
  StrategyRun(std::string run_id, std::vector<std::string> symbols,
              std::unique_ptr<Strategy> strategy)
      : run_id_(std::move(run_id)),
        symbols_(std::move(symbols)),
        strategy_(std::move(strategy)),
        started_(symbols_.size(), false) {}

  // Starts the strategy; the higher timeframes it asks for go into
  // *timeframes.
  absl::Status Start(ResolvedParams params,
                     std::vector<backtest::v1::SymbolMetadata> metadata,
                     RepeatedPtrField<std::string>* timeframes) {
    absl::Status status = strategy_->OnStart(StartContext{
        run_id_, symbols_, std::move(params), std::move(metadata)});
    if (!status.ok()) return WithContext(status, kStage, {.run_id = run_id_});
    for (std::string& timeframe : strategy_->Timeframes()) {
      *timeframes->Add() = std::move(timeframe);
    }
    return absl::OkStatus();
  }

  absl::Status Steps(const backtest::v1::StrategyStepsRequest& request,
                     backtest::v1::StrategyStepsResponse* response) {
    // Cleared so a caller may reuse one response (and its allocations).
    response->Clear();
    absl::Status status = CheckRequest(request);
    if (!status.ok()) return status;
    Cursor cursor;
    IntentSink sink(response->mutable_intents());
    for (int i = 0; i < request.steps_size(); ++i) {
      const backtest::v1::TimeStep& step = request.steps(i);
      const backtest::v1::PortfolioView& view = request.views(i);
      // Only the steps that reach on_bar are checked: the rest are the
      // caller's to resend.
      status = CheckSymbols(step, view);
      if (!status.ok()) return status;
      status = DeliverDue(request, step.time(), cursor);
      if (!status.ok()) return status;
      status = StartSymbols(step);
      if (!status.ok()) return status;
      status = strategy_->OnBar(step, view, sink);
      if (!status.ok()) {
        return WithContext(
            status, kStage,
            {.run_id = run_id_, .bar_time = FormatTime(step.time())});
      }
      if (response->intents_size() > 0) {
        response->set_steps_used(i + 1);
        for (const Intent& intent : response->intents()) {
          status = CheckIntent(intent, step.time());
          if (!status.ok()) return status;
        }
        return absl::OkStatus();
      }
    }
    response->set_steps_used(request.steps_size());
    return absl::OkStatus();
  }

  absl::Status End() {
    return WithContext(strategy_->OnEnd(), kStage, {.run_id = run_id_});
  }

 private:
  template <typename Event>
  using Hook = absl::Status (Strategy::*)(const Event&);

  // How far delivery got in each of a request's lists.
  struct Cursor {
    int fill = 0;
    int rejection = 0;
    int event = 0;
  };

  bool Known(int32_t symbol) const {
    return symbol >= 0 && symbol < static_cast<int64_t>(symbols_.size());
  }

  // events[next] when it is dated at or before `until`, else null.
  template <typename Event>
  static const Event* DueAt(const RepeatedPtrField<Event>& events, int next,
                            int64_t until) {
    return next < events.size() && events[next].time() <= until ? &events[next]
                                                                : nullptr;
  }

  // Delivers the fills, rejections and order events not yet delivered and
  // dated at or before `until`, merged into one time order; at equal times
  // fills come first (an exit's fill before the OCO cancel of its partner),
  // then rejections, then order events. CheckRequest made each list's times
  // non-decreasing, so the first later element ends each list's walk.
  absl::Status DeliverDue(const backtest::v1::StrategyStepsRequest& request,
                          int64_t until, Cursor& cursor) {
    while (true) {
      const backtest::v1::Fill* fill =
          DueAt(request.fills(), cursor.fill, until);
      const backtest::v1::Rejection* rejection =
          DueAt(request.rejections(), cursor.rejection, until);
      const backtest::v1::OrderEvent* event =
          DueAt(request.events(), cursor.event, until);
      if (fill == nullptr && rejection == nullptr && event == nullptr) {
        return absl::OkStatus();
      }
      int64_t earliest = until;
      for (const int64_t time :
           {fill ? fill->time() : until, rejection ? rejection->time() : until,
            event ? event->time() : until}) {
        earliest = std::min(earliest, time);
      }
      absl::Status status;
      if (fill != nullptr && fill->time() == earliest) {
        status = Deliver(*fill, &Strategy::OnFill);
        ++cursor.fill;
      } else if (rejection != nullptr && rejection->time() == earliest) {
        status = Deliver(*rejection, &Strategy::OnRejection);
        ++cursor.rejection;
      } else {
        status = Deliver(*event, &Strategy::OnOrderEvent);
        ++cursor.event;
      }
      if (!status.ok()) return status;
    }
  }

  // Calls `hook` with `event`; an error names the event's symbol and time.
  template <typename Event>
  absl::Status Deliver(const Event& event, Hook<Event> hook) {
    const absl::Status status = (strategy_.get()->*hook)(event);
    if (status.ok()) return status;
    return WithContext(status, kStage,
                       {.run_id = run_id_,
                        .symbol = symbols_[event.symbol()],
                        .bar_time = FormatTime(event.time())});
  }

  // The start hook of every symbol whose first bar is in `step`.
  absl::Status StartSymbols(const backtest::v1::TimeStep& step) {
    for (const backtest::v1::Bar& bar : step.bars()) {
      if (started_[bar.symbol()]) continue;
      started_[bar.symbol()] = true;
      const absl::Status status = strategy_->OnSymbolStart(bar.symbol(), bar);
      if (!status.ok()) {
        return WithContext(status, kStage,
                           {.run_id = run_id_,
                            .symbol = symbols_[bar.symbol()],
                            .bar_time = FormatTime(step.time())});
      }
    }
    return absl::OkStatus();
  }

  absl::Status UnknownSymbol(absl::string_view what, int32_t symbol,
                             int64_t time) const {
    return StageFailure(
        absl::StatusCode::kInvalidArgument, kStage, "UNKNOWN_SYMBOL_INDEX",
        absl::StrCat(what, " names symbol index ", symbol, " but run ", run_id_,
                     " has ", symbols_.size(), " symbols (",
                     absl::StrJoin(symbols_, ", "),
                     "); the caller must index the symbols given to StartRun"),
        {.run_id = run_id_, .bar_time = FormatTime(time)});
  }

  // One view per step, and fills and rejections each in time order with
  // known symbols, checked before any hook runs.
  absl::Status CheckRequest(
      const backtest::v1::StrategyStepsRequest& request) const {
    if (request.steps_size() == 0) {
      return StageFailure(absl::StatusCode::kInvalidArgument, kStage,
                          "NO_STEPS",
                          absl::StrCat("OnSteps for run ", run_id_,
                                       " has no steps; send at least one step"),
                          {.run_id = run_id_});
    }
    if (request.views_size() != request.steps_size()) {
      return StageFailure(
          absl::StatusCode::kInvalidArgument, kStage, "VIEW_COUNT_MISMATCH",
          absl::StrCat("OnSteps for run ", run_id_, " has ",
                       request.steps_size(), " steps but ",
                       request.views_size(),
                       " portfolio views; send one view per step, as the "
                       "portfolio's ApplySteps returns them"),
          {.run_id = run_id_, .bar_time = FormatTime(request.steps(0).time())});
    }
    absl::Status status = CheckEvents(request.fills(), "fill");
    if (!status.ok()) return status;
    status = CheckEvents(request.rejections(), "rejection");
    if (!status.ok()) return status;
    return CheckEvents(request.events(), "order event");
  }

  template <typename Event>
  absl::Status CheckEvents(const RepeatedPtrField<Event>& events,
                           absl::string_view what) const {
    for (int i = 0; i < events.size(); ++i) {
      const Event& event = events[i];
      if (!Known(event.symbol())) {
        return UnknownSymbol(absl::StrCat("a ", what), event.symbol(),
                             event.time());
      }
      if (i > 0 && event.time() < events[i - 1].time()) {
        return StageFailure(
            absl::StatusCode::kInvalidArgument, kStage, "EVENTS_OUT_OF_ORDER",
            absl::StrCat(what, " ", i, " of run ", run_id_, " is dated ",
                         FormatTime(event.time()), ", before ", what, " ",
                         i - 1, " (", FormatTime(events[i - 1].time()),
                         "); list fills, rejections and order events each in "
                         "time order"),
            {.run_id = run_id_,
             .symbol = symbols_[event.symbol()],
             .bar_time = FormatTime(event.time())});
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckSymbols(const backtest::v1::TimeStep& step,
                            const backtest::v1::PortfolioView& view) const {
    for (const auto& bar : step.bars()) {
      if (!Known(bar.symbol())) {
        return UnknownSymbol("a bar", bar.symbol(), step.time());
      }
    }
    for (const auto& closed : step.closed_bars()) {
      if (!Known(closed.bar().symbol())) {
        return UnknownSymbol(
            absl::StrCat("a closed ", closed.timeframe(), " bar"),
            closed.bar().symbol(), step.time());
      }
    }
    for (const auto& position : view.positions()) {
      if (!Known(position.symbol())) {
        return UnknownSymbol("a position", position.symbol(), step.time());
      }
    }
    for (const auto& order : view.working_orders()) {
      if (!Known(order.symbol())) {
        return UnknownSymbol("a working order", order.symbol(), step.time());
      }
    }
    return absl::OkStatus();
  }

  // The portfolio trusts intents to be well formed; a strategy (possibly a
  // plug-in in another language) that breaks the contract fails here, named.
  // CANCEL and MODIFY name a working order and need no order type; every
  // other action places an order of a stated type. (common/intent_check, run
  // by the coordinator, checks prices, sides and brackets.)
  absl::Status CheckIntent(const Intent& intent, int64_t time) const {
    const bool amends =
        intent.action() == Intent::CANCEL || intent.action() == Intent::MODIFY;
    std::string problem;
    if (!Known(intent.symbol())) {
      problem =
          absl::StrCat("symbol index ", intent.symbol(),
                       " is not in the run's ", symbols_.size(), " symbols");
    } else if (intent.action() == Intent::ACTION_UNSPECIFIED) {
      problem = "its action is unspecified";
    } else if (amends && intent.order_id() <= 0) {
      problem = absl::StrCat("it is a ", Intent::Action_Name(intent.action()),
                             " without the id of a working order (order_id ",
                             intent.order_id(), ")");
    } else if (!amends &&
               intent.type() == backtest::v1::ORDER_TYPE_UNSPECIFIED) {
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
         .bar_time = FormatTime(time)});
  }

  std::string run_id_;
  std::vector<std::string> symbols_;
  std::unique_ptr<Strategy> strategy_;
  // Per symbol: its start hook ran (it had a bar in a step that reached the
  // bar hook).
  std::vector<bool> started_;
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
  absl::Status metadata = CheckMetadata(request);
  if (!metadata.ok()) return metadata;
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
  absl::Status status =
      run->Start(std::move(resolved->params),
                 std::vector<backtest::v1::SymbolMetadata>(
                     request.metadata().begin(), request.metadata().end()),
                 response->mutable_timeframes());
  if (!status.ok()) return status;
  // A run of several strategies keeps one instance per strategy_id.
  return runs_.Add(request.run_id(), std::move(run), request.strategy_id());
}

absl::Status StrategyEngine::OnSteps(
    const backtest::v1::StrategyStepsRequest& request,
    backtest::v1::StrategyStepsResponse* response) {
  return runs_.With(
      request.run_id(),
      [&](StrategyRun& run) { return run.Steps(request, response); },
      request.strategy_id());
}

absl::Status StrategyEngine::EndRun(
    const backtest::v1::StrategyEndRequest& request,
    backtest::v1::StrategyEndResponse* response) {
  return runs_.Remove(
      request.run_id(), [](StrategyRun& run) { return run.End(); },
      request.strategy_id());
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
