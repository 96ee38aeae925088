// A run's end outlives a results stage that cannot take it. When storing a
// finished run's outcome (FinishRun) or its trace (StoreTrace) fails for a
// reason that may pass (a read-only or busy database, an unreachable results
// service), the wrapper keeps the request in memory and answers the failure
// with a message that says so. What is kept is stored again, oldest first,
// outcomes before traces: before every later FinishRun and StoreTrace, every
// few seconds in the background, and once more when the wrapper is destroyed
// (the coordinator stopping). So a run whose results service was down when
// it ended is stored as it ended once the service is back, rather than stay
// RUNNING until its lease runs out.
//
// Not kept: a run the results stage does not know (NOT_FOUND), a malformed
// request, a run that has ended already (an ABANDONED one), and a trace that
// failed because the results database's disk is full (RESOURCE_EXHAUSTED):
// a trace is the largest write of a run, and storing it later would fill the
// disk again; the run's notice says it was not kept. At most
// kMaxKeptOutcomes outcomes and kMaxKeptTraces traces are kept; beyond, the
// oldest is given up with a JSON log line (event outcome_lost or
// trace_lost), as is any still kept at destruction. Thread-safe when the
// inner stage is.
#ifndef SEED_SERVICES_COORDINATOR_TRACE_KEEPING_RESULTS_H_
#define SEED_SERVICES_COORDINATOR_TRACE_KEEPING_RESULTS_H_

#include <memory>

#include "absl/time/time.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

// A trace holds at most tracing::TraceRecorder::kMaxSpans spans (a few MB),
// so the traces kept cost a few tens of MB at most.
inline constexpr int kMaxKeptTraces = 8;
// An outcome is small (the error and the open trades).
inline constexpr int kMaxKeptOutcomes = 1024;
// How often what is kept is tried again while nothing else comes.
inline constexpr absl::Duration kKeptRetryInterval = absl::Seconds(5);

// `results` with FinishRun and StoreTrace as above; every other call passes
// through.
std::unique_ptr<ResultsStage> KeepUnstoredTraces(
    std::unique_ptr<ResultsStage> results,
    absl::Duration retry_interval = kKeptRetryInterval);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_TRACE_KEEPING_RESULTS_H_
