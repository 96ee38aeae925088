// portfolio_server: the portfolio stage as a gRPC process for distributed runs,
// serving until SIGINT or SIGTERM.
//   portfolio_server [--listen=127.0.0.1:7103]
//                    [--tls-cert=FILE --tls-key=FILE --tls-ca=FILE]
//                    [--insecure]
// Each stage has its own default port so that all can run on one machine;
// the TLS flags: common/server_security.h.
#include <string>
#include <vector>

#include "common/server.h"
#include "services/portfolio/portfolio_engine.h"
#include "services/portfolio/portfolio_service.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<seed::ServerOptions> options =
      seed::ReadServerOptions(args, "portfolio", "127.0.0.1:7103");
  if (!options.ok())
    return seed::ServerUsageError("portfolio", options.status());
  seed::portfolio::PortfolioEngine engine;
  seed::portfolio::PortfolioServiceImpl service(engine);
  return seed::ServeUntilSignal("portfolio", *options, {&service});
}
