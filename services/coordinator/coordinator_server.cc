#include "services/coordinator/coordinator_server.h"

#include <malloc.h>

#include "absl/strings/str_cat.h"
#include "common/server.h"
#include "services/coordinator/coordinator_service.h"
#include "services/coordinator/run_manager.h"
#include "services/coordinator/services_config.h"
#include "services/coordinator/strategy_allow_list.h"

namespace seed::coordinator {

// Allocations at least this large are mapped on their own.
constexpr int kMmapThresholdBytes = 256 * 1024;

absl::StatusOr<CoordinatorServerOptions> ReadCoordinatorServerOptions(
    const std::vector<std::string>& args) {
  CoordinatorServerOptions options;
  if (const auto config = FlagValue(args, "config")) {
    absl::StatusOr<ServiceAddresses> loaded = LoadServiceAddresses(*config);
    if (!loaded.ok()) return loaded.status();
    options.addresses = *loaded;
  }
  ApplyAddressFlags(args, &options.addresses);
  absl::StatusOr<ServerOptions> server =
      ReadServerOptions(args, "coordinator", options.addresses.coordinator);
  if (!server.ok()) return server.status();
  options.server = *std::move(server);
  absl::StatusOr<ChannelSecurity> outgoing = OutgoingSecurity(options.server);
  if (!outgoing.ok()) return outgoing.status();
  options.remote.security = *std::move(outgoing);
  if (const auto deadline = FlagValue(args, "step-deadline")) {
    if (!absl::ParseDuration(*deadline, &options.remote.step_deadline) ||
        options.remote.step_deadline <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--step-deadline must be a positive duration like 30s "
                       "or 500ms, got \"",
                       *deadline, "\""));
    }
  }
  if (const auto lease = FlagValue(args, "run-lease")) {
    if (!absl::ParseDuration(*lease, &options.run.lease) ||
        options.run.lease < absl::Seconds(1) ||
        options.run.lease > absl::Hours(24)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--run-lease must be a duration from 1s to 24h, like "
                       "60s or 5m, got \"",
                       *lease, "\""));
    }
  }
  options.run.otlp_endpoint = FlagValue(args, "otlp-endpoint").value_or("");
  options.run.results_address = options.addresses.results;
  absl::StatusOr<std::vector<std::string>> allow =
      ParseStrategyAllow(FlagValue(args, "strategy-allow").value_or(""));
  if (!allow.ok()) return allow.status();
  options.remote.strategy_allow = *std::move(allow);
  if (const auto roots = FlagValue(args, "data-roots")) {
    absl::StatusOr<DataRoots> parsed = DataRoots::Parse(*roots);
    if (!parsed.ok()) return parsed.status();
    options.data_roots = *std::move(parsed);
  }
  return options;
}

int ServeCoordinator(const CoordinatorServerOptions& options) {
  // A fixed threshold: glibc otherwise raises it to the largest block freed
  // (up to 32 MiB), after which a run's record batches and bars come from
  // the heap and a burst of runs leaves it fragmented; mapped blocks go back
  // to the system as soon as they are freed (tests/drills/load_drill_test).
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  RunManager runs(MakeRemoteStages(options.addresses, options.remote),
                  options.run);
  CoordinatorServiceImpl service(runs, options.server.access,
                                 options.data_roots);
  return ServeUntilSignal("coordinator", options.server, {&service});
}

}  // namespace seed::coordinator
