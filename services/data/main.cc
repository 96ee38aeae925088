// data_server: the data stage as a process, serving DataService until
// SIGINT or SIGTERM.
//   data_server [--listen=127.0.0.1:7101] [--data-roots=DIR[,DIR...]]
//               [--tls-cert=FILE --tls-key=FILE --tls-ca=FILE] [--insecure]
//               [--metrics-listen=HOST:PORT] [--health-listen=HOST:PORT]
// --data-roots confines every file read to those directories
// (docs/security.md), and the service is NOT_SERVING while one cannot be
// read; the other flags: common/server_security.h.
#include <string>
#include <vector>

#include "common/server.h"
#include "services/data/data_server.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<seed::ServerOptions> options =
      seed::ReadServerOptions(args, "data", "127.0.0.1:7101");
  if (!options.ok()) return seed::ServerUsageError("data", options.status());
  absl::StatusOr<seed::DataRoots> roots = seed::data::ReadDataRoots(args);
  if (!roots.ok()) return seed::ServerUsageError("data", roots.status());
  return seed::data::ServeData(*options, *std::move(roots));
}
