// Stage interfaces bound to the stage libraries in this process (embedded
// mode, the default of `bt run`): the same engines the gRPC services wrap, so
// the results cannot differ from a distributed run.
#ifndef SEED_SERVICES_COORDINATOR_EMBEDDED_STAGES_H_
#define SEED_SERVICES_COORDINATOR_EMBEDDED_STAGES_H_

#include <string>

#include "absl/status/statusor.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

// Creates all five stages in-process; results go to the SQLite file at
// results_database.
absl::StatusOr<Stages> MakeEmbeddedStages(const std::string& results_database);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_EMBEDDED_STAGES_H_
