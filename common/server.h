// Starts a gRPC server the way every service of ours runs: standard health
// checking (SERVING once the services are registered and the port is bound,
// then as the service's own health check says: common/service_health.h),
// server reflection, bounded message sizes, no port sharing (a second server
// on a used port fails to start), the security of its ServerOptions (TLS,
// tokens and roles: common/server_security.h, common/access.h), a span for
// every traced call (common/grpc_tracing.h), metrics of every call
// (common/grpc_metrics.h) served with the process's others at
// --metrics-listen (common/metrics.h), a plain-text health-only port at
// --health-listen, JSON log lines on stderr (common/logging.h), and a clean
// stop on SIGINT or SIGTERM. Also makes the channels our clients use, with
// retries of idempotent calls. Used by each service's main.cc and by
// `bt serve`.
#ifndef SEED_COMMON_SERVER_H_
#define SEED_COMMON_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/channel_security.h"
#include "common/server_security.h"
#include "common/service_health.h"
#include "grpcpp/grpcpp.h"

namespace seed {

// Largest message a service sends or accepts. Steps and bar slices are far
// smaller; this bounds memory when a peer misbehaves.
inline constexpr int kMaxMessageBytes = 64 * 1024 * 1024;

// Builds and starts a server listening on options.listen (host:port; port 0
// picks a free one, reported through *bound_port when not null).
// UNAVAILABLE "port in use" naming the address when another process holds it.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartServer(
    const ServerOptions& options, const std::vector<grpc::Service*>& services,
    int* bound_port = nullptr);

// Plain loopback, everyone allowed: for tests.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    int* bound_port = nullptr);

// A server that answers grpc.health.v1 and nothing else, in plain text on
// `address` (any address: it tells only whether the service serves), for
// probes that cannot speak TLS. Its status starts NOT_SERVING; the caller
// sets it with the main server's. UNAVAILABLE "port in use" as StartServer.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartHealthServer(
    const std::string& address, int* bound_port = nullptr);

// Blocks until SIGINT or SIGTERM.
void WaitForStopSignal();

// Reports NOT_SERVING on every server, then shuts them down gracefully.
void ShutDownServers(const std::vector<grpc::Server*>& servers);

// A service process's life: starts the server of `name` ("data", ...), its
// health-only server and its metrics endpoint when the options ask for them,
// prints "NAME service listening on HOST:PORT", how it is secured and where
// its health and metrics are, and serves until SIGINT or SIGTERM, running
// `health_check` (when set) every few seconds to decide SERVING or
// NOT_SERVING. Returns the process's exit code: 0, or 1 (with the reason on
// stderr) when a server cannot start.
int ServeUntilSignal(absl::string_view name, const ServerOptions& options,
                     const std::vector<grpc::Service*>& services,
                     HealthCheck health_check = nullptr);

// Says why the service `name` cannot start, "NAME service: MESSAGE": a JSON
// log line (event service_start_failed) when JSON logs are on
// (common/logging.h), else plain text on stderr.
void ReportStartFailure(absl::string_view name, const absl::Status& status);

// ReportStartFailure for options that cannot be used; returns exit code 2.
int ServerUsageError(absl::string_view name, const absl::Status& status);

// How often a channel retries a lost connection (a restarted service is
// reachable again within this).
inline constexpr int kReconnectBackoffMs = 1000;

// The retry policy of our channels (gRPC service config JSON): calls that
// are safe to repeat are retried on UNAVAILABLE with exponential backoff;
// the list of methods, and why each is or is not there, is in server.cc.
std::string RetryServiceConfig();

// How a channel spreads calls over the addresses its target resolves to
// (a list target "ipv4:HOST:P1,HOST:P2", or a dns:/// name of several).
enum class Balancing {
  kPickFirst,   // gRPC's default: every call to one address while it is up
  kRoundRobin,  // each new call or stream to the next ready address
};

// A channel to one of our services with the same message bounds, the retry
// policy, `security`'s credentials and `balancing`.
std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& address,
    const ChannelSecurity& security = ChannelSecurity::Plain(),
    Balancing balancing = Balancing::kPickFirst);

}  // namespace seed

#endif  // SEED_COMMON_SERVER_H_
