#include "research/walk_forward_job.h"

#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/run_state.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "research/objective.h"
#include "research/out_of_sample.h"
#include "services/coordinator/stored_records.h"

namespace seed::research {
namespace {

namespace v1 = ::backtest::v1;

constexpr absl::string_view kInSample = "in_sample";
constexpr absl::string_view kOutOfSample = "out_of_sample";

absl::Status BadLength(absl::string_view field, absl::string_view text) {
  return InvalidFields(
      "coordinator", "INVALID_WALK_FORWARD",
      {{std::string(field),
        absl::StrCat("must be a count and a unit: \"500 bars\", \"90 days\", "
                     "\"26 weeks\", \"18 months\" or \"2 years\"; got '",
                     text, "'")}});
}

Objective ObjectiveOf(const v1::Job& job) {
  return {job.objective(),
          job.goal() == "minimize" ? Direction::kMinimize
                                   : Direction::kMaximize,
          job.min_trades()};
}

// The job's stored children, by run id.
absl::StatusOr<std::map<std::string, v1::RunSummary>> StoredChildren(
    coordinator::ResultsStage& results, const std::string& job_id) {
  std::map<std::string, v1::RunSummary> stored;
  v1::ListRunsRequest request;
  request.set_parent(job_id);
  request.set_limit(1000);
  do {
    v1::ListRunsResponse page;
    const absl::Status status = results.ListRuns(request, &page);
    if (!status.ok()) return status;
    for (v1::RunSummary& run : *page.mutable_runs()) {
      stored[run.run_id()] = std::move(run);
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return stored;
}

ReturnOverPeriod PeriodOf(const v1::RunSummary& run) {
  const int64_t first = ParseTime(run.first_time()).value_or(0);
  const int64_t last = ParseTime(run.last_time()).value_or(0);
  return {run.metrics().total_return(), YearsBetween(first, last)};
}

void SetOptional(const std::optional<double>& value,
                 void (v1::WalkForwardWindow::*set)(double),
                 v1::WalkForwardWindow& window) {
  if (value.has_value()) (window.*set)(*value);
}

}  // namespace

absl::StatusOr<Length> ParseLength(absl::string_view text,
                                   absl::string_view field) {
  const std::vector<std::string> parts =
      absl::StrSplit(absl::StripAsciiWhitespace(text), ' ',
                     absl::SkipEmpty());
  Length length;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &length.count) ||
      length.count < 1) {
    return BadLength(field, text);
  }
  std::string unit = absl::AsciiStrToLower(parts[1]);
  if (unit.size() > 1 && unit.back() == 's') unit.pop_back();
  static const auto* const kUnits = new std::map<std::string, LengthUnit>{
      {"bar", LengthUnit::kBars},     {"day", LengthUnit::kDays},
      {"week", LengthUnit::kWeeks},   {"month", LengthUnit::kMonths},
      {"year", LengthUnit::kYears}};
  const auto it = kUnits->find(unit);
  if (it == kUnits->end()) return BadLength(field, text);
  length.unit = it->second;
  return length;
}

absl::StatusOr<WalkForwardPlan> PlanWalkForward(
    const v1::BacktestSpec& spec, const strategy::ParamSchemas& schemas,
    const std::vector<int64_t>& times, int64_t interval_seconds,
    absl::string_view job_id, absl::string_view engine_version) {
  const v1::WalkForwardSpec& walk = spec.walk_forward();
  std::vector<FieldProblem> problems;
  WindowSpec windows;
  if (walk.mode() == "anchored") {
    windows.kind = WindowKind::kAnchored;
  } else if (!walk.mode().empty() && walk.mode() != "rolling") {
    problems.push_back({"walk_forward.mode",
                        absl::StrCat("must be rolling or anchored, got '",
                                     walk.mode(), "'")});
  }
  const auto length = [&problems](const std::string& text,
                                  const std::string& field) {
    absl::StatusOr<Length> parsed = ParseLength(text, field);
    if (!parsed.ok()) {
      for (FieldProblem& problem : FieldProblems(parsed.status())) {
        problems.push_back(std::move(problem));
      }
      return Length{};
    }
    return *parsed;
  };
  windows.in_sample = length(walk.in_sample(), "walk_forward.in_sample");
  windows.out_of_sample =
      length(walk.out_of_sample(), "walk_forward.out_of_sample");
  if (!walk.step().empty()) windows.step = length(walk.step(), "walk_forward.step");
  windows.keep_partial = walk.keep_partial();
  if (walk.warmup_bars() < 0) {
    problems.push_back({"walk_forward.warmup_bars", "must be 0 or more"});
  }
  if (!problems.empty()) {
    return InvalidFields("coordinator", "INVALID_WALK_FORWARD", problems);
  }
  std::optional<int64_t> data_end;
  if (!spec.data().end().empty()) {
    absl::StatusOr<int64_t> end = ParseTime(spec.data().end());
    if (end.ok()) data_end = *end;
  }
  absl::StatusOr<std::vector<Window>> made =
      MakeWindows(times, windows, data_end);
  if (!made.ok()) {
    return InvalidFields("coordinator", "INVALID_WALK_FORWARD",
                         {{"walk_forward", std::string(made.status().message())}});
  }
  absl::StatusOr<SweepPlan> sweep =
      PlanSweep(spec, schemas, job_id, engine_version);
  if (!sweep.ok()) return sweep.status();

  WalkForwardPlan plan;
  plan.spec = spec;
  plan.interval_seconds = interval_seconds;
  plan.windows = *std::move(made);
  const int64_t points = static_cast<int64_t>(sweep->children.size());
  const int64_t count = static_cast<int64_t>(plan.windows.size());
  plan.children = count * points + count;
  plan.job = sweep->job;
  plan.job.set_kind(v1::WALK_FORWARD);
  plan.job.set_children_expected(plan.children);
  for (const ChildPlan& child : sweep->children) {
    plan.points.emplace_back(child.membership.params().begin(),
                             child.membership.params().end());
  }
  for (const Window& window : plan.windows) {
    for (int64_t p = 0; p < points; ++p) {
      ChildPlan child = sweep->children[p];
      child.index = window.index * points + p;
      child.run_id = ChildRunId(job_id, child.index, plan.children);
      child.spec.mutable_data()->set_start(FormatTime(window.in_sample_start));
      child.spec.mutable_data()->set_end(FormatTime(window.in_sample_end));
      child.spec.set_name(
          absl::StrCat(child.spec.name(), " in-sample ", window.index));
      child.membership.set_index(child.index);
      child.membership.set_role(std::string(kInSample));
      child.membership.set_window(static_cast<int32_t>(window.index));
      plan.in_sample.push_back(std::move(child));
    }
  }
  return plan;
}

ChildPlan OutOfSampleChild(const WalkForwardPlan& plan, int window,
                           const Point& chosen, double initial_cash) {
  const Window& bounds = plan.windows[window];
  const int64_t points = static_cast<int64_t>(plan.points.size());
  ChildPlan child;
  child.index = static_cast<int64_t>(plan.windows.size()) * points + window;
  child.run_id = ChildRunId(plan.job.job_id(), child.index, plan.children);
  child.spec = ChildSpec(plan.spec, chosen);
  child.spec.set_name(absl::StrCat(child.spec.name(), " out-of-sample ",
                                   window));
  v1::DataSpec& data = *child.spec.mutable_data();
  data.set_start(FormatTime(bounds.out_of_sample_start));
  data.set_end(FormatTime(bounds.out_of_sample_end));
  data.set_warmup_bars(plan.spec.walk_forward().warmup_bars());
  v1::PortfolioSpec& portfolio = *child.spec.mutable_portfolio();
  portfolio.set_initial_cash(initial_cash);
  portfolio.set_close_at_end(true);
  child.membership.set_job_id(plan.job.job_id());
  child.membership.set_index(child.index);
  child.membership.mutable_params()->insert(chosen.begin(), chosen.end());
  child.membership.set_role(std::string(kOutOfSample));
  child.membership.set_window(window);
  return child;
}

absl::StatusOr<WalkForwardOutcome> RunWalkForward(
    const WalkForwardPlan& plan, const Shard& shard, JobRunner& runner,
    coordinator::ResultsStage& results,
    const std::function<void(const RunnerProgress&)>& on_progress) {
  WalkForwardOutcome outcome;
  absl::StatusOr<std::vector<ChildOutcome>> in_sample =
      runner.Run(plan.job, plan.in_sample, shard, on_progress);
  if (!in_sample.ok()) return in_sample.status();
  outcome.children = *std::move(in_sample);

  absl::StatusOr<std::map<std::string, v1::RunSummary>> stored =
      StoredChildren(results, plan.job.job_id());
  if (!stored.ok()) return stored.status();
  for (const ChildPlan& child : plan.in_sample) {
    const auto it = stored->find(child.run_id);
    if (it == stored->end() || !IsFinalRunState(it->second.state())) {
      ++outcome.waiting;
    }
  }
  if (outcome.waiting > 0) return outcome;

  // The out-of-sample chain, window by window, each with the cash the last
  // one ended with.
  const Objective objective = ObjectiveOf(plan.job);
  const size_t points = plan.points.size();
  double cash = plan.spec.portfolio().initial_cash();
  v1::WalkForwardResult result;
  std::vector<v1::GetRunResponse> segments_runs;
  std::vector<WindowReturns> returns;
  std::vector<int> measured_windows;
  for (const Window& window : plan.windows) {
    v1::WalkForwardWindow& row = *result.add_windows();
    row.set_window(static_cast<int32_t>(window.index));
    row.set_in_sample_first(FormatTime(window.in_sample_start));
    row.set_in_sample_last(FormatTime(window.in_sample_end));
    row.set_out_of_sample_first(FormatTime(window.out_of_sample_start));
    row.set_out_of_sample_last(FormatTime(window.out_of_sample_end));
    std::vector<Candidate> candidates;
    std::vector<const v1::RunSummary*> summaries;
    for (size_t p = 0; p < points; ++p) {
      const ChildPlan& child = plan.in_sample[window.index * points + p];
      const v1::RunSummary& run = stored->at(child.run_id);
      Candidate candidate{CanonicalText(plan.points[p]), std::nullopt};
      if (run.state() == v1::SUCCEEDED) candidate.metrics = run.metrics();
      candidates.push_back(std::move(candidate));
      summaries.push_back(&run);
    }
    absl::StatusOr<std::vector<Ranked>> ranked = Rank(objective, candidates);
    if (!ranked.ok()) return ranked.status();
    const Ranked* best = nullptr;
    for (const Ranked& entry : *ranked) {
      if (entry.rank == 1) best = &entry;
    }
    if (best == nullptr) {
      row.set_note(
          absl::StrCat("no in-sample point could be ranked (",
                       ranked->empty() ? "none ran" : (*ranked)[0].reason,
                       "): nothing traded out of sample, the cash carried"));
      continue;
    }
    const Point& chosen = plan.points[best->index];
    row.mutable_chosen()->insert(chosen.begin(), chosen.end());
    if (best->value.has_value()) row.set_in_sample_objective(*best->value);
    const ChildPlan child = OutOfSampleChild(
        plan, static_cast<int>(window.index), chosen, cash);
    absl::StatusOr<std::vector<ChildOutcome>> ran =
        runner.Run(plan.job, {child}, Shard{}, on_progress);
    if (!ran.ok()) return ran.status();
    outcome.children.insert(outcome.children.end(), ran->begin(), ran->end());
    if (ran->empty() || ran->front().state != v1::SUCCEEDED) {
      return StageFailure(
          absl::StatusCode::kAborted, "coordinator", "CHILD_FAILED",
          absl::StrCat("the out-of-sample run of window ", window.index, " (",
                       child.run_id, ") did not succeed: ",
                       ran->empty() ? "" : ran->front().error.message(),
                       "; the windows after it need its final equity"),
          {.hint = "fix the cause and go on with bt walkforward --resume "
                   "JOB"});
    }
    absl::StatusOr<v1::GetRunResponse> run =
        coordinator::FetchRunWithRecords(results, child.run_id);
    if (!run.ok()) return run.status();
    row.set_out_of_sample_run(child.run_id);
    absl::StatusOr<std::optional<double>> oos_objective =
        ReadMetric(run->run().metrics(), objective.metric);
    if (oos_objective.ok() && oos_objective->has_value()) {
      row.set_out_of_sample_objective(**oos_objective);
    }
    cash = run->run().metrics().final_equity();
    returns.push_back({PeriodOf(*summaries[best->index]), PeriodOf(run->run())});
    measured_windows.push_back(result.windows_size() - 1);
    segments_runs.push_back(*std::move(run));
  }

  const WalkForwardEfficiency efficiency = MeasureEfficiency(returns);
  for (size_t i = 0; i < measured_windows.size(); ++i) {
    v1::WalkForwardWindow& row = *result.mutable_windows(measured_windows[i]);
    const Efficiency& window = efficiency.windows[i];
    SetOptional(window.in_sample,
                &v1::WalkForwardWindow::set_in_sample_annual_return, row);
    SetOptional(window.out_of_sample,
                &v1::WalkForwardWindow::set_out_of_sample_annual_return, row);
    SetOptional(window.efficiency, &v1::WalkForwardWindow::set_efficiency,
                row);
  }
  if (efficiency.overall.efficiency.has_value()) {
    result.set_efficiency(*efficiency.overall.efficiency);
  }
  if (!segments_runs.empty()) {
    absl::StatusOr<StitchedRun> stitched = StitchRuns(
        segments_runs, {plan.spec.portfolio().initial_cash(),
                        plan.interval_seconds, plan.spec.metrics()});
    if (!stitched.ok()) return stitched.status();
    *result.mutable_stitched() = stitched->metrics;
  }
  v1::StoreJobResultRequest store;
  store.set_job_id(plan.job.job_id());
  *store.mutable_result()->mutable_walk_forward() = result;
  v1::StoreJobResultResponse stored_result;
  const absl::Status status = results.StoreJobResult(store, &stored_result);
  if (!status.ok()) return status;
  outcome.result = std::move(result);
  return outcome;
}

}  // namespace seed::research
