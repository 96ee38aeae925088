// execution_server: the execution stage as a gRPC process for distributed
// runs. Usage: execution_server [--listen=127.0.0.1:7104]
#include <iostream>
#include <memory>
#include <string>

#include "common/server.h"
#include "services/execution/execution_engine.h"
#include "services/execution/execution_service.h"

namespace {

// Each stage has its own default port so that all can run on one machine.
constexpr char kDefaultListenAddress[] = "127.0.0.1:7104";

}  // namespace

int main(int argc, char** argv) {
  const std::string address =
      seed::ListenAddressFlag(argc, argv, kDefaultListenAddress);
  seed::execution::ExecutionEngine engine;
  seed::execution::ExecutionServiceImpl service(engine);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      seed::StartServer(address, {&service}, &port);
  if (!server.ok()) {
    std::cerr << "execution service: " << server.status().message() << "\n";
    return 1;
  }
  // Report the bound port: with --listen=HOST:0 the system picks it.
  std::cout << "execution service listening on "
            << address.substr(0, address.rfind(':') + 1) << port << std::endl;
  seed::WaitForShutdownSignal({server->get()});
  return 0;
}
