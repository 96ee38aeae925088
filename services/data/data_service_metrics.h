// The data service's Prometheus metrics (common/metrics.h):
//   seed_data_files_parsed_total             CSV files read and parsed
//   seed_data_file_cache_hits_total{cache}   loads answered without parsing:
//       cache="memory" (the file kept parsed in memory) or "column" (the
//       on-disk column cache, services/data/column_cache.h)
//   seed_data_bars_served_total              bars sent in ReadBars slices
// The gRPC adapter feeds them; the data engine only counts its loads.
// Thread-safe.
#ifndef SEED_SERVICES_DATA_DATA_SERVICE_METRICS_H_
#define SEED_SERVICES_DATA_DATA_SERVICE_METRICS_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"

namespace seed::data {

class DataServiceMetrics {
 public:
  // How the engine's file loads were answered since it started.
  struct LoadCounts {
    int64_t memory_hits = 0;
    int64_t column_cache_hits = 0;
    int64_t parsed = 0;
  };

  explicit DataServiceMetrics(prometheus::Registry& registry);
  DataServiceMetrics(const DataServiceMetrics&) = delete;
  DataServiceMetrics& operator=(const DataServiceMetrics&) = delete;

  // The process's, on metrics::ProcessRegistry().
  static DataServiceMetrics& Process();

  // The load counts of one engine, which only grow: each Update moves the
  // process's counters by what is new since the last Update of this object
  // (calls from several threads may interleave: older counts add nothing).
  class EngineLoads {
   public:
    explicit EngineLoads(DataServiceMetrics& metrics) : metrics_(metrics) {}
    void Update(const LoadCounts& now);

   private:
    DataServiceMetrics& metrics_;
    absl::Mutex mutex_;
    LoadCounts seen_ ABSL_GUARDED_BY(mutex_);
  };

  void BarsServed(int64_t bars);

 private:
  prometheus::Counter& files_parsed_;
  prometheus::Family<prometheus::Counter>& cache_hits_;
  prometheus::Counter& memory_hits_;
  prometheus::Counter& column_cache_hits_;
  prometheus::Counter& bars_served_;
};

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_DATA_SERVICE_METRICS_H_
