#include "services/coordinator/run_manager.h"

#include <malloc.h>

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/logging.h"
#include "common/run_state.h"
#include "common/stage_error.h"
#include "services/coordinator/coordinator_metrics.h"
#include "services/coordinator/run.h"
#include "services/coordinator/spec.h"
#include "services/coordinator/trace_keeping_results.h"
#include "services/coordinator/traced_stages.h"

namespace seed::coordinator {
namespace {

// The stages as runs use them: every call traced, and a trace the results
// stage cannot store yet kept until it can.
Stages ForRuns(Stages stages) {
  stages.results = KeepUnstoredTraces(std::move(stages.results));
  return TraceStages(std::move(stages));
}

absl::Status AlreadyHere(const std::string& run_id) {
  return StageFailure(
      absl::StatusCode::kAlreadyExists, "coordinator", "RUN_ALREADY_EXISTS",
      absl::StrCat("run ", run_id, " is already queued or running here"),
      {.run_id = run_id});
}

}  // namespace

RunManager::RunManager(Stages stages, RunOptions options,
                       RunManagerOptions manager_options)
    : stages_(ForRuns(std::move(stages))),
      options_(options),
      manager_options_(manager_options),
      lease_keeper_([this] { KeepLeases(); }) {}

RunManager::~RunManager() {
  std::vector<std::thread> workers;
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    // Queued runs are cancelled too; the workers still take them, so each
    // records that it was cancelled.
    for (auto& [id, job] : jobs_) {
      if (!job->ended) job->run->Cancel();
    }
    workers.swap(workers_);
  }
  for (std::thread& worker : workers) worker.join();
  lease_keeper_.join();
}

void RunManager::KeepLeases() {
  const absl::Duration every = options_.lease / 3;
  for (;;) {
    std::vector<v1::UpdateRunRequest> renewals;
    {
      absl::MutexLock lock(&mutex_);
      mutex_.AwaitWithTimeout(absl::Condition(&stopping_), every);
      if (stopping_) return;
      for (const auto& [run_id, job] : jobs_) {
        if (job->ended) continue;
        v1::UpdateRunRequest& renewal = renewals.emplace_back();
        renewal.set_run_id(run_id);
        renewal.set_steps_done(job->progress.steps_done());
        renewal.set_current_time(job->progress.current_time());
      }
    }
    for (const v1::UpdateRunRequest& renewal : renewals) {
      v1::UpdateRunResponse response;
      const absl::Status status =
          stages_.results->UpdateRun(renewal, &response);
      if (status.ok()) continue;
      const v1::StageError error = ToStageError(status, "results");
      // A run that ended meanwhile needs no lease.
      if (error.reason() == "RUN_ALREADY_FINISHED") continue;
      LogEvent(LogLevel::kWarning,
               absl::StrCat("could not renew the run's lease: ",
                            DescribeStageError(error)),
               {.run_id = renewal.run_id(),
                .extra = {{"event", "lease_renewal_failed"},
                          {"stage", error.stage()},
                          {"reason", error.reason()}}});
    }
  }
}

absl::StatusOr<std::string> RunManager::Validate(absl::string_view spec_text,
                                                 absl::string_view base_dir) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec =
      ParseSpec(spec_text, base_dir);
  if (!spec.ok()) return spec.status();
  // A spec that is only checked runs nothing worth a trace.
  RunOptions options = options_;
  options.tracing = false;
  absl::StatusOr<std::unique_ptr<Run>> run = Run::Prepare(
      stages_, *spec, absl::StrCat("validate-", NewTimeSortableId()), options);
  if (!run.ok()) return run.status();
  return (*run)->canonical_spec();
}

absl::StatusOr<std::string> RunManager::Submit(
    absl::string_view spec_text, absl::string_view base_dir,
    const tracing::SpanContext& trace_parent, const std::string& owner) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec =
      ParseSpec(spec_text, base_dir);
  if (!spec.ok()) return spec.status();
  for (const auto& [block, present, command] :
       {std::tuple{"sweep", spec->has_sweep() && !spec->has_walk_forward(),
                   "bt sweep"},
        std::tuple{"walk_forward", spec->has_walk_forward(), "bt walkforward"},
        std::tuple{"factors", spec->has_factors(), "bt factors"}}) {
    if (present) {
      return InvalidFields(
          "coordinator", "INVALID_SPEC",
          {{block, absl::StrCat("a spec with a ", block,
                                " block is a research job, not one run: run "
                                "it with ",
                                command, " SPEC")}});
    }
  }
  return SubmitSpec(*spec, {.trace_parent = trace_parent, .owner = owner});
}

absl::StatusOr<std::string> RunManager::SubmitSpec(
    const backtest::v1::BacktestSpec& spec, SubmitOptions options) {
  {
    absl::MutexLock lock(&mutex_);
    if (static_cast<int>(queue_.size()) >= manager_options_.max_queued_runs) {
      return StageFailure(
          absl::StatusCode::kResourceExhausted, "coordinator", "QUEUE_FULL",
          absl::StrCat("this coordinator has ", queue_.size(),
                       " runs waiting, its limit; none was added"),
          {.hint = "submit again once some have ended, or to another "
                   "coordinator"});
    }
  }
  const std::string run_id =
      options.run_id.empty() ? NewTimeSortableId() : options.run_id;
  RunOptions run_options = options_;
  run_options.owner = options.owner;
  absl::StatusOr<std::unique_ptr<Run>> run =
      Run::Prepare(stages_, spec, run_id, run_options, options.trace_parent);
  if (!run.ok()) return run.status();
  if (!options.job.job_id().empty()) (*run)->set_job(std::move(options.job));
  {
    absl::MutexLock lock(&mutex_);
    if (jobs_.count(run_id) > 0) return AlreadyHere(run_id);
  }
  // No run id without a stored run: a results stage that cannot take it
  // refuses the submission (after the channel's retries) instead.
  if (absl::Status recorded = (*run)->Record(); !recorded.ok()) {
    return recorded;
  }

  auto job = std::make_shared<Job>();
  job->run = *std::move(run);
  job->progress.set_run_id(run_id);
  job->progress.set_state(v1::QUEUED);
  job->on_end = std::move(options.on_end);
  job->owner = options.owner;
  absl::MutexLock lock(&mutex_);
  if (jobs_.count(run_id) > 0) return AlreadyHere(run_id);
  jobs_[run_id] = std::move(job);
  queue_.push_back(run_id);
  JoinIdleExitedWorkers();
  CoordinatorMetrics::Process().RunQueued();
  if (static_cast<int>(workers_.size()) <
          manager_options_.max_concurrent_runs &&
      idle_workers_ < static_cast<int>(queue_.size())) {
    workers_.emplace_back([this] { Work(); });
  }
  return run_id;
}

void RunManager::Work() {
  for (;;) {
    std::string run_id;
    std::shared_ptr<Job> job;
    bool last_to_leave = false;
    {
      absl::MutexLock lock(&mutex_);
      ++idle_workers_;
      const auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return !queue_.empty() || stopping_;
      };
      mutex_.AwaitWithTimeout(absl::Condition(&has_work),
                              manager_options_.worker_idle_exit);
      --idle_workers_;
      if (queue_.empty()) {
        // Stopping (the destructor joins every worker), or idle too long.
        if (!stopping_) exited_workers_.push_back(std::this_thread::get_id());
        last_to_leave = !stopping_ && running_ == 0 && idle_workers_ == 0;
      } else {
        run_id = queue_.front();
        queue_.pop_front();
        job = jobs_.at(run_id);
        ++running_;
      }
    }
    if (job == nullptr) {
      // The burst is over: give back what the runs' threads freed (the
      // allocator otherwise keeps every thread arena's peak).
      if (last_to_leave) malloc_trim(0);
      return;
    }
    CoordinatorMetrics::Process().RunStarted();
    RunJob(run_id, job);
  }
}

void RunManager::RunJob(const std::string& run_id,
                        const std::shared_ptr<Job>& job) {
  const v1::RunProgress final_progress =
      job->run->Execute([this, &job](const v1::RunProgress& progress) {
        absl::MutexLock lock(&mutex_);
        job->progress = progress;
        ++job->version;
      });
  std::unique_ptr<Run> ended_run;
  {
    absl::MutexLock lock(&mutex_);
    job->progress = final_progress;
    ++job->version;
    job->ended = true;
    ended_run = std::move(job->run);
    ended_.push_back(run_id);
    while (static_cast<int>(ended_.size()) > manager_options_.kept_ended_runs) {
      jobs_.erase(ended_.front());  // waiters hold their own reference
      ended_.pop_front();
    }
    --running_;
  }
  ended_run.reset();
  CoordinatorMetrics::Process().RunEnded(final_progress);
  if (job->on_end) job->on_end(final_progress);
}

void RunManager::JoinIdleExitedWorkers() {
  for (const std::thread::id id : exited_workers_) {
    const auto it = std::find_if(
        workers_.begin(), workers_.end(),
        [id](const std::thread& worker) { return worker.get_id() == id; });
    if (it == workers_.end()) continue;
    it->join();  // it has left Work(), so this waits only for its exit
    workers_.erase(it);
  }
  exited_workers_.clear();
}

absl::StatusOr<std::shared_ptr<RunManager::Job>> RunManager::FindJob(
    absl::string_view run_id) {
  const auto it = jobs_.find(run_id);
  if (it == jobs_.end()) {
    return StageFailure(
        absl::StatusCode::kNotFound, "coordinator", "UNKNOWN_RUN",
        absl::StrCat("this coordinator has no run ", run_id),
        {.run_id = std::string(run_id),
         .hint = "runs of earlier coordinator processes are in the results "
                 "database: bt show RUN"});
  }
  return it->second;
}

absl::StatusOr<v1::RunProgress> RunManager::StoredProgress(
    absl::string_view run_id) {
  v1::GetRunRequest request;
  request.set_run_id(std::string(run_id));
  v1::GetRunResponse stored;
  const absl::Status status = stages_.results->GetRun(request, &stored);
  if (absl::IsNotFound(status)) {
    absl::MutexLock lock(&mutex_);
    return FindJob(run_id).status();  // UNKNOWN_RUN, with the hint
  }
  if (!status.ok()) return status;
  if (!IsFinalRunState(stored.run().state())) {
    return StageFailure(absl::StatusCode::kNotFound, "coordinator",
                        "UNKNOWN_RUN",
                        absl::StrCat("this coordinator has no run ", run_id,
                                     "; the results stage has it as ",
                                     v1::RunState_Name(stored.run().state()),
                                     ", run by another coordinator"),
                        {.run_id = std::string(run_id)});
  }
  v1::RunProgress progress;
  progress.set_run_id(stored.run().run_id());
  progress.set_state(stored.run().state());
  *progress.mutable_summary() = stored.run();
  progress.set_results_location(stored.location());
  if (stored.run().state() == v1::SUCCEEDED) progress.set_fraction_done(1.0);
  return progress;
}

absl::StatusOr<std::string> RunManager::OwnerOf(absl::string_view run_id) {
  {
    absl::MutexLock lock(&mutex_);
    absl::StatusOr<std::shared_ptr<Job>> job = FindJob(run_id);
    if (job.ok()) return (*job)->owner;
  }
  absl::StatusOr<v1::RunProgress> stored = StoredProgress(run_id);
  if (!stored.ok()) return stored.status();
  return stored->summary().owner();
}

absl::StatusOr<v1::RunProgress> RunManager::WaitForUpdate(
    absl::string_view run_id, int64_t* version, absl::Duration timeout) {
  std::shared_ptr<Job> job;
  {
    absl::MutexLock lock(&mutex_);
    absl::StatusOr<std::shared_ptr<Job>> found = FindJob(run_id);
    if (found.ok()) {
      job = *std::move(found);
      const int64_t seen = *version;
      const auto changed = [&job, seen] {
        return job->ended || job->version != seen;
      };
      mutex_.AwaitWithTimeout(absl::Condition(&changed), timeout);
      *version = job->version;
      return job->progress;
    }
  }
  absl::StatusOr<v1::RunProgress> stored = StoredProgress(run_id);
  if (stored.ok()) *version = 1;
  return stored;
}

absl::StatusOr<v1::RunProgress> RunManager::Wait(absl::string_view run_id) {
  {
    absl::MutexLock lock(&mutex_);
    absl::StatusOr<std::shared_ptr<Job>> found = FindJob(run_id);
    if (found.ok()) {
      std::shared_ptr<Job> job = *std::move(found);
      const auto ended = [&job] { return job->ended; };
      mutex_.Await(absl::Condition(&ended));
      return job->progress;
    }
  }
  return StoredProgress(run_id);
}

absl::StatusOr<CancelOutcome> RunManager::Cancel(absl::string_view run_id) {
  {
    absl::MutexLock lock(&mutex_);
    absl::StatusOr<std::shared_ptr<Job>> found = FindJob(run_id);
    if (found.ok()) {
      std::shared_ptr<Job> job = *std::move(found);
      if (!job->ended) {
        job->run->Cancel();
        // A queued run goes first, so that it ends (CANCELLED) at once.
        const auto queued = std::find(queue_.begin(), queue_.end(), run_id);
        if (queued != queue_.end()) {
          queue_.erase(queued);
          queue_.push_front(std::string(run_id));
        }
        const auto ended = [&job] { return job->ended; };
        mutex_.AwaitWithTimeout(absl::Condition(&ended),
                                manager_options_.cancel_wait);
      }
      return CancelOutcome{job->progress.state(), !job->ended};
    }
  }
  absl::StatusOr<v1::RunProgress> stored = StoredProgress(run_id);
  if (!stored.ok()) return stored.status();
  return CancelOutcome{stored->state(), false};
}

}  // namespace seed::coordinator
