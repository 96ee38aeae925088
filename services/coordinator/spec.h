// Backtest specs: parsing YAML (or JSON, a subset of YAML) into a
// backtest::v1::BacktestSpec, checking its structure with every problem
// reported at once by field path, filling the coordinator-level defaults, and
// the canonical form whose hash is the spec part of a run's fingerprint.
// Strategy parameters, sizing and cost models are checked by their stages.
// Thread-safe: pure functions.
#ifndef SEED_SERVICES_COORDINATOR_SPEC_H_
#define SEED_SERVICES_COORDINATOR_SPEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/spec.pb.h"

namespace seed::coordinator {

// Defaults for fields a spec may leave out. Strategy parameter defaults are
// not here: they live in each strategy's parameter schema.
inline constexpr double kDefaultInitialCash = 100000.0;
inline constexpr absl::string_view kDefaultSpecName = "backtest";
inline constexpr absl::string_view kDefaultSizingRule = "all_in";
inline constexpr absl::string_view kDefaultCostModel = "none";
inline constexpr absl::string_view kDefaultSameBarPolicy = "pessimistic";
// Market orders fill at the next bar's open (DESIGN.md section 3).
inline constexpr absl::string_view kDefaultFillTiming = "next_open";
inline constexpr int kDefaultAtrLength = 14;
inline constexpr int kDefaultVolatilityLookback = 20;
inline constexpr absl::string_view kDefaultOnBreach = "reduce";
inline constexpr absl::string_view kDefaultAccount = "cash";
// Reg T-like requirements: half of a position's value to open it, a quarter
// to keep it.
inline constexpr double kDefaultInitialMargin = 0.5;
inline constexpr double kDefaultMaintenanceMargin = 0.25;
// Enough resamples for stable 95% intervals; the seed makes them repeatable.
inline constexpr int kDefaultBootstrapResamples = 1000;
inline constexpr int kMaxBootstrapResamples = 100000;
inline constexpr uint64_t kDefaultBootstrapSeed = 42;
// A sweep ranks its points by Sharpe ratio, highest first, unless told.
inline constexpr absl::string_view kDefaultObjective = "sharpe";
inline constexpr absl::string_view kDefaultGoal = "maximize";

// Parses and checks `text`. Relative data paths are resolved against
// `base_dir` (empty: the current directory). On failure the status is
// INVALID_ARGUMENT from seed::InvalidFields listing every problem, e.g.
//   data.symbols: must list at least one symbol
//   portfolio.initial_cash: must be a number, got 'lots'
absl::StatusOr<backtest::v1::BacktestSpec> ParseSpec(absl::string_view text,
                                                     absl::string_view base_dir);

// "host:port" with a port in 1..65535 (a service address in a spec or
// config).
bool IsHostPort(absl::string_view address);

// Canonical JSON of a spec (field names as in the YAML, map keys sorted,
// every field printed): equal specs give equal text.
absl::StatusOr<std::string> CanonicalSpecJson(const backtest::v1::BacktestSpec& spec);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_SPEC_H_
