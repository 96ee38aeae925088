// strategy_server: the strategy stage as a gRPC process for distributed runs,
// serving until SIGINT or SIGTERM.
//   strategy_server [--listen=127.0.0.1:7102]
//                    [--tls-cert=FILE --tls-key=FILE --tls-ca=FILE]
//                    [--insecure]
// Each stage has its own default port so that all can run on one machine;
// the TLS flags: common/server_security.h.
#include <string>
#include <vector>

#include "common/server.h"
#include "services/strategy/strategy_engine.h"
#include "services/strategy/strategy_service.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<seed::ServerOptions> options =
      seed::ReadServerOptions(args, "strategy", "127.0.0.1:7102");
  if (!options.ok())
    return seed::ServerUsageError("strategy", options.status());
  seed::strategy::StrategyEngine engine;
  seed::strategy::StrategyServiceImpl service(engine);
  return seed::ServeUntilSignal("strategy", *options, {&service});
}
