// The data service as a server process, for data_server (main.cc) and
// `bt serve --only=data` alike: serves DataService over its data roots and
// reports NOT_SERVING on grpc.health.v1 while a root cannot be read
// (DataRoots::CheckReadable, every few seconds). Thread-safe: a function.
#ifndef SEED_SERVICES_DATA_DATA_SERVER_H_
#define SEED_SERVICES_DATA_DATA_SERVER_H_

#include <string>
#include <vector>

#include "common/data_roots.h"
#include "common/server_security.h"

namespace seed::data {

// --data-roots from `args`: unconfined when absent.
absl::StatusOr<DataRoots> ReadDataRoots(const std::vector<std::string>& args);

// Serves until SIGINT or SIGTERM; the process's exit code (0, or 1 with the
// reason on stderr when a server cannot start).
int ServeData(const ServerOptions& options, DataRoots roots);

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_DATA_SERVER_H_
