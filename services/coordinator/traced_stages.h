// Spans for the coordinator's stage calls: wraps a set of stages so that each
// call made under a run's trace becomes a CLIENT span named
// "<stage>.<call>" (e.g. "execution.execute_steps") with the stage, run id,
// the steps it covered (count, bars, first and last step time as unix
// seconds) and what came back (fills, orders, intents, ...), marked ERROR
// with the failure's reason, symbol and bar time when the call fails. Calls
// made outside a trace go straight through. Every call, traced or not, also
// feeds the coordinator's metrics (coordinator_metrics.h): its latency, the
// steps and bars it went through, the bytes of records sent. The same
// wrapper serves embedded and remote stages; a remote call's server spans
// nest under its span. Thread-safe when the wrapped stages are.
#ifndef SEED_SERVICES_COORDINATOR_TRACED_STAGES_H_
#define SEED_SERVICES_COORDINATOR_TRACED_STAGES_H_

#include "services/coordinator/stages.h"

namespace seed::coordinator {

// The same stages, each call traced as above. connect_strategy's stages are
// wrapped too.
Stages TraceStages(Stages stages);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_TRACED_STAGES_H_
