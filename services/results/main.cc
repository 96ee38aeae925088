// results_server: serves the results stage over gRPC.
//   results_server [--listen=HOST:PORT] [--db=PATH|postgresql://...]
//                  [--tls-cert=FILE --tls-key=FILE --tls-ca=FILE]
//                  [--tokens=FILE] [--rate-limit=RATE[,BURST]] [--insecure]
//                  [--metrics-listen=HOST:PORT] [--health-listen=HOST:PORT]
// --db is a SQLite file's path or a PostgreSQL connection URI
// (postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE; the password is better
// given in PGPASSWORD or ~/.pgpass). It defaults to $BT_RESULTS_DB, then
// $XDG_DATA_HOME/seed-backtester/..., then
// ~/.local/share/seed-backtester/results.db. Writes are taken only from the
// coordinator's certificate or a writer token (docs/security.md). The
// service is NOT_SERVING while its database is unreachable.
#include <string>
#include <vector>

#include "common/server.h"
#include "services/results/results_server.h"
#include "services/results/run_store.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<seed::ServerOptions> options =
      seed::ReadServerOptions(args, "results", "127.0.0.1:7105");
  if (!options.ok()) return seed::ServerUsageError("results", options.status());
  return seed::results::ServeResults(
      *options, seed::FlagValue(args, "db")
                    .value_or(seed::results::DefaultDatabasePath()));
}
