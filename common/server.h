// Starts a gRPC server the way every service of ours runs: standard health
// checking (SERVING once the services are registered and the port is bound),
// server reflection, bounded message sizes, a span for every traced call
// (common/grpc_tracing.h), JSON log lines on stderr (common/logging.h), and a
// clean stop on SIGINT or SIGTERM. Used by each service's main.cc and by
// `bt serve`.
#ifndef SEED_COMMON_SERVER_H_
#define SEED_COMMON_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace seed {

// Largest message a service sends or accepts. Steps and bar slices are far
// smaller; this bounds memory when a peer misbehaves.
inline constexpr int kMaxMessageBytes = 64 * 1024 * 1024;

// Builds and starts a server listening on `address` (host:port; port 0 picks a
// free one, reported through *bound_port when not null).
absl::StatusOr<std::unique_ptr<grpc::Server>> StartServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    int* bound_port = nullptr);

// Blocks until SIGINT or SIGTERM, then shuts the servers down gracefully.
void WaitForShutdownSignal(const std::vector<grpc::Server*>& servers);

// How often a channel retries a lost connection (a restarted service is
// reachable again within this).
inline constexpr int kReconnectBackoffMs = 1000;

// A channel to one of our services with the same message bounds.
// `service_config`: a gRPC service config (JSON) the channel uses instead of
// any the name resolver might find, e.g. to choose round_robin; empty: gRPC's
// defaults (pick_first).
std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& address, const std::string& service_config = "");

// Parses "--listen=ADDR" (or "--listen ADDR") from argv; `fallback` otherwise.
std::string ListenAddressFlag(int argc, char** argv,
                              const std::string& fallback);

}  // namespace seed

#endif  // SEED_COMMON_SERVER_H_
