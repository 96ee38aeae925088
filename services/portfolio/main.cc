// portfolio_server: the portfolio stage as a gRPC process for distributed
// runs. Usage: portfolio_server [--listen=127.0.0.1:7103]
#include <iostream>
#include <memory>
#include <string>

#include "common/server.h"
#include "services/portfolio/portfolio_engine.h"
#include "services/portfolio/portfolio_service.h"

namespace {

// Each stage has its own default port so that all can run on one machine.
constexpr char kDefaultListenAddress[] = "127.0.0.1:7103";

}  // namespace

int main(int argc, char** argv) {
  const std::string address =
      seed::ListenAddressFlag(argc, argv, kDefaultListenAddress);
  seed::portfolio::PortfolioEngine engine;
  seed::portfolio::PortfolioServiceImpl service(engine);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      seed::StartServer(address, {&service}, &port);
  if (!server.ok()) {
    std::cerr << "portfolio service: " << server.status().message() << "\n";
    return 1;
  }
  // Report the bound port: with --listen=HOST:0 the system picks it.
  std::cout << "portfolio service listening on "
            << address.substr(0, address.rfind(':') + 1) << port << std::endl;
  seed::WaitForShutdownSignal({server->get()});
  return 0;
}
