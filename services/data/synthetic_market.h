// A synthetic daily market for demos (`bt data synth`) and tests: SYMBOL.csv
// files in our schema whose bytes depend only on the options, on every machine
// and compiler. Thread-safe: pure function (it writes only its own files).
#ifndef SEED_SERVICES_DATA_SYNTHETIC_MARKET_H_
#define SEED_SERVICES_DATA_SYNTHETIC_MARKET_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace seed::data {

struct SyntheticMarketOptions {
  std::string output_dir;  // created when missing; files in it are replaced
  int symbols = 5;
  uint64_t seed = 42;
  std::string start_date = "2015-01-02";  // a weekend starts on the Monday
  int trading_days = 1500;                // weekdays from start_date
};

// The symbol at this index stops trading for kHaltTradingDays weekdays from
// kHaltStartFraction of the period (the last symbol when there are fewer).
inline constexpr int kHaltedSymbolIndex = 1;
inline constexpr int kHaltTradingDays = 10;
inline constexpr double kHaltStartFraction = 0.6;
// The symbol at this index has no rows before kLateListingFraction of the
// period (the last symbol when there are fewer).
inline constexpr int kLateListingSymbolIndex = 2;
inline constexpr double kLateListingFraction = 1.0 / 3.0;

// Enough days for a late listing and a halt to fit with room around them.
inline constexpr int kMinSyntheticTradingDays = 60;

// "SYNA", "SYNB", ..., "SYNZ", "SYNAA", ...: the name of the symbol at index.
std::string SyntheticSymbolName(int index);

// Writes SYNA.csv, SYNB.csv, ... into options.output_dir: weekday bars with
// volatility clusters (GARCH(1,1)), drift regimes that switch, overnight gaps
// (occasionally large), and volume that rises with volatility. Prices are in
// cents and every row passes ParseCsv's checks. INVALID_ARGUMENT listing
// every bad option, or SYNTH_WRITE_FAILED naming the file.
absl::Status WriteSyntheticMarket(const SyntheticMarketOptions& options);

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_SYNTHETIC_MARKET_H_
