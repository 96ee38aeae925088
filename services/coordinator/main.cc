// coordinator_server: the coordinator as its own process (distributed mode):
// accepts runs over gRPC and drives the five stage services at the addresses
// of its config. Flags: coordinator_server.h.
#include <string>
#include <vector>

#include "common/server.h"
#include "services/coordinator/coordinator_server.h"

int main(int argc, char** argv) {
  absl::StatusOr<seed::coordinator::CoordinatorServerOptions> options =
      seed::coordinator::ReadCoordinatorServerOptions(
          std::vector<std::string>(argv + 1, argv + argc));
  if (!options.ok()) {
    return seed::ServerUsageError("coordinator", options.status());
  }
  return seed::coordinator::ServeCoordinator(*options);
}
