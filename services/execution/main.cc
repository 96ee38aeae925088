// execution_server: the execution stage as a gRPC process for distributed runs,
// serving until SIGINT or SIGTERM.
//   execution_server [--listen=127.0.0.1:7104]
//                    [--tls-cert=FILE --tls-key=FILE --tls-ca=FILE]
//                    [--insecure]
// Each stage has its own default port so that all can run on one machine;
// the TLS flags: common/server_security.h.
#include <string>
#include <vector>

#include "common/server.h"
#include "services/execution/execution_engine.h"
#include "services/execution/execution_service.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<seed::ServerOptions> options =
      seed::ReadServerOptions(args, "execution", "127.0.0.1:7104");
  if (!options.ok())
    return seed::ServerUsageError("execution", options.status());
  seed::execution::ExecutionEngine engine;
  seed::execution::ExecutionServiceImpl service(engine);
  return seed::ServeUntilSignal("execution", *options, {&service});
}
