// Parsing speed of ParseCsv on a million one-minute rows (the target is well
// under a second). Run: bazel run -c opt //services/data:csv_reader_benchmark
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "common/time.h"
#include "services/data/csv_reader.h"

namespace seed::data {
namespace {

std::string MinuteBars(int rows) {
  std::string text = "timestamp,open,high,low,close,volume\n";
  const int64_t start = *ParseTime("2006-01-02T09:01:00");
  for (int i = 0; i < rows; ++i) {
    const double price = 3600 + (i % 97) * 0.25;
    absl::StrAppend(
        &text, FormatTime(start + 60 * i),
        absl::StrFormat(",%.6f,%.6f,%.6f,%.6f,%d\n", price, price + 1,
                        price - 1, price + 0.5, 100 + i % 5000));
  }
  return text;
}

void BM_ParseCsv(benchmark::State& state) {
  const std::string text = MinuteBars(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    absl::StatusOr<ParsedFile> file = ParseCsv(text, "bench.csv", "BENCH");
    benchmark::DoNotOptimize(file);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_ParseCsv)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace seed::data

BENCHMARK_MAIN();
