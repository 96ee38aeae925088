// The coordinator as its own process (distributed mode): accepts runs over
// gRPC and drives the five stage services at the addresses of its config.
//   coordinator_server [--listen=ADDR] [--config=FILE] [--data=ADDR ...]
//                      [--otlp-endpoint=URL]  (also export every run's trace)
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/server.h"
#include "services/coordinator/coordinator_service.h"
#include "services/coordinator/remote_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/coordinator/services_config.h"

int main(int argc, char** argv) {
  using namespace seed::coordinator;
  ServiceAddresses addresses;
  RunOptions options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (absl::StartsWith(arg, "--otlp-endpoint=")) {
      options.otlp_endpoint = arg.substr(16);
    }
    if (absl::StartsWith(arg, "--config=")) {
      auto loaded = LoadServiceAddresses(arg.substr(9));
      if (!loaded.ok()) {
        std::cerr << loaded.status().message() << "\n";
        return 2;
      }
      addresses = *loaded;
    }
  }
  ApplyAddressFlags(args, &addresses);
  const std::string listen =
      seed::ListenAddressFlag(argc, argv, addresses.coordinator);

  RunManager runs(MakeRemoteStages(addresses), options);
  CoordinatorServiceImpl service(runs);
  int port = 0;
  auto server = seed::StartServer(listen, {&service}, &port);
  if (!server.ok()) {
    std::cerr << server.status().message() << "\n";
    return 1;
  }
  std::cout << "coordinator service listening on "
            << listen.substr(0, listen.rfind(':')) << ":" << port << std::endl;
  seed::WaitForShutdownSignal({server->get()});
  return 0;
}
