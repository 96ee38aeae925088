// Speed of RunMonteCarlo: 10,000 paths over 1,000 trades, for each
// resampling and basis (the target is well under a second).
// Run: bazel run -c opt //research:monte_carlo_benchmark
#include <vector>

#include "benchmark/benchmark.h"
#include "research/monte_carlo.h"

namespace seed::research {
namespace {

std::vector<TradeOutcome> Trades(int count) {
  std::vector<TradeOutcome> trades;
  double equity = 100000;
  for (int i = 0; i < count; ++i) {
    const double pnl = (i % 7 < 3 ? -1 : 1.3) * (100 + i % 13);
    trades.push_back({pnl, equity});
    equity += pnl;
  }
  return trades;
}

void BM_MonteCarlo(benchmark::State& state) {
  const std::vector<TradeOutcome> trades = Trades(1000);
  MonteCarloSpec spec;
  spec.paths = 10000;
  spec.seed = 1;
  spec.resampling =
      state.range(0) == 0 ? Resampling::kReshuffle : Resampling::kBootstrap;
  spec.basis = state.range(1) == 0 ? Basis::kPnl : Basis::kReturn;
  for (auto _ : state) {
    absl::StatusOr<MonteCarloResult> result =
        RunMonteCarlo(trades, 100000, spec);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * spec.paths * 1000);
}
BENCHMARK(BM_MonteCarlo)
    ->ArgNames({"bootstrap", "return"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace seed::research

BENCHMARK_MAIN();
