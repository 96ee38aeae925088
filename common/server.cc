#include "common/server.h"

#include <csignal>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_tracing.h"
#include "common/logging.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace seed {

absl::StatusOr<std::unique_ptr<grpc::Server>> StartServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    int* bound_port) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(tracing::MakeServerTracingFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("could not listen on ", address,
                     ": the port may be in use or the address invalid"));
  }
  if (bound_port != nullptr) *bound_port = port;
  EnableJsonLogs(true);
  LogEvent(LogLevel::kInfo, "service started",
           {.extra = {{"event", "service_start"},
                      {"address", address},
                      {"port", absl::StrCat(port)}}});
  return server;
}

namespace {
volatile std::sig_atomic_t g_stop_requested = 0;
void RequestStop(int) { g_stop_requested = 1; }
}  // namespace

void WaitForShutdownSignal(const std::vector<grpc::Server*>& servers) {
  std::signal(SIGINT, RequestStop);
  std::signal(SIGTERM, RequestStop);
  while (!g_stop_requested) {
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  for (grpc::Server* server : servers) {
    server->GetHealthCheckService()->SetServingStatus(false);
  }
  const auto deadline =
      std::chrono::system_clock::now() + std::chrono::seconds(5);
  for (grpc::Server* server : servers) server->Shutdown(deadline);
  LogEvent(LogLevel::kInfo, "service stopped",
           {.extra = {{"event", "service_stop"}}});
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const std::string& service_config) {
  grpc::ChannelArguments args;
  if (!service_config.empty()) {
    args.SetServiceConfigJSON(service_config);
    args.SetInt(GRPC_ARG_SERVICE_CONFIG_DISABLE_RESOLUTION, 1);
  }
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // A call fails at once while the channel waits to reconnect, and gRPC's
  // default wait grows to two minutes: a service restarted after a crash
  // would stay unreachable that long. Retry the connection every second.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kReconnectBackoffMs);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kReconnectBackoffMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kReconnectBackoffMs);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

std::string ListenAddressFlag(int argc, char** argv,
                              const std::string& fallback) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, "--listen=")) return arg.substr(9);
    if (arg == "--listen" && i + 1 < argc) return argv[i + 1];
  }
  return fallback;
}

}  // namespace seed
