// The bounds on every input the backtester reads: spec files and their
// fields, data and metadata files, run ids and names. Each is generous for
// real use and refuses what would make a service slow, large or unusable for
// others (a 25 MB run name, a 60 MB spec, a 200 MB CSV). docs/spec.md
// ("Limits") lists them; a change here changes that table. Constants only:
// thread-safe.
#ifndef SEED_COMMON_LIMITS_H_
#define SEED_COMMON_LIMITS_H_

#include <cstdint>

namespace seed::limits {

// A spec file or SubmitRunRequest.spec_yaml: 1 MiB (the largest example is
// under 2 KiB; a universe of 10,000 symbols fits with room to spare).
inline constexpr int64_t kMaxSpecBytes = 1 << 20;
// spec.name: shown in tables and stored with every run.
inline constexpr int64_t kMaxNameBytes = 200;
// Any other text in a spec (paths, ids, addresses, parameter values, rule
// names): a long absolute path fits.
inline constexpr int64_t kMaxTextBytes = 4096;
// data.symbols, and any other list in a spec (tiers, not_shortable, ...).
inline constexpr int64_t kMaxSymbols = 10000;
inline constexpr int64_t kMaxListItems = 10000;
// A strategy's params, and the entries of any other map in a spec.
inline constexpr int64_t kMaxParams = 256;
// spec.strategies.
inline constexpr int64_t kMaxStrategies = 64;
// Values (scalars, lists and mappings, aliases counted each time they are
// used) in one spec: a spec of 10,000 symbols has about 10,050.
inline constexpr int64_t kMaxSpecValues = 100000;
// YAML nesting: a spec is four levels deep at most.
inline constexpr int kMaxSpecDepth = 16;

// A data CSV file: 128 MiB, about 2 million one-minute bars (20 years of
// regular trading hours); the benchmark's million bars are 60 MB.
inline constexpr int64_t kMaxCsvBytes = int64_t{128} << 20;
// Rows of one CSV file.
inline constexpr int64_t kMaxCsvRows = 4'000'000;
// One CSV line (a row of OHLCV is under 100 bytes).
inline constexpr int64_t kMaxCsvLineBytes = 4096;
// The CSV files of one run's data.symbols together: 160 MiB (about 1 GB of
// bars in memory at most); 500 symbols x 10 years of daily bars are 75 MB.
inline constexpr int64_t kMaxDatasetBytes = int64_t{160} << 20;
// A symbol metadata file (data.metadata): 16 MiB, ~200,000 rows.
inline constexpr int64_t kMaxMetadataBytes = 16 << 20;

// Money: initial_cash, fixed_notional, commission amounts. Past 1e12 a double
// no longer keeps cents exact through a run's sums, and 1e308 overflows.
inline constexpr double kMaxAmount = 1e12;
// Share quantities (sizing.quantity, tier bounds).
inline constexpr double kMaxQuantity = 1e12;

// A run id (or a prefix of one) on the command line or in a request.
inline constexpr int64_t kMaxRunIdBytes = 128;

}  // namespace seed::limits

#endif  // SEED_COMMON_LIMITS_H_
