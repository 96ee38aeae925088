#include "services/data/data_service_metrics.h"

#include "common/metrics.h"

namespace seed::data {
namespace {

// Moves `counter` by how far `now` is past `*seen`, and remembers `now`.
void Advance(prometheus::Counter& counter, int64_t now, int64_t* seen) {
  if (now <= *seen) return;
  counter.Increment(static_cast<double>(now - *seen));
  *seen = now;
}

}  // namespace

DataServiceMetrics::DataServiceMetrics(prometheus::Registry& registry)
    : files_parsed_(prometheus::BuildCounter()
                        .Name("seed_data_files_parsed_total")
                        .Help("CSV files the data service read and parsed")
                        .Register(registry)
                        .Add({})),
      cache_hits_(prometheus::BuildCounter()
                      .Name("seed_data_file_cache_hits_total")
                      .Help("File loads answered without parsing, by the "
                            "cache that held the parsed file (memory, column)")
                      .Register(registry)),
      memory_hits_(cache_hits_.Add({{"cache", "memory"}})),
      column_cache_hits_(cache_hits_.Add({{"cache", "column"}})),
      bars_served_(prometheus::BuildCounter()
                       .Name("seed_data_bars_served_total")
                       .Help("Bars the data service sent in ReadBars slices")
                       .Register(registry)
                       .Add({})) {}

DataServiceMetrics& DataServiceMetrics::Process() {
  static auto* const metrics =
      new DataServiceMetrics(*metrics::ProcessRegistry());
  return *metrics;
}

void DataServiceMetrics::BarsServed(int64_t bars) {
  if (bars > 0) bars_served_.Increment(static_cast<double>(bars));
}

void DataServiceMetrics::EngineLoads::Update(const LoadCounts& now) {
  absl::MutexLock lock(&mutex_);
  Advance(metrics_.files_parsed_, now.parsed, &seen_.parsed);
  Advance(metrics_.memory_hits_, now.memory_hits, &seen_.memory_hits);
  Advance(metrics_.column_cache_hits_, now.column_cache_hits,
          &seen_.column_cache_hits);
}

}  // namespace seed::data
