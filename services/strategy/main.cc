// strategy_server: the strategy stage as its own process.
//   strategy_server [--listen=127.0.0.1:7102]
#include <iostream>
#include <memory>
#include <string>

#include "common/server.h"
#include "services/strategy/strategy_engine.h"
#include "services/strategy/strategy_service.h"

namespace {
constexpr char kDefaultListen[] = "127.0.0.1:7102";
}  // namespace

int main(int argc, char** argv) {
  const std::string address =
      seed::ListenAddressFlag(argc, argv, kDefaultListen);
  seed::strategy::StrategyEngine engine;
  seed::strategy::StrategyServiceImpl service(engine);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      seed::StartServer(address, {&service}, &port);
  if (!server.ok()) {
    std::cerr << "strategy service: " << server.status().message() << "\n";
    return 1;
  }
  // Report the bound port so a caller that asked for port 0 can find us.
  const std::string host = address.substr(0, address.rfind(':'));
  std::cout << "strategy service listening on " << host << ":" << port
            << std::endl;
  seed::WaitForShutdownSignal({server->get()});
  return 0;
}
