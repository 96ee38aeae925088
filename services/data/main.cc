// The data stage as a process: serves DataService on --listen (default
// 127.0.0.1:7101) until SIGINT or SIGTERM.
#include <iostream>
#include <memory>
#include <string>

#include "common/server.h"
#include "services/data/data_engine.h"
#include "services/data/data_service.h"

int main(int argc, char** argv) {
  const std::string address =
      seed::ListenAddressFlag(argc, argv, "127.0.0.1:7101");
  seed::data::DataEngine engine;
  seed::data::DataServiceImpl service(engine);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      seed::StartServer(address, {&service}, &port);
  if (!server.ok()) {
    std::cerr << "data service: " << server.status().message() << std::endl;
    return 1;
  }
  // The bound port, so "--listen=127.0.0.1:0" reports the port it picked.
  std::cout << "data service listening on "
            << address.substr(0, address.rfind(':')) << ":" << port
            << std::endl;
  seed::WaitForShutdownSignal({server->get()});
  return 0;
}
