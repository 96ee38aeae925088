// The coordinator's Prometheus metrics (common/metrics.h; not a run's
// performance metrics): its runs by state, each run's failure by stage and
// reason and the bytes of records it sent, and every stage call's latency,
// steps and bars. The run manager and the traced stage layer feed them;
// the trading logic knows nothing of them. Families (docs/deploy.md):
//   seed_runs_active{state}                   QUEUED, RUNNING (gauge)
//   seed_runs_finished_total{state}           SUCCEEDED, FAILED, CANCELLED...
//   seed_run_failures_total{stage, reason}    the failed runs' errors
//   seed_run_records_bytes                    records sent per run (histogram)
//   seed_stage_call_seconds{stage, call}      each stage call (histogram)
//   seed_stage_steps_total{stage}, seed_stage_bars_total{stage}
// Label values are bounded: states and stages are fixed sets, calls are the
// stage interfaces' methods, and reasons our codes (metrics::BoundedLabel).
// Thread-safe.
#ifndef SEED_SERVICES_COORDINATOR_COORDINATOR_METRICS_H_
#define SEED_SERVICES_COORDINATOR_COORDINATOR_METRICS_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backtest/v1/coordinator.pb.h"
#include "common/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace seed::coordinator {

class CoordinatorMetrics {
 public:
  explicit CoordinatorMetrics(prometheus::Registry& registry);
  CoordinatorMetrics(const CoordinatorMetrics&) = delete;
  CoordinatorMetrics& operator=(const CoordinatorMetrics&) = delete;

  // The process's, on metrics::ProcessRegistry(): what every run manager
  // and traced stage layer of the process feeds (the gauges add up over
  // several managers).
  static CoordinatorMetrics& Process();

  // A run joined the queue; left it to run; ended with `progress` (its
  // final state and summary), having sent what RecordsSent counted.
  void RunQueued();
  void RunStarted();
  void RunEnded(const backtest::v1::RunProgress& progress);

  // A stage call named "<stage>.<call>" ("execution.execute_steps") took
  // `elapsed`.
  void StageCall(absl::string_view name, absl::Duration elapsed);
  // A stage went through `steps` steps holding `bars` bars (data: bars read
  // from it). A step the coordinator sends again (the steps after the one
  // where a strategy acted) counts again for the stages that redo it.
  void StepsProcessed(absl::string_view stage, int64_t steps, int64_t bars);
  // Records of run `run_id` went to the results stage: `bytes` on the wire.
  void RecordsSent(const std::string& run_id, int64_t bytes);

 private:
  struct StageCounters {
    prometheus::Counter* steps;
    prometheus::Counter* bars;
  };

  prometheus::Family<prometheus::Gauge>& active_;
  prometheus::Gauge& queued_;
  prometheus::Gauge& running_;
  prometheus::Family<prometheus::Counter>& finished_;
  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Histogram& record_bytes_;
  prometheus::Family<prometheus::Histogram>& call_seconds_;
  // The stages that go through steps, each with its two counters.
  absl::flat_hash_map<std::string, StageCounters> stage_counters_;
  metrics::BoundedLabel reasons_;

  mutable absl::Mutex mutex_;
  // Each call name's histogram, found once.
  absl::flat_hash_map<std::string, prometheus::Histogram*> calls_
      ABSL_GUARDED_BY(mutex_);
  // Bytes sent so far by each run not yet ended.
  absl::flat_hash_map<std::string, int64_t> run_bytes_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_COORDINATOR_METRICS_H_
