// A run's trace outlives a results stage that cannot take it. When storing a
// finished run's trace fails for a reason that may pass (a full disk, a
// read-only or busy database, an unreachable results service), the wrapper
// keeps the trace in memory and answers the failure with a message that says
// so; every later StoreTrace first stores the traces kept (oldest first),
// and the wrapper tries once more when it is destroyed (the coordinator
// stopping). A run the results stage does not know (NOT_FOUND) or a
// malformed request is not kept. At most kMaxKeptTraces are kept; beyond,
// the oldest is given up with a JSON log line (event trace_lost), as is any
// still kept at destruction. Thread-safe when the inner stage is.
#ifndef SEED_SERVICES_COORDINATOR_TRACE_KEEPING_RESULTS_H_
#define SEED_SERVICES_COORDINATOR_TRACE_KEEPING_RESULTS_H_

#include <memory>

#include "services/coordinator/stages.h"

namespace seed::coordinator {

// A trace holds at most tracing::TraceRecorder::kMaxSpans spans (a few MB),
// so the traces kept cost a few tens of MB at most.
inline constexpr int kMaxKeptTraces = 8;

// `results` with StoreTrace as above; every other call passes through.
std::unique_ptr<ResultsStage> KeepUnstoredTraces(
    std::unique_ptr<ResultsStage> results);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_TRACE_KEEPING_RESULTS_H_
