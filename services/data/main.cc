// data_server: the data stage as a process, serving DataService until
// SIGINT or SIGTERM.
//   data_server [--listen=127.0.0.1:7101] [--data-roots=DIR[,DIR...]]
//               [--tls-cert=FILE --tls-key=FILE --tls-ca=FILE] [--insecure]
// --data-roots confines every file read to those directories
// (docs/security.md); the TLS flags: common/server_security.h.
#include <string>
#include <vector>

#include "common/data_roots.h"
#include "common/server.h"
#include "services/data/data_engine.h"
#include "services/data/data_service.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<seed::ServerOptions> options =
      seed::ReadServerOptions(args, "data", "127.0.0.1:7101");
  if (!options.ok()) return seed::ServerUsageError("data", options.status());
  seed::DataRoots roots;
  if (const auto list = seed::FlagValue(args, "data-roots")) {
    absl::StatusOr<seed::DataRoots> parsed = seed::DataRoots::Parse(*list);
    if (!parsed.ok()) return seed::ServerUsageError("data", parsed.status());
    roots = *std::move(parsed);
  }
  seed::data::DataEngine engine(std::move(roots));
  seed::data::DataServiceImpl service(engine);
  return seed::ServeUntilSignal("data", *options, {&service});
}
