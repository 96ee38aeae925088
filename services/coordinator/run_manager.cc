#include "services/coordinator/run_manager.h"

#include <random>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/stage_error.h"
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

}  // namespace

RunManager::RunManager(Stages stages, RunOptions options)
    : stages_(ForRuns(std::move(stages))), options_(options) {}

RunManager::~RunManager() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mutex_);
    for (auto& [id, job] : jobs_) {
      if (!job->ended) job->run->Cancel();
      if (job->thread.joinable()) threads.push_back(std::move(job->thread));
    }
  }
  for (std::thread& thread : threads) thread.join();
}

std::string RunManager::NewRunId() {
  // Sortable by start time, unique across processes by its random tail.
  static std::mt19937_64 random{std::random_device{}()};
  static absl::Mutex random_mutex;
  absl::MutexLock lock(&random_mutex);
  return absl::StrCat(
      absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::UTCTimeZone()), "-",
      absl::StrFormat("%06x", random() & 0xffffff));
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
      stages_, *spec, absl::StrCat("validate-", NewRunId()), options);
  if (!run.ok()) return run.status();
  return (*run)->canonical_spec();
}

absl::StatusOr<std::string> RunManager::Submit(
    absl::string_view spec_text, absl::string_view base_dir,
    const tracing::SpanContext& trace_parent, const std::string& owner) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec =
      ParseSpec(spec_text, base_dir);
  if (!spec.ok()) return spec.status();
  const std::string run_id = NewRunId();
  RunOptions options = options_;
  options.owner = owner;
  absl::StatusOr<std::unique_ptr<Run>> run =
      Run::Prepare(stages_, *spec, run_id, options, trace_parent);
  if (!run.ok()) return run.status();

  absl::MutexLock lock(&mutex_);
  auto job = std::make_unique<Job>();
  job->run = *std::move(run);
  job->progress.set_run_id(run_id);
  job->progress.set_state(v1::QUEUED);
  job->owner = owner;
  Job* raw = job.get();
  jobs_[run_id] = std::move(job);
  raw->thread = std::thread([this, raw] {
    const v1::RunProgress final_progress =
        raw->run->Execute([this, raw](const v1::RunProgress& progress) {
          absl::MutexLock lock(&mutex_);
          raw->progress = progress;
          ++raw->version;
        });
    absl::MutexLock lock(&mutex_);
    raw->progress = final_progress;
    ++raw->version;
    raw->ended = true;
  });
  return run_id;
}

absl::StatusOr<RunManager::Job*> RunManager::FindJob(absl::string_view run_id) {
  const auto it = jobs_.find(run_id);
  if (it == jobs_.end()) {
    return StageFailure(
        absl::StatusCode::kNotFound, "coordinator", "UNKNOWN_RUN",
        absl::StrCat("this coordinator has no run ", run_id),
        {.run_id = std::string(run_id),
         .hint = "runs of earlier coordinator processes are in the results "
                 "database: bt show RUN"});
  }
  return it->second.get();
}

absl::StatusOr<std::string> RunManager::OwnerOf(absl::string_view run_id) {
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<Job*> job = FindJob(run_id);
  if (!job.ok()) return job.status();
  return (*job)->owner;
}

absl::StatusOr<v1::RunProgress> RunManager::WaitForUpdate(
    absl::string_view run_id, int64_t* version, absl::Duration timeout) {
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<Job*> job = FindJob(run_id);
  if (!job.ok()) return job.status();
  Job* found = *job;
  const int64_t seen = *version;
  const auto changed = [found, seen] {
    return found->ended || found->version != seen;
  };
  mutex_.AwaitWithTimeout(absl::Condition(&changed), timeout);
  *version = found->version;
  return found->progress;
}

absl::StatusOr<v1::RunProgress> RunManager::Wait(absl::string_view run_id) {
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<Job*> job = FindJob(run_id);
  if (!job.ok()) return job.status();
  mutex_.Await(absl::Condition(&Ended, *job));
  return (*job)->progress;
}

absl::StatusOr<v1::RunState> RunManager::Cancel(absl::string_view run_id) {
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<Job*> job = FindJob(run_id);
  if (!job.ok()) return job.status();
  if (!(*job)->ended) (*job)->run->Cancel();
  return (*job)->progress.state();
}

absl::Status RunManager::StartWatching(absl::string_view run_id) {
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<Job*> job = FindJob(run_id);
  if (!job.ok()) return job.status();
  ++(*job)->watchers;
  return absl::OkStatus();
}

void RunManager::StopWatching(absl::string_view run_id, bool client_left) {
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<Job*> job = FindJob(run_id);
  if (!job.ok()) return;
  Job* found = *job;
  --found->watchers;
  if (client_left && found->watchers == 0 && !found->ended) {
    found->run->Cancel();
  }
}

}  // namespace seed::coordinator
