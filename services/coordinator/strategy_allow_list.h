// Which strategy services a spec may name in strategy.address: a coordinator
// server calls only those of its --strategy-allow list (default: loopback
// addresses, so local plug-ins keep working), never any host:port a client
// asks for. A refused address becomes a strategy stage whose StartRun fails
// INVALID_ARGUMENT naming the field and the flag, so the spec is refused at
// validation with its other problems. Thread-safe: pure functions.
#ifndef SEED_SERVICES_COORDINATOR_STRATEGY_ALLOW_LIST_H_
#define SEED_SERVICES_COORDINATOR_STRATEGY_ALLOW_LIST_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

// `allow` unset: any address (bt's own runs on the user's machine); empty:
// loopback addresses only; else exactly the listed host:port values.
bool StrategyAllowed(const std::string& address,
                     const std::optional<std::vector<std::string>>& allow);

// Parses --strategy-allow=HOST:PORT[,...] (INVALID_ARGUMENT naming a value
// that is not host:port).
absl::StatusOr<std::vector<std::string>> ParseStrategyAllow(
    absl::string_view list);

// A stand-in for a strategy service at `address` that is not allowed.
std::unique_ptr<StrategyStage> RefusedStrategy(const std::string& address);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_STRATEGY_ALLOW_LIST_H_
