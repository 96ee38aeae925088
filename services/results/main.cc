// results_server: serves the results stage over gRPC.
//   results_server [--listen=HOST:PORT] [--db=PATH|postgresql://...]
// --db is a SQLite file's path or a PostgreSQL connection URI
// (postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE; the password is better
// given in PGPASSWORD or ~/.pgpass). It defaults to $BT_RESULTS_DB, then
// $XDG_DATA_HOME/seed-backtester/..., then
// ~/.local/share/seed-backtester/results.db.
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "common/server.h"
#include "services/results/results_engine.h"
#include "services/results/results_service.h"

namespace {

constexpr char kDefaultListenAddress[] = "127.0.0.1:7105";

std::string DatabaseFlag(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, "--db=")) return arg.substr(5);
    if (arg == "--db" && i + 1 < argc) return argv[i + 1];
  }
  return seed::results::DefaultDatabasePath();
}

}  // namespace

int main(int argc, char** argv) {
  absl::StatusOr<std::unique_ptr<seed::results::ResultsEngine>> engine =
      seed::results::ResultsEngine::Open(DatabaseFlag(argc, argv));
  if (!engine.ok()) {
    std::cerr << "results: " << engine.status().message() << std::endl;
    return 1;
  }
  std::cout << "results database " << (*engine)->database_path() << std::endl;
  seed::results::ResultsServiceImpl service(**engine);
  const std::string address =
      seed::ListenAddressFlag(argc, argv, kDefaultListenAddress);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      seed::StartServer(address, {&service}, &port);
  if (!server.ok()) {
    std::cerr << "results: " << server.status().message() << std::endl;
    return 1;
  }
  // Names the bound port, which differs from the flag's when it asked for 0.
  std::cout << "results service listening on "
            << address.substr(0, address.rfind(':') + 1) << port << std::endl;
  seed::WaitForShutdownSignal({server->get()});
  return 0;
}
