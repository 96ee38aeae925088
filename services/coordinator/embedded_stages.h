// Stage interfaces bound to the stage libraries in this process (embedded
// mode, the default of `bt run`): the same engines the gRPC services wrap, so
// the results cannot differ from a distributed run.
#ifndef SEED_SERVICES_COORDINATOR_EMBEDDED_STAGES_H_
#define SEED_SERVICES_COORDINATOR_EMBEDDED_STAGES_H_

#include <string>

#include "absl/status/statusor.h"
#include "services/coordinator/remote_stages.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

// Creates the five stages in-process; results go to the database at
// results_database (a SQLite file or a postgresql:// URI; empty: no results
// stage, for a caller that sets one of its own). A spec's own strategy
// service (strategy.address) is called with plugin_options' deadlines.
absl::StatusOr<Stages> MakeEmbeddedStages(
    const std::string& results_database,
    const RemoteOptions& plugin_options = {});

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_EMBEDDED_STAGES_H_
