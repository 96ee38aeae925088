// Stage interfaces bound to gRPC clients of separately running services
// (distributed mode). Every call carries a deadline; transport failures come
// back as stage errors naming the service and its address. A run's calls to
// the strategy, portfolio and execution stages go over one session per run
// and stage (stage_session.h), spread over the replicas an address resolves
// to (e.g. "ipv4:127.0.0.1:7201,127.0.0.1:7202" or a headless Service's
// "dns:///execution.seed.svc.cluster.local:7104"); a plug-in strategy
// (strategy.address) is called with the unary rpcs.
#ifndef SEED_SERVICES_COORDINATOR_REMOTE_STAGES_H_
#define SEED_SERVICES_COORDINATOR_REMOTE_STAGES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/channel_security.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

struct ServiceAddresses {
  std::string data = "127.0.0.1:7101";
  std::string strategy = "127.0.0.1:7102";
  std::string portfolio = "127.0.0.1:7103";
  std::string execution = "127.0.0.1:7104";
  std::string results = "127.0.0.1:7105";
  std::string coordinator = "127.0.0.1:7100";
};

struct RemoteOptions {
  // Per-step calls are small; a stage that takes longer than this on one step
  // is stuck, and the run fails naming it rather than hanging.
  absl::Duration step_deadline = absl::Seconds(30);
  // Loading and validating files, or writing a run's records, may take longer.
  absl::Duration bulk_deadline = absl::Seconds(300);
  // Credentials of every channel: TLS and the coordinator's client
  // certificate, or a client's bearer token (common/channel_security.h).
  ChannelSecurity security;
  // The strategy services a spec may name in strategy.address
  // (strategy_allow_list.h): unset, any; empty, loopback only.
  std::optional<std::vector<std::string>> strategy_allow;
};

Stages MakeRemoteStages(const ServiceAddresses& addresses,
                        const RemoteOptions& options = {});

// A strategy service at `address` (a plug-in named by strategy.address),
// not checked against options.strategy_allow.
std::unique_ptr<StrategyStage> MakeRemoteStrategy(
    const std::string& address, const RemoteOptions& options = {});

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_REMOTE_STAGES_H_
