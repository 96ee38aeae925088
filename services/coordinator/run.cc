#include "services/coordinator/run.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/otlp.h"
#include "common/sha256.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "common/version.h"
#include "services/coordinator/data_identity.h"
#include "services/coordinator/series_reader.h"
#include "services/coordinator/spec.h"
#include "services/coordinator/step_merger.h"
#include "services/coordinator/timeframe.h"

namespace seed::coordinator {
namespace {

constexpr absl::string_view kStage = "coordinator";
// Steps offered in the first call; later runs adapt (see StepLoop).
constexpr int kFirstChunkSteps = 16;

// Adds a stage's field problems to `problems`, or keeps its first other error.
// A problem of "strategy..." is renamed to `strategy_path...` (the entry of
// spec.strategies it is about).
void Collect(const absl::Status& status, std::vector<FieldProblem>& problems,
             absl::Status& other_error,
             absl::string_view strategy_path = "strategy") {
  if (status.ok()) return;
  std::vector<FieldProblem> fields = FieldProblems(status);
  if (fields.empty()) {
    if (other_error.ok()) other_error = status;
    return;
  }
  for (FieldProblem& field : fields) {
    if (absl::StartsWith(field.field, "strategy.") ||
        field.field == "strategy") {
      field.field =
          absl::StrCat(strategy_path, field.field.substr(strlen("strategy")));
    }
    problems.push_back(std::move(field));
  }
}

// The run's strategies: spec.strategies, or the one spec.strategy.
std::vector<backtest::v1::StrategySpec> StrategiesOf(
    const backtest::v1::BacktestSpec& spec) {
  if (spec.strategies().empty()) return {spec.strategy()};
  return {spec.strategies().begin(), spec.strategies().end()};
}

}  // namespace

Run::Run(Stages& stages, backtest::v1::BacktestSpec spec, std::string run_id,
         const RunOptions& options)
    : stages_(stages),
      options_(options),
      spec_(std::move(spec)),
      run_id_(std::move(run_id)),
      records_(run_id_, options.record_batches) {
  progress_.set_run_id(run_id_);
  progress_.set_state(v1::QUEUED);
}

Run::~Run() {
  if (stages_started_) EndStagesOfDiscardedRun();
}

absl::StatusOr<std::unique_ptr<Run>> Run::Prepare(
    Stages& stages, const backtest::v1::BacktestSpec& spec, std::string run_id,
    const RunOptions& options, const tracing::SpanContext& trace_parent) {
  std::unique_ptr<Run> run(new Run(stages, spec, std::move(run_id), options));
  if (options.tracing) {
    run->run_span_.emplace(
        tracing::TraceContext{&run->trace_,
                              trace_parent.valid()
                                  ? trace_parent
                                  : tracing::SpanContext{tracing::NewTraceId()},
                              std::string(kStage)},
        "run", backtest::v1::SPAN_KIND_INTERNAL);
    run->run_span_->SetAttribute("run.id", run->run_id_);
    run->run_span_->SetAttribute("strategy", StrategyLabel(spec));
    run->run_span_->SetAttribute("symbols",
                                 absl::StrJoin(spec.data().symbols(), ","));
  }
  // The stages' start calls are the run's first spans.
  tracing::ContextScope trace_scope(run->run_span_
                                        ? run->run_span_->ChildContext()
                                        : tracing::TraceContext{});
  std::vector<FieldProblem> problems;
  absl::Status other_error;
  const std::vector<backtest::v1::StrategySpec> strategies = StrategiesOf(spec);
  const bool several = strategies.size() > 1;
  const auto strategy_path = [several](size_t i) {
    return several ? absl::StrCat("strategies[", i, "]")
                   : std::string("strategy");
  };
  for (size_t i = 0; i < strategies.size(); ++i) {
    StrategySlot slot{stages.strategy.get(), nullptr,
                      several ? strategies[i].id() : ""};
    if (!strategies[i].address().empty()) {
      if (!stages.connect_strategy) {
        return InvalidFields(kStage, "INVALID_SPEC",
                             {{strategy_path(i) + ".address",
                               "this coordinator cannot reach strategy "
                               "services of a run's own"}});
      }
      slot.own = stages.connect_strategy(strategies[i].address());
      slot.stage = slot.own.get();
    }
    run->strategies_.push_back(std::move(slot));
  }

  v1::StrategyStartRequest strategy_request;
  strategy_request.set_run_id(run->run_id_);
  *strategy_request.mutable_symbols() = spec.data().symbols();
  if (!spec.data().metadata().empty()) {
    // The strategy starts with the symbols' metadata; a bad file is a
    // problem of the spec's data.metadata, reported with the others.
    v1::ReadMetadataRequest metadata_request;
    metadata_request.set_run_id(run->run_id_);
    *metadata_request.mutable_data() = spec.data();
    v1::ReadMetadataResponse metadata_response;
    const absl::Status metadata_status =
        stages.data->ReadMetadata(metadata_request, &metadata_response);
    if (metadata_status.ok()) {
      strategy_request.mutable_metadata()->Swap(
          metadata_response.mutable_metadata());
    } else {
      problems.push_back(
          {"data.metadata", std::string(metadata_status.message())});
    }
  }
  // Each strategy starts (several: one instance each, by id) and says how
  // its parameters resolved, for the fingerprint.
  std::vector<v1::StrategyStartResponse> strategy_responses(strategies.size());
  for (size_t i = 0; i < strategies.size(); ++i) {
    *strategy_request.mutable_strategy() = strategies[i];
    strategy_request.set_strategy_id(run->strategies_[i].id);
    Collect(run->strategies_[i].stage->StartRun(strategy_request,
                                                &strategy_responses[i]),
            problems, other_error, strategy_path(i));
    AddTimeframes(strategy_responses[i].timeframes(), strategy_path(i),
                  run->timeframes_, problems);
  }

  v1::PortfolioStartRequest portfolio_request;
  portfolio_request.set_run_id(run->run_id_);
  *portfolio_request.mutable_portfolio() = spec.portfolio();
  *portfolio_request.mutable_symbols() = spec.data().symbols();
  for (const backtest::v1::StrategySpec& strategy : spec.strategies()) {
    v1::StrategySleeve* sleeve = portfolio_request.add_sleeves();
    sleeve->set_id(strategy.id());
    sleeve->set_allocation(strategy.allocation());
  }
  v1::PortfolioStartResponse portfolio_response;
  const absl::Status portfolio_status =
      stages.portfolio->StartRun(portfolio_request, &portfolio_response);
  Collect(portfolio_status, problems, other_error);

  v1::ExecutionStartRequest execution_request;
  execution_request.set_run_id(run->run_id_);
  *execution_request.mutable_execution() = spec.execution();
  *execution_request.mutable_symbols() = spec.data().symbols();
  v1::ExecutionStartResponse execution_response;
  const absl::Status execution_status =
      stages.execution->StartRun(execution_request, &execution_response);
  Collect(execution_status, problems, other_error);
  run->execution_every_step_ = execution_response.needs_every_step();

  // From here the destructor ends whatever did start.
  run->stages_started_ = true;
  if (!problems.empty() || !other_error.ok()) {
    run->EndStagesOfDiscardedRun();
    if (!problems.empty()) {
      return InvalidFields(kStage, "INVALID_SPEC", problems);
    }
    return WithContext(other_error, kStage, {.run_id = run->run_id_});
  }
  // The fingerprint stores the params as each strategy resolved them; its
  // name, address, id and allocation stay the spec's (a plug-in need not
  // echo them).
  for (size_t i = 0; i < strategies.size(); ++i) {
    if (!strategy_responses[i].has_resolved()) continue;
    *(several ? run->spec_.mutable_strategies(i)
              : run->spec_.mutable_strategy())
         ->mutable_params() = strategy_responses[i].resolved().params();
  }
  absl::StatusOr<std::string> canonical = CanonicalSpecJson(run->spec_);
  if (!canonical.ok()) return canonical.status();
  run->canonical_spec_ = *std::move(canonical);
  run->spec_hash_ = Sha256Hex(run->canonical_spec_);
  run->InitSummary();
  return run;
}

void Run::Notice(std::string text) { progress_.add_notices(std::move(text)); }

absl::Status Run::LoadBenchmark() {
  v1::OpenDatasetRequest request;
  request.set_run_id(run_id_);
  *request.mutable_data() = spec_.data();
  request.mutable_data()->clear_symbols();
  request.mutable_data()
      ->clear_metadata();  // the benchmark need not have a row
  request.mutable_data()->add_symbols(spec_.metrics().benchmark());
  v1::OpenDatasetResponse dataset;
  absl::Status status = stages_.data->OpenDataset(request, &dataset);
  if (!status.ok()) {
    // Say which field asked for it: the symbol is no traded one.
    absl::Status named(status.code(), absl::StrCat("metrics.benchmark ",
                                                   spec_.metrics().benchmark(),
                                                   ": ", status.message()));
    status.ForEachPayload(
        [&](absl::string_view url, const absl::Cord& payload) {
          named.SetPayload(url, payload);
        });
    return WithContext(named, kStage, {.symbol = spec_.metrics().benchmark()});
  }
  benchmark_.set_symbol(spec_.metrics().benchmark());
  status =
      AppendSymbolBars(*stages_.data, dataset.dataset_id(), 0, &benchmark_);
  v1::CloseDatasetRequest close;
  close.set_dataset_id(dataset.dataset_id());
  v1::CloseDatasetResponse closed;
  const absl::Status close_status = stages_.data->CloseDataset(close, &closed);
  if (!close_status.ok()) {
    Notice(absl::StrCat("the data stage could not close the benchmark: ",
                        close_status.message()));
  }
  return status;
}

absl::Status Run::EndStages(v1::FinishRunRequest* finish) {
  stages_started_ = false;
  // Every stage is asked even when one fails, so none keeps the run. For a
  // discarded run (no `finish`), a stage that never started it answers
  // NOT_FOUND, which is no failure; after a run, it means the stage lost it.
  absl::Status first_failure;
  const auto keep = [&first_failure, finish](const absl::Status& status) {
    const bool expected = finish == nullptr && absl::IsNotFound(status);
    if (!status.ok() && !expected && first_failure.ok()) {
      first_failure = status;
    }
  };
  const auto answers = [this](absl::string_view stage) {
    if (std::find(unresponsive_stages_.begin(), unresponsive_stages_.end(),
                  stage) == unresponsive_stages_.end()) {
      return true;
    }
    Notice(absl::StrCat("the ", stage,
                        " stage was not asked to end the run: "
                        "it did not answer during it"));
    return false;
  };
  if (answers("execution")) {
    v1::ExecutionEndRequest execution_request;
    execution_request.set_run_id(run_id_);
    v1::ExecutionEndResponse execution_response;
    const absl::Status status =
        stages_.execution->EndRun(execution_request, &execution_response);
    keep(status);
    if (status.ok() && finish != nullptr &&
        execution_response.unfilled_orders_size() > 0) {
      Notice(absl::StrCat(execution_response.unfilled_orders_size(),
                          " order(s) were still working when the data ended; "
                          "they were not filled"));
    }
  }
  absl::Status portfolio_status =
      StageFailure(absl::StatusCode::kUnavailable, "portfolio",
                   "STAGE_UNAVAILABLE", "the portfolio stage did not answer");
  if (answers("portfolio")) {
    v1::PortfolioEndRequest portfolio_request;
    portfolio_request.set_run_id(run_id_);
    v1::PortfolioEndResponse portfolio_response;
    portfolio_status =
        stages_.portfolio->EndRun(portfolio_request, &portfolio_response);
    keep(portfolio_status);
    if (portfolio_status.ok() && finish != nullptr) {
      finish->mutable_open_trades()->Swap(
          portfolio_response.mutable_open_trades());
      // Closed at the last close (portfolio.close_at_end): ordinary closed
      // trades, stored by the flush that follows.
      records_.AddTrades(portfolio_response.closed_at_end());
    }
  }
  if (!portfolio_status.ok() && finish != nullptr) {
    OpenTradesFromLastView(finish);
  }
  if (answers("strategy")) {
    v1::StrategyEndRequest strategy_request;
    strategy_request.set_run_id(run_id_);
    v1::StrategyEndResponse strategy_response;
    for (const StrategySlot& strategy : strategies_) {
      strategy_request.set_strategy_id(strategy.id);
      keep(strategy.stage->EndRun(strategy_request, &strategy_response));
    }
  }
  return first_failure;
}

void Run::NoteUnresponsiveStage(const absl::Status& status) {
  if (!absl::IsDeadlineExceeded(status) && !absl::IsUnavailable(status)) {
    return;
  }
  const std::string stage = ToStageError(status, kStage).stage();
  if (stage == "execution" || stage == "portfolio" || stage == "strategy") {
    unresponsive_stages_.push_back(stage);
  }
}

void Run::OpenTradesFromLastView(v1::FinishRunRequest* finish) {
  const auto add = [this, finish](const v1::PortfolioView& view,
                                  const std::string& strategy) {
    for (const v1::Position& position : view.positions()) {
      if (position.quantity() == 0) continue;
      v1::Trade* trade = finish->add_open_trades();
      trade->set_symbol(spec_.data().symbols(position.symbol()));
      trade->set_side(position.quantity() > 0 ? v1::BUY : v1::SELL);
      trade->set_entry_time(position.entry_time());
      trade->set_entry_price(position.average_price());
      trade->set_exit_price(position.last_price());
      trade->set_quantity(std::abs(position.quantity()));
      const double pnl = (position.last_price() - position.average_price()) *
                         position.quantity();
      trade->set_gross_pnl(pnl);
      trade->set_net_pnl(pnl);
      trade->set_exit_reason("open");
      trade->set_strategy(strategy);
    }
  };
  if (last_view_.strategies().empty()) {
    add(last_view_, "");
  } else {
    for (int i = 0; i < last_view_.strategies_size(); ++i) {
      add(last_view_.strategies(i), spec_.strategies(i).id());
    }
  }
  if (finish->open_trades_size() > 0) {
    Notice(absl::StrCat(
        "the portfolio stage could not end the run: its ",
        finish->open_trades_size(),
        " open trade(s) are stored from its last view (quantity held, average "
        "entry, last close); their costs and MAE/MFE are not known"));
  }
}

void Run::EndStagesOfDiscardedRun() {
  const absl::Status status = EndStages(nullptr);
  if (!status.ok()) {
    Notice(absl::StrCat("a stage could not end the run: ", status.message()));
  }
}

namespace {

using Steps = google::protobuf::RepeatedPtrField<v1::TimeStep>;

// Moves steps [from_index, end) of `from` to the back of `to`: pointer moves,
// no copies, so a run of steps can be lent to a request and taken back.
void MoveTail(Steps& from, int from_index, Steps& to) {
  const int count = from.size() - from_index;
  if (count <= 0) return;
  std::vector<v1::TimeStep*> moved(count);
  from.ExtractSubrange(from_index, count, moved.data());
  for (v1::TimeStep* step : moved) to.AddAllocated(step);
}

// Puts steps [from_index, end) of `from` before the steps of `to`.
void MoveTailToFront(Steps& from, int from_index, Steps& to) {
  Steps moved;
  MoveTail(from, from_index, moved);
  MoveTail(to, 0, moved);
  to.Swap(&moved);
}

// A stage that answers with an impossible count breaks the protocol; the run
// stops rather than guess.
absl::Status CheckStepsUsed(absl::string_view stage, int used, int offered) {
  if (used >= 1 && used <= offered) return absl::OkStatus();
  return StageFailure(absl::StatusCode::kInternal, stage, "PROTOCOL_ERROR",
                      absl::StrCat("the ", stage, " stage used ", used, " of ",
                                   offered, " steps offered"));
}

// A cash account's buying power holds back each short's value at the
// view's closes; execution frees it when a cover fills
// (ExecuteStepsRequest.marks). The sleeves' positions too: the account's
// nets them by symbol.
void MarksOf(const v1::PortfolioView& view,
             google::protobuf::Map<int32_t, double>& marks) {
  marks.clear();
  for (const v1::Position& position : view.positions()) {
    marks[position.symbol()] = position.last_price();
  }
  for (const v1::PortfolioView& sleeve : view.strategies()) {
    for (const v1::Position& position : sleeve.positions()) {
      marks[position.symbol()] = position.last_price();
    }
  }
}

}  // namespace

absl::StatusOr<int> Run::CallStrategies(
    Steps& window, v1::ExecuteStepsResponse& executed,
    v1::ApplyStepsResponse& applied, Untold& untold,
    google::protobuf::RepeatedPtrField<v1::Intent>& intents) {
  v1::StrategyStepsRequest request;
  v1::StrategyStepsResponse response;
  request.set_run_id(run_id_);
  untold.rejections.MergeFrom(executed.rejections());
  // The last close's fills and events come before this window's: they are
  // dated at the step before it.
  const bool after_close = !untold.fills.empty() || !untold.events.empty();
  if (after_close) {
    untold.fills.MergeFrom(executed.fills());
    untold.events.MergeFrom(executed.events());
  }
  auto& fills = after_close ? untold.fills : *executed.mutable_fills();
  auto& events = after_close ? untold.events : *executed.mutable_events();
  if (strategies_.size() == 1) {
    // The whole window and every record, lent without copies.
    request.mutable_fills()->Swap(&fills);
    request.mutable_events()->Swap(&events);
    request.mutable_rejections()->Swap(&untold.rejections);
    request.mutable_views()->Swap(applied.mutable_views());
    request.mutable_steps()->Swap(&window);
    absl::Status status = strategies_[0].stage->OnSteps(request, &response);
    request.mutable_steps()->Swap(&window);
    request.mutable_views()->Swap(applied.mutable_views());
    request.mutable_events()->Swap(&events);
    request.mutable_fills()->Swap(&fills);
    untold.fills.Clear();
    untold.events.Clear();
    if (status.ok()) {
      status = CheckStepsUsed("strategy", response.steps_used(), window.size());
    }
    if (!status.ok()) return status;
    intents.Swap(response.mutable_intents());
    return response.steps_used();
  }
  // Several strategies, one step: each gets its own records and sleeve.
  for (const v1::PortfolioView& view : applied.views()) {
    if (view.strategies_size() != static_cast<int>(strategies_.size())) {
      return StageFailure(
          absl::StatusCode::kInternal, "portfolio", "PROTOCOL_ERROR",
          absl::StrCat("the portfolio stage returned a view with ",
                       view.strategies_size(),
                       " strategy sleeves for a run "
                       "of ",
                       strategies_.size(), " strategies"));
    }
  }
  *request.mutable_steps() = window;
  for (size_t i = 0; i < strategies_.size(); ++i) {
    const int strategy = static_cast<int>(i);
    request.set_strategy_id(strategies_[i].id);
    request.clear_fills();
    request.clear_events();
    request.clear_rejections();
    request.clear_views();
    for (const v1::Fill& fill : fills) {
      if (fill.strategy() == strategy) *request.add_fills() = fill;
    }
    for (const v1::OrderEvent& event : events) {
      if (event.strategy() == strategy) *request.add_events() = event;
    }
    for (const v1::Rejection& rejection : untold.rejections) {
      if (rejection.strategy() == strategy)
        *request.add_rejections() = rejection;
    }
    for (const v1::PortfolioView& view : applied.views()) {
      *request.add_views() = view.strategies(strategy);
    }
    absl::Status status = strategies_[i].stage->OnSteps(request, &response);
    if (status.ok()) {
      status = CheckStepsUsed("strategy", response.steps_used(), window.size());
    }
    if (!status.ok()) return status;
    for (v1::Intent& intent : *response.mutable_intents()) {
      intent.set_strategy(strategy);
      *intents.Add() = std::move(intent);
    }
  }
  untold.fills.Clear();
  untold.events.Clear();
  untold.rejections.Clear();
  return window.size();
}

absl::Status Run::FillAtClose(
    const v1::TimeStep& step,
    google::protobuf::RepeatedPtrField<v1::Order>& orders,
    google::protobuf::RepeatedPtrField<v1::OrderAmendment>& amendments,
    v1::PortfolioView& view, v1::ExecuteStepsResponse& executed,
    v1::ApplyStepsResponse& applied) {
  v1::ExecuteStepsRequest execute;
  execute.set_run_id(run_id_);
  execute.set_at_close(true);
  *execute.add_steps() = step;
  execute.mutable_new_orders()->Swap(&orders);
  execute.mutable_amendments()->Swap(&amendments);
  execute.set_available_cash(view.buying_power());
  for (const v1::PortfolioView& sleeve : view.strategies()) {
    execute.add_strategy_available_cash(sleeve.buying_power());
  }
  if (spec_.portfolio().account().type() != "margin") {
    MarksOf(view, *execute.mutable_marks());
  }
  executed.Clear();
  absl::Status status = stages_.execution->ExecuteSteps(execute, &executed);
  if (status.ok()) {
    status = CheckStepsUsed("execution", executed.steps_used(), 1);
  }
  if (!status.ok()) return status;
  applied.Clear();
  if (executed.fills().empty() && executed.events().empty() &&
      executed.rejections().empty()) {
    return absl::OkStatus();  // nothing filled: the view stands
  }
  v1::ApplyStepsRequest apply;
  apply.set_run_id(run_id_);
  apply.set_at_close(true);
  *apply.add_steps() = step;
  *apply.mutable_fills() = executed.fills();
  *apply.mutable_events() = executed.events();
  *apply.mutable_rejections() = executed.rejections();
  status = stages_.portfolio->ApplySteps(apply, &applied);
  if (!status.ok()) return status;
  if (applied.views_size() != 1) {
    return StageFailure(
        absl::StatusCode::kInternal, "portfolio", "PROTOCOL_ERROR",
        absl::StrCat("the portfolio stage returned ", applied.views_size(),
                     " views for the close of one step"));
  }
  view.Swap(applied.mutable_views(0));
  return absl::OkStatus();
}

absl::Status Run::StepLoop(const v1::OpenDatasetResponse& dataset,
                           const ProgressCallback& on_progress) {
  int64_t first_time = 0, last_time = 0;
  for (const auto& symbol : dataset.symbols()) {
    const int64_t first = ParseTime(symbol.first_time()).value_or(0);
    const int64_t last = ParseTime(symbol.last_time()).value_or(0);
    first_time = first_time == 0 ? first : std::min(first_time, first);
    last_time = std::max(last_time, last);
  }
  progress_.set_steps_total(dataset.steps());
  // The first step that trades: data.start with warm-up bars before it.
  const int64_t trade_start =
      spec_.data().warmup_bars() > 0
          ? ParseTime(spec_.data().start()).value_or(kNoTime)
          : kNoTime;
  int64_t warmup_intents = 0;
  absl::Time next_progress = absl::Now() + options_.progress_interval;
  StepMerger merger(*stages_.data, dataset_id_, spec_.data().symbols_size(),
                    timeframes_);

  v1::ExecuteStepsRequest execute_request;
  v1::ExecuteStepsResponse execute_response;
  v1::ApplyStepsRequest apply_request;
  v1::ApplyStepsResponse apply_response;
  v1::SizeIntentsRequest size_request;
  v1::SizeIntentsResponse size_response;
  v1::ExecuteStepsResponse close_execute;
  v1::ApplyStepsResponse close_apply;
  execute_request.set_run_id(run_id_);
  apply_request.set_run_id(run_id_);
  size_request.set_run_id(run_id_);
  // With several strategies the run goes one step at a time: a strategy
  // that saw steps past the one where another acted could not be taken back.
  const int max_steps_per_call =
      strategies_.size() > 1 ? 1 : options_.max_steps_per_call;

  // Steps read from the data but not yet consumed, and the part of them a
  // stage did not get to (lent out and taken back around each call).
  Steps window;
  Steps unused;
  // The steps after the warm-up, held back while a window is warming.
  Steps after_warmup;
  std::vector<std::unique_ptr<v1::TimeStep>> spare_steps;
  bool data_done = false;
  int chunk_steps = std::min(kFirstChunkSteps, max_steps_per_call);
  // Orders and amendments accepted at the last consumed step, and rejections
  // the strategy has not heard of yet (sizing happens after its hook).
  google::protobuf::RepeatedPtrField<v1::Order> new_orders;
  google::protobuf::RepeatedPtrField<v1::OrderAmendment> new_amendments;
  Untold untold;
  // Whether execution must see the next steps: orders are working or new, or
  // its models follow every bar.
  bool execution_busy = execution_every_step_;
  double buying_power = spec_.portfolio().initial_cash();
  // Several strategies: each sleeve's, by strategy index.
  std::vector<double> sleeve_buying_power;
  for (const backtest::v1::StrategySpec& strategy : spec_.strategies()) {
    sleeve_buying_power.push_back(strategy.allocation() *
                                  spec_.portfolio().initial_cash());
  }
  // A cash account's buying power holds back each short's value at these
  // closes; execution frees it when a cover fills (ExecuteStepsRequest.marks).
  const bool cash_account = spec_.portfolio().account().type() != "margin";
  google::protobuf::Map<int32_t, double> marks;
  // Orders placed at a step fill at its close (execution.fill_timing).
  const bool fills_at_close = spec_.execution().fill_timing() == "close";

  for (;;) {
    if (cancel_requested_) {
      return StageFailure(absl::StatusCode::kCancelled, kStage, "CANCELLED",
                          absl::StrCat("cancelled by request after ",
                                       progress_.steps_done(), " steps"));
    }
    while (!data_done && window.size() < chunk_steps) {
      // Consumed steps are refilled rather than freed: a step of 500 bars
      // keeps its bar messages allocated.
      std::unique_ptr<v1::TimeStep> step;
      if (spare_steps.empty()) {
        step = std::make_unique<v1::TimeStep>();
      } else {
        step = std::move(spare_steps.back());
        spare_steps.pop_back();
      }
      absl::StatusOr<bool> more = merger.Next(step.get());
      if (!more.ok()) return more.status();
      if (*more) {
        window.AddAllocated(step.release());
      } else {
        data_done = true;
      }
    }
    if (window.empty()) break;
    // Warm-up steps (before data.start, data.warmup_bars) go through the
    // cycle on their own: the strategies see them, nothing trades or is
    // recorded.
    const bool warming = window.Get(0).time() < trade_start;
    if (warming) {
      int first_traded = 0;
      while (first_traded < window.size() &&
             window.Get(first_traded).time() < trade_start) {
        ++first_traded;
      }
      MoveTail(window, first_traded, after_warmup);
    }
    chunk_first_time_ = window.Get(0).time();
    chunk_last_time_ = window.Get(window.size() - 1).time();
    const int offered = window.size();

    // 1. Execution fills the working orders, up to the first step where any
    //    order fills or is rejected. Nothing working: nothing to fill.
    int executed_steps = offered;
    execute_response.Clear();
    const bool executed = execution_busy;
    if (executed) {
      execute_request.mutable_new_orders()->Swap(&new_orders);
      new_orders.Clear();
      execute_request.mutable_amendments()->Swap(&new_amendments);
      new_amendments.Clear();
      execute_request.set_available_cash(buying_power);
      *execute_request.mutable_strategy_available_cash() = {
          sleeve_buying_power.begin(), sleeve_buying_power.end()};
      *execute_request.mutable_marks() = marks;
      execute_request.mutable_steps()->Swap(&window);
      absl::Status status =
          stages_.execution->ExecuteSteps(execute_request, &execute_response);
      execute_request.mutable_steps()->Swap(&window);
      if (status.ok()) {
        status =
            CheckStepsUsed("execution", execute_response.steps_used(), offered);
      }
      if (!status.ok()) return status;
      executed_steps = execute_response.steps_used();
      MoveTail(window, executed_steps, unused);
    }

    // 2. The portfolio applies the fills and order events and marks each
    //    step to its closes, up to a margin call if one happens.
    *apply_request.mutable_fills() = execute_response.fills();
    *apply_request.mutable_events() = execute_response.events();
    *apply_request.mutable_rejections() = execute_response.rejections();
    apply_request.mutable_steps()->Swap(&window);
    absl::Status status =
        stages_.portfolio->ApplySteps(apply_request, &apply_response);
    apply_request.mutable_steps()->Swap(&window);
    if (!status.ok()) return status;
    const int viewed = apply_response.views_size();
    const bool margin_call = !apply_response.margin_call().empty();
    if (viewed < 1 || viewed > window.size() ||
        (viewed < window.size() && !margin_call)) {
      return StageFailure(
          absl::StatusCode::kInternal, "portfolio", "PROTOCOL_ERROR",
          absl::StrCat("the portfolio stage returned ", viewed, " views for ",
                       window.size(), " steps without a margin call"));
    }
    MoveTailToFront(window, viewed, unused);

    // 3. The strategies hear of fills and rejections, then see each step,
    //    up to the first step where they act.
    google::protobuf::RepeatedPtrField<v1::Intent> intents;
    absl::StatusOr<int> strategies_used = CallStrategies(
        window, execute_response, apply_response, untold, intents);
    if (!strategies_used.ok()) return strategies_used.status();
    const int used = *strategies_used;
    const v1::TimeStep& last = window.Get(used - 1);
    if (warming) {
      // Intents before data.start are no orders (docs/semantics.md).
      warmup_intents += intents.size();
      intents.Clear();
    }

    // 4-5. The portfolio sizes the intents (and, at a margin call, adds the
    //      liquidation); accepted orders work from the next step. This also
    //      tells it where the consumed steps end.
    const bool margin_call_consumed = margin_call && used == viewed;
    if (!intents.empty() || margin_call_consumed) {
      size_request.set_time(last.time());
      size_request.set_step_index(last.index());
      size_request.mutable_intents()->Swap(&intents);
      size_response.Clear();
      status = stages_.portfolio->SizeIntents(size_request, &size_response);
      if (!status.ok()) {
        // Sizing is at one step (a malformed intent, which the portfolio
        // reports as the strategy's fault, or a hard limit).
        chunk_first_time_ = chunk_last_time_ = last.time();
        return status;
      }
      new_orders.Swap(size_response.mutable_orders());
      new_amendments.Swap(size_response.mutable_amendments());
      untold.rejections.MergeFrom(size_response.rejections());
      records_.AddRejections(size_response.rejections());
    }

    // 5. Under fill timing close the new orders go to this step's close; the
    //    portfolio at that close is the step's view from here on.
    bool closed_step = false;
    if (fills_at_close && (!new_orders.empty() || !new_amendments.empty())) {
      status = FillAtClose(last, new_orders, new_amendments,
                           *apply_response.mutable_views(used - 1),
                           close_execute, close_apply);
      if (!status.ok()) {
        chunk_first_time_ = chunk_last_time_ = last.time();
        return status;
      }
      closed_step = true;
      untold.fills.MergeFrom(close_execute.fills());
      untold.events.MergeFrom(close_execute.events());
      untold.rejections.MergeFrom(close_execute.rejections());
    }

    // 6. Results record what the consumed steps did. Fills and rejections
    //    belong to the last executed step: kept only if it was consumed;
    //    otherwise execution simulates that step again next time.
    const bool fill_step_consumed = used == executed_steps;
    if (fill_step_consumed && !warming) {
      records_.AddFills(execute_response.fills());
      records_.AddRejections(execute_response.rejections());
    }
    for (const v1::Trade& trade : apply_response.closed_trades()) {
      if (trade.exit_time() <= last.time()) records_.AddTrade(trade);
    }
    if (closed_step) {
      records_.AddFills(close_execute.fills());
      records_.AddRejections(close_execute.rejections());
      records_.AddTrades(close_apply.closed_trades());
    }
    for (int i = 0; i < used && !warming; ++i) {
      records_.AddEquity(apply_response.views(i));
    }
    // The last view is kept (by a swap: this response is not read again) in
    // case the portfolio stage cannot end the run.
    last_view_.Swap(apply_response.mutable_views(used - 1));
    buying_power = last_view_.buying_power();
    for (int i = 0; i < last_view_.strategies_size(); ++i) {
      sleeve_buying_power[i] = last_view_.strategies(i).buying_power();
    }
    if (cash_account) MarksOf(last_view_, marks);
    if (executed) {
      execution_busy = execution_every_step_ || !fill_step_consumed ||
                       execute_response.working_orders() > 0;
    }
    if (closed_step) {
      execution_busy =
          execution_every_step_ || close_execute.working_orders() > 0;
    }
    execution_busy =
        execution_busy || !new_orders.empty() || !new_amendments.empty();

    // The unconsumed steps go back to the front of the window.
    std::vector<v1::TimeStep*> consumed(used);
    window.ExtractSubrange(0, used, consumed.data());
    for (v1::TimeStep* step : consumed) spare_steps.emplace_back(step);
    MoveTail(unused, 0, window);
    MoveTail(after_warmup, 0, window);
    // Size the next run after this one: a strategy that acted after `used`
    // steps will likely act as soon again (so little is simulated twice); a
    // run used up entirely doubles; a run cut by a fill says nothing.
    if (used < executed_steps) {
      chunk_steps = used;
    } else if (used == offered) {
      chunk_steps = std::min(chunk_steps * 2, max_steps_per_call);
    }

    progress_.set_steps_done(progress_.steps_done() + used);
    const absl::Time now = absl::Now();
    if (records_.Due(now)) {
      status = records_.Flush(*stages_.results);
      if (!status.ok()) return status;
    }
    if (now >= next_progress) {
      next_progress = now + options_.progress_interval;
      progress_.set_current_time(FormatTime(last.time()));
      progress_.set_fraction_done(
          last_time > first_time
              ? static_cast<double>(last.time() - first_time) /
                    static_cast<double>(last_time - first_time)
              : 1.0);
      on_progress(progress_);
    }
  }
  chunk_first_time_ = chunk_last_time_ = kNoTime;
  if (warmup_intents > 0) {
    Notice(absl::StrCat(warmup_intents,
                        " intent(s) the strategies made in "
                        "the warm-up bars before data.start were not "
                        "orders"));
  }
  return absl::OkStatus();
}

v1::RunProgress Run::Execute(const ProgressCallback& on_progress) {
  // The run's trace crosses to this thread here, explicitly.
  tracing::ContextScope trace_scope(run_span_ ? run_span_->ChildContext()
                                              : tracing::TraceContext{});
  LogEvent(
      LogLevel::kInfo, "run started",
      {.run_id = run_id_,
       .extra = {{"event", "run_start"},
                 {"strategy", StrategyLabel(spec_)},
                 {"symbols", absl::StrJoin(spec_.data().symbols(), ",")}}});
  progress_.set_state(v1::RUNNING);
  on_progress(progress_);

  // Stored first (when the run was not stored at submit), then the data
  // loaded and validated; a run that fails here is stored as FAILED.
  absl::Status status = run_recorded_ ? absl::OkStatus() : Record();
  v1::OpenDatasetResponse dataset;
  if (status.ok()) {
    v1::OpenDatasetRequest open_request;
    open_request.set_run_id(run_id_);
    *open_request.mutable_data() = spec_.data();
    status = stages_.data->OpenDataset(open_request, &dataset);
  }
  if (status.ok()) {
    dataset_id_ = dataset.dataset_id();
    for (const std::string& notice : dataset.notices()) Notice(notice);
    status = RecordDataIdentity(dataset);
  }
  if (status.ok() && !spec_.metrics().benchmark().empty()) {
    status = LoadBenchmark();
  }
  if (status.ok()) status = StepLoop(dataset, on_progress);
  NoteUnresponsiveStage(status);

  // Wrap up the stages; on success their problems fail the run.
  v1::FinishRunRequest finish;
  finish.set_run_id(run_id_);
  finish.mutable_benchmark()->Swap(&benchmark_);
  if (stages_started_) {
    const absl::Status ended = EndStages(&finish);
    if (!ended.ok()) {
      if (status.ok()) {
        status = ended;
      } else {
        Notice(
            absl::StrCat("a stage could not end the run: ", ended.message()));
      }
    }
  }
  if (run_recorded_) {
    const absl::Status flush_status = records_.Flush(*stages_.results);
    if (!flush_status.ok()) {
      if (status.ok()) {
        status = flush_status;
      } else {
        Notice(absl::StrCat("records of the last steps could not be stored: ",
                            flush_status.message()));
      }
    }
  }

  v1::RunState state = v1::SUCCEEDED;
  if (!status.ok()) {
    state = absl::IsCancelled(status) && cancel_requested_ ? v1::CANCELLED
                                                           : v1::FAILED;
    ErrorContext context{.run_id = run_id_};
    // The steps being processed when it failed (formatted only now: this is
    // no work for the step loop).
    if (chunk_first_time_ != kNoTime) {
      context.bar_time = chunk_first_time_ == chunk_last_time_
                             ? FormatTime(chunk_first_time_)
                             : absl::StrCat(FormatTime(chunk_first_time_), "..",
                                            FormatTime(chunk_last_time_));
    }
    *finish.mutable_error() =
        ToStageError(WithContext(status, kStage, context), kStage);
  }
  finish.set_state(state);
  v1::FinishRunResponse finished;
  absl::Status finish_status =
      run_recorded_ ? stages_.results->FinishRun(finish, &finished)
                    : absl::OkStatus();
  if (run_recorded_ && finish_status.ok()) {
    *progress_.mutable_summary() = finished.run();
  } else {
    if (!finish_status.ok()) {
      Notice(absl::StrCat("the results stage could not store the outcome: ",
                          finish_status.message()));
    }
    v1::RunSummary summary = summary_;
    summary.set_state(state == v1::SUCCEEDED ? v1::FAILED : state);
    *summary.mutable_error() = finish_status.ok()
                                   ? finish.error()
                                   : ToStageError(finish_status, "results");
    *progress_.mutable_summary() = summary;
  }
  if (!dataset_id_.empty()) {
    v1::CloseDatasetRequest close;
    close.set_dataset_id(dataset_id_);
    v1::CloseDatasetResponse closed;
    const absl::Status close_status =
        stages_.data->CloseDataset(close, &closed);
    if (!close_status.ok()) {
      Notice(absl::StrCat("the data stage could not close the dataset: ",
                          close_status.message()));
    }
  }
  progress_.set_state(progress_.summary().state());
  FinishTrace(status);
  if (progress_.state() == v1::SUCCEEDED) progress_.set_fraction_done(1.0);
  on_progress(progress_);
  return progress_;
}

void Run::FinishTrace(const absl::Status& status) {
  const v1::RunSummary& summary = progress_.summary();
  const bool failed = progress_.state() == v1::FAILED;
  LogEvent(failed ? LogLevel::kError : LogLevel::kInfo,
           failed ? DescribeStageError(summary.error()) : "run ended",
           {.run_id = run_id_,
            .extra = {{"event", "run_end"},
                      {"state", v1::RunState_Name(progress_.state())},
                      {"stage", summary.error().stage()},
                      {"reason", summary.error().reason()}}});
  if (!run_span_) return;
  run_span_->SetAttribute("run.state", v1::RunState_Name(progress_.state()));
  run_span_->SetAttribute("steps", progress_.steps_done());
  if (!summary.first_time().empty()) {
    run_span_->SetAttribute(
        "time.range",
        absl::StrCat(summary.first_time(), "..", summary.last_time()));
  }
  if (failed) {
    // The stored error: with the stage, symbol and bar time it names.
    run_span_->SetError(
        status.ok()
            ? StageFailure(absl::StatusCode::kInternal, summary.error().stage(),
                           summary.error().reason(), summary.error().message())
            : WithContext(status, kStage,
                          {.symbol = summary.error().symbol(),
                           .bar_time = summary.error().bar_time()}),
        kStage);
  }
  if (const int64_t dropped = trace_.dropped(); dropped > 0) {
    run_span_->SetAttribute("trace.dropped_spans", dropped);
  }
  run_span_->End();
  run_span_.reset();
  // Storing and exporting are not part of the trace they send.
  tracing::ContextScope untraced{tracing::TraceContext{}};
  v1::StoreTraceRequest store;
  store.set_run_id(run_id_);
  *store.mutable_trace() = trace_.Take();
  if (run_recorded_) {
    v1::StoreTraceResponse stored;
    const absl::Status stored_status =
        stages_.results->StoreTrace(store, &stored);
    if (!stored_status.ok()) {
      Notice(absl::StrCat("the run's trace could not be stored: ",
                          stored_status.message()));
    }
  }
  if (!options_.otlp_endpoint.empty()) {
    const absl::Status exported =
        otlp::PostJson(options_.otlp_endpoint,
                       otlp::TraceToJson(store.trace(), EngineVersion()));
    if (!exported.ok()) Notice(std::string(exported.message()));
  }
}

}  // namespace seed::coordinator
