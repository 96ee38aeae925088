#include "services/coordinator/coordinator_metrics.h"

#include "backtest/v1/run.pb.h"

namespace seed::coordinator {
namespace {

// At most this many distinct failure reasons get a series of their own;
// ours are about a hundred and a run fails for few of them.
constexpr int kMaxReasons = 200;

// A stage name as a label value: one of the known stages, else "other" (a
// failure's stage may come from a plug-in service).
std::string StageLabel(absl::string_view stage) {
  for (absl::string_view known : {"data", "strategy", "portfolio", "execution",
                                  "results", "coordinator"}) {
    if (stage == known) return std::string(known);
  }
  return "other";
}

}  // namespace

CoordinatorMetrics::CoordinatorMetrics(prometheus::Registry& registry)
    : active_(prometheus::BuildGauge()
                  .Name("seed_runs_active")
                  .Help("Runs this coordinator holds that have not ended, by "
                        "state")
                  .Register(registry)),
      queued_(active_.Add({{"state", "QUEUED"}})),
      running_(active_.Add({{"state", "RUNNING"}})),
      finished_(prometheus::BuildCounter()
                    .Name("seed_runs_finished_total")
                    .Help("Runs that ended, by final state")
                    .Register(registry)),
      failures_(prometheus::BuildCounter()
                    .Name("seed_run_failures_total")
                    .Help("Runs that ended FAILED, by the stage that failed "
                          "and the reason code of its error")
                    .Register(registry)),
      record_bytes_(prometheus::BuildHistogram()
                        .Name("seed_run_records_bytes")
                        .Help("Bytes of records (equity, fills, rejections, "
                              "trades) a run sent to the results stage")
                        .Register(registry)
                        .Add({}, metrics::SizeBuckets())),
      call_seconds_(prometheus::BuildHistogram()
                        .Name("seed_stage_call_seconds")
                        .Help("Time of each call the coordinator made to a "
                              "stage, as the coordinator saw it")
                        .Register(registry)),
      reasons_(kMaxReasons, "OTHER") {
  auto& steps = prometheus::BuildCounter()
                    .Name("seed_stage_steps_total")
                    .Help("Time steps each stage went through")
                    .Register(registry);
  auto& bars = prometheus::BuildCounter()
                   .Name("seed_stage_bars_total")
                   .Help(
                       "Bars in the steps each stage went through (data: "
                       "bars read from it)")
                   .Register(registry);
  for (const char* stage : {"data", "strategy", "portfolio", "execution"}) {
    stage_counters_[stage] = {&steps.Add({{"stage", stage}}),
                              &bars.Add({{"stage", stage}})};
  }
}

CoordinatorMetrics& CoordinatorMetrics::Process() {
  static auto* const metrics =
      new CoordinatorMetrics(*metrics::ProcessRegistry());
  return *metrics;
}

void CoordinatorMetrics::RunQueued() { queued_.Increment(); }

void CoordinatorMetrics::RunStarted() {
  queued_.Decrement();
  running_.Increment();
}

void CoordinatorMetrics::RunEnded(const backtest::v1::RunProgress& progress) {
  running_.Decrement();
  finished_.Add({{"state", backtest::v1::RunState_Name(progress.state())}})
      .Increment();
  if (progress.state() == backtest::v1::FAILED) {
    const backtest::v1::StageError& error = progress.summary().error();
    failures_
        .Add({{"stage", StageLabel(error.stage())},
              {"reason", reasons_.Of(error.reason())}})
        .Increment();
  }
  int64_t bytes = 0;
  {
    absl::MutexLock lock(&mutex_);
    if (const auto it = run_bytes_.find(progress.run_id());
        it != run_bytes_.end()) {
      bytes = it->second;
      run_bytes_.erase(it);
    }
  }
  record_bytes_.Observe(static_cast<double>(bytes));
}

void CoordinatorMetrics::StageCall(absl::string_view name,
                                   absl::Duration elapsed) {
  prometheus::Histogram* histogram = nullptr;
  {
    absl::ReaderMutexLock lock(&mutex_);
    if (const auto it = calls_.find(name); it != calls_.end()) {
      histogram = it->second;
    }
  }
  if (histogram == nullptr) {
    const size_t dot = name.find('.');
    const absl::string_view call =
        dot == absl::string_view::npos ? name : name.substr(dot + 1);
    histogram = &call_seconds_.Add({{"stage", StageLabel(name.substr(0, dot))},
                                    {"call", std::string(call)}},
                                   metrics::LatencyBuckets());
    absl::MutexLock lock(&mutex_);
    calls_.emplace(name, histogram);
  }
  histogram->Observe(absl::ToDoubleSeconds(elapsed));
}

void CoordinatorMetrics::StepsProcessed(absl::string_view stage, int64_t steps,
                                        int64_t bars) {
  const auto it = stage_counters_.find(stage);
  if (it == stage_counters_.end()) return;
  if (steps > 0) it->second.steps->Increment(static_cast<double>(steps));
  if (bars > 0) it->second.bars->Increment(static_cast<double>(bars));
}

void CoordinatorMetrics::RecordsSent(const std::string& run_id, int64_t bytes) {
  absl::MutexLock lock(&mutex_);
  run_bytes_[run_id] += bytes;
}

}  // namespace seed::coordinator
