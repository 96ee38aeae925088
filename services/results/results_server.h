// The results service as a server process, for results_server (main.cc) and
// `bt serve --only=results` alike: opens the database, serves
// ResultsService with the server options, and reports NOT_SERVING on
// grpc.health.v1 while the database is unreachable (database_health.h,
// checked every few seconds; seed_results_database_up says the same).
// Thread-safe: a function.
#ifndef SEED_SERVICES_RESULTS_RESULTS_SERVER_H_
#define SEED_SERVICES_RESULTS_RESULTS_SERVER_H_

#include <string>

#include "common/server_security.h"

namespace seed::results {

// Serves until SIGINT or SIGTERM; the process's exit code: 0, or 1 with the
// reason on stderr when the database cannot be opened or a server cannot
// start. `database`: a SQLite file's path or a postgresql:// URI.
int ServeResults(const ServerOptions& options, const std::string& database);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_RESULTS_SERVER_H_
