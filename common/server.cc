#include "common/server.h"

#include <time.h>

#include <csignal>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/grpc_metrics.h"
#include "common/grpc_tracing.h"
#include "common/listen_address.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace seed {
namespace {

// Methods retried on UNAVAILABLE (the call did not reach a server, or the
// server was going away): only those that are safe to repeat.
//   DataService.ReadBars, ReadMetadata, ValidateFiles: reads.
//     Not OpenDataset (each call opens another dataset) nor CloseDataset (a
//     repeat after a lost answer fails UNKNOWN_DATASET).
//   StrategyService.ListStrategies: a read. Not StartRun, OnSteps, EndRun:
//     per-run state that a repeat would advance twice.
//   PortfolioService, ExecutionService: nothing; every call moves a run on.
//   ResultsService.ListRuns, GetRun, GetTrace: reads. StoreTrace: storing
//     replaces, so a repeat stores the same trace. Not BeginRun (a repeat
//     fails "already stored"), AppendRecords (would store records twice),
//     FinishRun (a repeat fails "already finished").
//   CoordinatorService.ValidateSpec: pure. WatchRun: a read (retried only
//     until its first message). CancelRun: cancelling twice is cancelling
//     once. Not SubmitRun: a repeat would start a second run.
//   grpc.health.v1.Health.Check: a read.
constexpr char kRetriedMethods[] = R"json(
  {"service": "backtest.v1.DataService", "method": "ReadBars"},
  {"service": "backtest.v1.DataService", "method": "ReadMetadata"},
  {"service": "backtest.v1.DataService", "method": "ValidateFiles"},
  {"service": "backtest.v1.StrategyService", "method": "ListStrategies"},
  {"service": "backtest.v1.ResultsService", "method": "ListRuns"},
  {"service": "backtest.v1.ResultsService", "method": "GetRun"},
  {"service": "backtest.v1.ResultsService", "method": "GetTrace"},
  {"service": "backtest.v1.ResultsService", "method": "StoreTrace"},
  {"service": "backtest.v1.CoordinatorService", "method": "ValidateSpec"},
  {"service": "backtest.v1.CoordinatorService", "method": "WatchRun"},
  {"service": "backtest.v1.CoordinatorService", "method": "CancelRun"},
  {"service": "grpc.health.v1.Health", "method": "Check"}
)json";

// 5 attempts (gRPC's cap) 0.2, 0.4, 0.8, 1.6 s apart (+-20% jitter): a
// service that restarts within about 3 s is not noticed by these calls.
constexpr char kRetryPolicy[] = R"json(
  "retryPolicy": {
    "maxAttempts": 5,
    "initialBackoff": "0.2s",
    "maxBackoff": "2s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"]
  }
)json";

// The retry policy as a service config's methodConfig entry.
std::string RetryMethodConfig() {
  return absl::StrCat(R"json("methodConfig": [{"name": [)json", kRetriedMethods,
                      "],", kRetryPolicy, "}]");
}

}  // namespace

std::string RetryServiceConfig() {
  return absl::StrCat("{", RetryMethodConfig(), "}");
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartServer(
    const ServerOptions& options, const std::vector<grpc::Service*>& services,
    int* bound_port) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, ServerCredentialsFor(options),
                           &port);
  // gRPC shares ports by default (SO_REUSEPORT): a second server on a used
  // port would start and take half the calls.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(tracing::MakeServerTracingFactory());
  interceptors.push_back(
      metrics::MakeServerMetricsFactory(*metrics::ProcessRegistry()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    if (PortInUse(options.listen)) {
      return absl::UnavailableError(absl::StrCat(
          "could not listen on ", options.listen,
          ": port in use (another process listens there; stop it or choose "
          "another --listen)"));
    }
    return absl::UnavailableError(
        absl::StrCat("could not listen on ", options.listen,
                     ": the address is invalid or not this machine's"));
  }
  if (bound_port != nullptr) *bound_port = port;
  EnableJsonLogs(true);
  LogEvent(LogLevel::kInfo, "service started",
           {.extra = {{"event", "service_start"},
                      {"address", options.listen},
                      {"port", absl::StrCat(port)},
                      {"security", SecurityNotice(options)}}});
  return server;
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    int* bound_port) {
  ServerOptions options;
  options.listen = address;
  return StartServer(options, services, bound_port);
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartHealthServer(
    const std::string& address, int* bound_port) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  // Plain text on purpose: the kubelet's gRPC probes speak nothing else,
  // and health checks are open to every caller on the main port too.
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "could not listen for health checks on ", address,
        PortInUse(address) ? ": port in use (another process listens there; "
                             "stop it or choose another --health-listen)"
                           : ": the address is invalid or not this machine's"));
  }
  server->GetHealthCheckService()->SetServingStatus(false);
  if (bound_port != nullptr) *bound_port = port;
  return server;
}

namespace {
volatile std::sig_atomic_t g_stop_requested = 0;
void RequestStop(int) { g_stop_requested = 1; }

// "HOST:PORT" with the port a server actually bound (port 0 picks one).
std::string BoundAddress(const std::string& address, int port) {
  return absl::StrCat(address.substr(0, address.rfind(':')), ":", port);
}
}  // namespace

void WaitForStopSignal() {
  std::signal(SIGINT, RequestStop);
  std::signal(SIGTERM, RequestStop);
  while (!g_stop_requested) {
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
}

void ShutDownServers(const std::vector<grpc::Server*>& servers) {
  for (grpc::Server* server : servers) {
    server->GetHealthCheckService()->SetServingStatus(false);
  }
  const auto deadline =
      std::chrono::system_clock::now() + std::chrono::seconds(5);
  for (grpc::Server* server : servers) server->Shutdown(deadline);
  LogEvent(LogLevel::kInfo, "service stopped",
           {.extra = {{"event", "service_stop"}}});
}

int ServeUntilSignal(absl::string_view name, const ServerOptions& options,
                     const std::vector<grpc::Service*>& services,
                     HealthCheck health_check) {
  const auto fail = [name](const absl::Status& status) {
    ReportStartFailure(name, status);
    return 1;
  };
  // The health-only server first: the reflection service StartServer turns
  // on would join every server built after it, and this port serves
  // grpc.health.v1 alone.
  std::unique_ptr<grpc::Server> health_server;
  int health_port = 0;
  if (!options.health_listen.empty()) {
    absl::StatusOr<std::unique_ptr<grpc::Server>> started =
        StartHealthServer(options.health_listen, &health_port);
    if (!started.ok()) return fail(started.status());
    health_server = *std::move(started);
  }
  std::unique_ptr<metrics::MetricsEndpoint> metrics_endpoint;
  if (!options.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<metrics::MetricsEndpoint>> started =
        metrics::MetricsEndpoint::Start(options.metrics_listen);
    if (!started.ok()) return fail(started.status());
    metrics_endpoint = *std::move(started);
  }
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartServer(options, services, &port);
  if (!server.ok()) return fail(server.status());
  std::vector<grpc::Server*> servers = {server->get()};
  if (health_server != nullptr) {
    health_server->GetHealthCheckService()->SetServingStatus(true);
    servers.push_back(health_server.get());
  }
  // The bound ports, so "--listen=127.0.0.1:0" reports the port it picked.
  std::cout << name << " service listening on "
            << BoundAddress(options.listen, port) << "\n"
            << name << " service: " << SecurityNotice(options) << std::endl;
  if (health_server != nullptr) {
    std::cout << name << " service health checks (grpc.health.v1 only, plain "
              << "text) on " << BoundAddress(options.health_listen, health_port)
              << std::endl;
  }
  if (metrics_endpoint != nullptr) {
    std::cout << name << " service metrics on http://"
              << BoundAddress(options.metrics_listen, metrics_endpoint->port())
              << "/metrics" << std::endl;
  }
  {
    std::unique_ptr<HealthMonitor> monitor;
    if (health_check) {
      monitor = std::make_unique<HealthMonitor>(
          std::string(name), std::move(health_check), servers);
    }
    WaitForStopSignal();
  }  // the monitor stops before the servers report NOT_SERVING for good
  ShutDownServers(servers);
  return 0;
}

void ReportStartFailure(absl::string_view name, const absl::Status& status) {
  const std::string message =
      absl::StrCat(name, " service: ", status.message());
  if (!JsonLogsEnabled()) {
    std::cerr << message << std::endl;
    return;
  }
  LogEvent(LogLevel::kError, message,
           {.extra = {{"event", "service_start_failed"},
                      {"service", std::string(name)}}});
}

int ServerUsageError(absl::string_view name, const absl::Status& status) {
  ReportStartFailure(name, status);
  return 2;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const ChannelSecurity& security,
                                           Balancing balancing) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // A call fails at once while the channel waits to reconnect, and gRPC's
  // default wait grows to two minutes: a service restarted after a crash
  // would stay unreachable that long. Retry the connection every second.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kReconnectBackoffMs);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kReconnectBackoffMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kReconnectBackoffMs);
  args.SetServiceConfigJSON(
      balancing == Balancing::kRoundRobin
          ? absl::StrCat(
                R"json({"loadBalancingConfig": [{"round_robin": {}}],)json",
                RetryMethodConfig(), "}")
          : RetryServiceConfig());
  // Ours holds even if a name's DNS records carried a service config.
  args.SetInt(GRPC_ARG_SERVICE_CONFIG_DISABLE_RESOLUTION, 1);
  return grpc::CreateCustomChannel(
      address, ChannelCredentialsFor(address, security), args);
}

}  // namespace seed
