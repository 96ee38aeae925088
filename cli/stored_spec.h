// A stored run's or job's spec read back from its canonical JSON (the
// fingerprint's text, every default filled in), for the commands that
// explain a run from what is stored, and how its fills were timed in words.
#ifndef SEED_CLI_STORED_SPEC_H_
#define SEED_CLI_STORED_SPEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "backtest/v1/spec.pb.h"

namespace seed::cli {

// The spec, or INVALID_ARGUMENT saying why the text cannot be read (fields
// a newer engine added are skipped).
absl::StatusOr<backtest::v1::BacktestSpec> ParseStoredSpec(
    const std::string& canonical_json);

// execution.fill_timing with what it means, e.g. "close (the signal bar's
// own close: optimistic)"; next_open when unset.
std::string FillTimingText(const backtest::v1::BacktestSpec& spec);

}  // namespace seed::cli

#endif  // SEED_CLI_STORED_SPEC_H_
