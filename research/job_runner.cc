#include "research/job_runner.h"

#include <deque>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/stage_error.h"
#include "common/version.h"
#include "services/coordinator/data_identity.h"

namespace seed::research {
namespace {

namespace v1 = ::backtest::v1;

// A child that another shard stored SUCCEEDED while this one was about to
// run it: the results stage refused the duplicate (results.proto) when the
// child was submitted.
bool RacedToSuccess(const v1::StageError& error) {
  return error.reason() == "CHILD_ALREADY_SUCCEEDED";
}

absl::Status InputsChanged(const v1::RunSummary& stored, absl::string_view what,
                           absl::string_view then, absl::string_view now) {
  return StageFailure(
      absl::StatusCode::kFailedPrecondition, "coordinator",
      "JOB_INPUTS_CHANGED",
      absl::StrCat("child ", stored.run_id(), " succeeded with ", what, " ",
                   then, ", but the ", what, " is now ", now,
                   ": its results cannot be mixed with new ones"),
      {.hint = "run the spec as a new job (without --job/--resume), or "
               "restore the data and engine the job was run with"});
}

}  // namespace

JobRunner::JobRunner(coordinator::RunManager& runs, int in_flight)
    : runs_(runs), in_flight_(std::max(1, in_flight)) {}

absl::StatusOr<std::map<std::string, v1::RunSummary>>
JobRunner::StoredChildren(const std::string& job_id) {
  std::map<std::string, v1::RunSummary> stored;
  v1::ListRunsRequest request;
  request.set_parent(job_id);
  request.set_limit(1000);
  do {
    v1::ListRunsResponse page;
    const absl::Status status =
        runs_.stages().results->ListRuns(request, &page);
    if (!status.ok()) return status;
    for (v1::RunSummary& run : *page.mutable_runs()) {
      stored[run.run_id()] = std::move(run);
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return stored;
}

absl::StatusOr<std::string> JobRunner::DataHash(
    const v1::BacktestSpec& spec) {
  const std::string key = spec.data().SerializeAsString();
  if (const auto it = data_hashes_.find(key); it != data_hashes_.end()) {
    return it->second;
  }
  coordinator::DataStage& data = *runs_.stages().data;
  v1::OpenDatasetRequest open;
  open.set_run_id("job-inputs-check");
  *open.mutable_data() = spec.data();
  v1::OpenDatasetResponse dataset;
  absl::Status status = data.OpenDataset(open, &dataset);
  if (!status.ok()) return status;
  v1::CloseDatasetRequest close;
  close.set_dataset_id(dataset.dataset_id());
  v1::CloseDatasetResponse closed;
  status = data.CloseDataset(close, &closed);
  if (!status.ok()) return status;
  return data_hashes_[key] = coordinator::IdentityOf(dataset).data_hash;
}

absl::StatusOr<std::vector<ChildOutcome>> JobRunner::Run(
    const v1::Job& job, const std::vector<ChildPlan>& children,
    const Shard& shard,
    const std::function<void(const RunnerProgress&)>& on_progress) {
  absl::StatusOr<std::map<std::string, v1::RunSummary>> stored =
      StoredChildren(job.job_id());
  if (!stored.ok()) return stored.status();

  std::vector<ChildOutcome> outcomes;
  std::deque<const ChildPlan*> to_run;
  RunnerProgress progress;
  const std::string engine = EngineVersion();
  for (const ChildPlan& child : children) {
    if (!shard.Owns(child.index)) continue;
    ++progress.owned;
    const auto found = stored->find(child.run_id);
    if (found == stored->end() || found->second.state() != v1::SUCCEEDED) {
      to_run.push_back(&child);
      continue;
    }
    const v1::RunSummary& run = found->second;
    if (run.engine_version() != engine) {
      return InputsChanged(run, "engine", run.engine_version(), engine);
    }
    absl::StatusOr<std::string> data_hash = DataHash(child.spec);
    if (!data_hash.ok()) return data_hash.status();
    if (run.data_hash() != *data_hash) {
      return InputsChanged(run, "data hash", run.data_hash(), *data_hash);
    }
    ++progress.reused;
    outcomes.push_back({child.index, child.run_id, v1::SUCCEEDED, true, {}});
  }
  if (on_progress) on_progress(progress);

  // Children end on the runs' threads; this thread submits and collects.
  absl::Mutex mutex;
  std::deque<std::pair<const ChildPlan*, v1::RunProgress>> ended;
  int running = 0;
  while (!to_run.empty() || running > 0) {
    while (!to_run.empty() && running < in_flight_) {
      const ChildPlan* child = to_run.front();
      to_run.pop_front();
      coordinator::SubmitOptions options;
      options.run_id = child->run_id;
      options.job = child->membership;
      options.on_end = [&mutex, &ended, child](const v1::RunProgress& end) {
        absl::MutexLock lock(&mutex);
        ended.emplace_back(child, end);
      };
      const absl::StatusOr<std::string> submitted =
          runs_.SubmitSpec(child->spec, std::move(options));
      if (!submitted.ok()) {
        const v1::StageError error =
            ToStageError(submitted.status(), "coordinator");
        if (RacedToSuccess(error)) {
          ++progress.reused;
          outcomes.push_back(
              {child->index, child->run_id, v1::SUCCEEDED, true, {}});
        } else {
          // Nothing was stored: the child stays missing from the job.
          ++progress.finished;
          ++progress.failed;
          outcomes.push_back(
              {child->index, child->run_id, v1::FAILED, false, error});
        }
        if (on_progress) on_progress(progress);
        continue;
      }
      ++running;
    }
    if (running == 0) continue;
    std::pair<const ChildPlan*, v1::RunProgress> end;
    {
      absl::MutexLock lock(&mutex);
      mutex.Await(absl::Condition(
          +[](std::deque<std::pair<const ChildPlan*, v1::RunProgress>>* queue) {
            return !queue->empty();
          },
          &ended));
      end = std::move(ended.front());
      ended.pop_front();
    }
    --running;
    const ChildPlan& child = *end.first;
    const v1::RunProgress& final_progress = end.second;
    ChildOutcome outcome{child.index, child.run_id, final_progress.state(),
                         false, final_progress.summary().error()};
    ++progress.finished;
    if (outcome.state != v1::SUCCEEDED) ++progress.failed;
    outcomes.push_back(std::move(outcome));
    if (on_progress) on_progress(progress);
  }
  std::sort(outcomes.begin(), outcomes.end(),
            [](const ChildOutcome& a, const ChildOutcome& b) {
              return a.index < b.index;
            });
  return outcomes;
}

}  // namespace seed::research
