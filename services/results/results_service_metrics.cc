#include "services/results/results_service_metrics.h"

#include "common/metrics.h"

namespace seed::results {

ResultsServiceMetrics::ResultsServiceMetrics(prometheus::Registry& registry)
    : write_seconds_(prometheus::BuildHistogram()
                         .Name("seed_results_write_seconds")
                         .Help("Time the results service took to store what "
                               "a write call carried, by operation")
                         .Register(registry)),
      database_up_(prometheus::BuildGauge()
                       .Name("seed_results_database_up")
                       .Help("1 while the results database is reachable "
                             "(checked every few seconds), 0 while not")
                       .Register(registry)
                       .Add({})) {}

ResultsServiceMetrics& ResultsServiceMetrics::Process() {
  static auto* const metrics =
      new ResultsServiceMetrics(*metrics::ProcessRegistry());
  return *metrics;
}

void ResultsServiceMetrics::Write(absl::string_view operation,
                                  absl::Duration elapsed) {
  prometheus::Histogram* histogram = nullptr;
  {
    absl::MutexLock lock(&mutex_);
    auto it = writes_.find(operation);
    if (it == writes_.end()) {
      it = writes_
               .emplace(operation, &write_seconds_.Add(
                                       {{"operation", std::string(operation)}},
                                       metrics::LatencyBuckets()))
               .first;
    }
    histogram = it->second;
  }
  histogram->Observe(absl::ToDoubleSeconds(elapsed));
}

void ResultsServiceMetrics::SetDatabaseUp(bool up) {
  database_up_.Set(up ? 1 : 0);
}

}  // namespace seed::results
