// The data stage's phases on one case's CSV files, timed in this process, for
// pipeline_bench --phases: reading the bytes (read() into memory, or mapped),
// parsing and validating them, the bars' hash (the run fingerprint's) and the
// bytes' hash (the column cache's key), writing and reading the column cache,
// and DatasetStore::LoadFile end to end with the cache off, cold and warm.
// Not thread-safe: one call at a time (it measures the process's CPU time).
#ifndef SEED_BENCH_DATA_PHASES_H_
#define SEED_BENCH_DATA_PHASES_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace seed::bench {

// Prints one line per phase: the median over `rounds` of wall and CPU
// milliseconds over all `files`, and CPU nanoseconds per bar. `scratch` is a
// directory the column caches are made in (emptied first).
void PrintDataPhases(const std::string& case_name,
                     const std::vector<std::string>& files, int64_t bars,
                     const std::filesystem::path& scratch, int rounds = 5);

}  // namespace seed::bench

#endif  // SEED_BENCH_DATA_PHASES_H_
