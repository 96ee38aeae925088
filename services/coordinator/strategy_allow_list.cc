#include "services/coordinator/strategy_allow_list.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/bounded_text.h"
#include "common/channel_security.h"
#include "common/stage_error.h"
#include "services/coordinator/spec.h"

namespace seed::coordinator {
namespace {

class Refused final : public StrategyStage {
 public:
  explicit Refused(const std::string& address)
      : error_(InvalidFields(
            "coordinator", "STRATEGY_NOT_ALLOWED",
            {{"strategy.address",
              absl::StrCat(
                  "'", Bounded(address),
                  "' is not a strategy service this coordinator may call: "
                  "its operator allows those of --strategy-allow=HOST:PORT"
                  "[,...] (by default loopback addresses only)")}})) {}

  absl::Status ListStrategies(const v1::ListStrategiesRequest&,
                              v1::ListStrategiesResponse*) override {
    return error_;
  }
  absl::Status StartRun(const v1::StrategyStartRequest&,
                        v1::StrategyStartResponse*) override {
    return error_;
  }
  absl::Status OnSteps(const v1::StrategyStepsRequest&,
                       v1::StrategyStepsResponse*) override {
    return error_;
  }
  // Nothing was started, so there is nothing to end.
  absl::Status EndRun(const v1::StrategyEndRequest&,
                      v1::StrategyEndResponse*) override {
    return absl::OkStatus();
  }

 private:
  const absl::Status error_;
};

}  // namespace

bool StrategyAllowed(const std::string& address,
                     const std::optional<std::vector<std::string>>& allow) {
  if (!allow.has_value()) return true;
  if (allow->empty()) return IsLoopbackAddress(address);
  return std::find(allow->begin(), allow->end(), address) != allow->end();
}

absl::StatusOr<std::vector<std::string>> ParseStrategyAllow(
    absl::string_view list) {
  std::vector<std::string> allowed;
  for (absl::string_view address :
       absl::StrSplit(list, ',', absl::SkipEmpty())) {
    if (!IsHostPort(address)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--strategy-allow: '", Bounded(address),
                       "' is not host:port, e.g. 10.0.0.5:9000"));
    }
    allowed.emplace_back(address);
  }
  return allowed;
}

std::unique_ptr<StrategyStage> RefusedStrategy(const std::string& address) {
  return std::make_unique<Refused>(address);
}

}  // namespace seed::coordinator
