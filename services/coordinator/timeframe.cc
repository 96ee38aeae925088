#include "services/coordinator/timeframe.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/time.h"

namespace seed::coordinator {
namespace {

constexpr int64_t kSecondsPerMinute = 60;
constexpr int64_t kSecondsPerHour = 3600;
constexpr absl::string_view kAllowed =
    "use <n>m with n dividing 1440 (e.g. 5m, 15m, 30m), <n>h with n in 1, 2, "
    "3, 4, 6, 8, 12, or 1d";

}  // namespace

absl::StatusOr<int64_t> TimeframeSeconds(absl::string_view name) {
  const auto refuse = [name](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeframe '", name, "' ", why, "; ", kAllowed));
  };
  if (name == "1d") return kSecondsPerDay;
  if (name.size() < 2) return refuse("is not <n>m, <n>h or 1d");
  const char unit = name.back();
  const absl::string_view digits = name.substr(0, name.size() - 1);
  int64_t count = 0;
  if ((unit != 'm' && unit != 'h') ||
      !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(digits, &count)) {
    return refuse("is not <n>m, <n>h or 1d");
  }
  const int64_t unit_seconds =
      unit == 'm' ? kSecondsPerMinute : kSecondsPerHour;
  // Compared before multiplying, so no count can overflow.
  if (count <= 0 || count >= kSecondsPerDay / unit_seconds) {
    return refuse(
        "is not more than zero and less than a day (for a day, use 1d)");
  }
  const int64_t seconds = count * unit_seconds;
  if (kSecondsPerDay % seconds != 0) {
    return refuse(
        "does not divide a day, so its bars would not align to "
        "midnight");
  }
  return seconds;
}

void AddTimeframes(const google::protobuf::RepeatedPtrField<std::string>& names,
                   absl::string_view strategy_path,
                   std::vector<Timeframe>& timeframes,
                   std::vector<FieldProblem>& problems) {
  for (int i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    const absl::StatusOr<int64_t> seconds = TimeframeSeconds(name);
    if (!seconds.ok()) {
      problems.push_back({absl::StrCat(strategy_path, ".timeframes[", i, "]"),
                          std::string(seconds.status().message())});
      continue;
    }
    const bool known =
        std::any_of(timeframes.begin(), timeframes.end(),
                    [&](const Timeframe& t) { return t.name == name; });
    if (!known) timeframes.push_back({name, *seconds});
  }
}

}  // namespace seed::coordinator
