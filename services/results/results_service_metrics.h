// The results service's Prometheus metrics (common/metrics.h; not a run's
// performance metrics, which are metrics.h here):
//   seed_results_write_seconds{operation}  each write a caller asked for:
//       begin_run, append_records, finish_run, store_trace (histogram)
//   seed_results_database_up               1 while the database is
//       reachable, 0 while not (the health check sets it)
// The gRPC adapter and the service's health check feed them. Thread-safe.
#ifndef SEED_SERVICES_RESULTS_RESULTS_SERVICE_METRICS_H_
#define SEED_SERVICES_RESULTS_RESULTS_SERVICE_METRICS_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace seed::results {

class ResultsServiceMetrics {
 public:
  explicit ResultsServiceMetrics(prometheus::Registry& registry);
  ResultsServiceMetrics(const ResultsServiceMetrics&) = delete;
  ResultsServiceMetrics& operator=(const ResultsServiceMetrics&) = delete;

  // The process's, on metrics::ProcessRegistry().
  static ResultsServiceMetrics& Process();

  // A write `operation` ("append_records": the method in snake case) took
  // `elapsed`, whether it succeeded or not.
  void Write(absl::string_view operation, absl::Duration elapsed);
  void SetDatabaseUp(bool up);

 private:
  prometheus::Family<prometheus::Histogram>& write_seconds_;
  prometheus::Gauge& database_up_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, prometheus::Histogram*> writes_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_RESULTS_SERVICE_METRICS_H_
