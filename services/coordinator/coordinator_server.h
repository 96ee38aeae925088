// The coordinator as a server process, read from its flags once for both
// coordinator_server (main.cc) and `bt serve --only=coordinator`:
//   --config=FILE --data=ADDR ... --coordinator=ADDR   where the services are
//   --listen=ADDR, TLS, tokens, rate limit, --insecure (server_security.h)
//   --step-deadline=DURATION   --otlp-endpoint=URL
//   --data-roots=DIR[,DIR...]  data paths a spec may name (checked by name
//                              here, for real by the data service)
//   --strategy-allow=HOST:PORT[,...]  plug-in strategy services a spec may
//                              name (default: loopback addresses only)
// Its calls to the stages use its own TLS files: its certificate is the
// client identity the stages accept. Thread-safe: values and one function.
#ifndef SEED_SERVICES_COORDINATOR_COORDINATOR_SERVER_H_
#define SEED_SERVICES_COORDINATOR_COORDINATOR_SERVER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/data_roots.h"
#include "common/server_security.h"
#include "services/coordinator/remote_stages.h"
#include "services/coordinator/run.h"

namespace seed::coordinator {

struct CoordinatorServerOptions {
  ServerOptions server;
  ServiceAddresses addresses;
  RemoteOptions remote;
  RunOptions run;
  DataRoots data_roots;
};

absl::StatusOr<CoordinatorServerOptions> ReadCoordinatorServerOptions(
    const std::vector<std::string>& args);

// Serves CoordinatorService until SIGINT or SIGTERM; the exit code.
int ServeCoordinator(const CoordinatorServerOptions& options);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_COORDINATOR_SERVER_H_
