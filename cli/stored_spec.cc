#include "cli/stored_spec.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace seed::cli {

absl::StatusOr<backtest::v1::BacktestSpec> ParseStoredSpec(
    const std::string& canonical_json) {
  backtest::v1::BacktestSpec spec;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      canonical_json, &spec, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the stored spec cannot be read (", parsed.ToString(), ")"));
  }
  return spec;
}

std::string FillTimingText(const backtest::v1::BacktestSpec& spec) {
  const std::string& timing = spec.execution().fill_timing();
  if (timing.empty() || timing == "next_open") {
    return "next_open (market orders at the next bar's open)";
  }
  if (timing == "close") {
    return "close (market orders at the signal bar's own close: optimistic)";
  }
  if (timing == "next_close") {
    return "next_close (market orders at the next bar's close)";
  }
  return timing;
}

}  // namespace seed::cli
