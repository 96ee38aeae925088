// `bt trace RUN` for a person: a run's trace as an indented tree of spans
// with their durations, processes and key attributes, the failing span marked
// so the stage that broke is seen at a glance. Thread-safe: pure functions.
#ifndef SEED_CLI_TRACE_TREE_H_
#define SEED_CLI_TRACE_TREE_H_

#include <string>

#include "backtest/v1/trace.pb.h"

namespace seed::cli {

struct TraceTreeOptions {
  // false: sibling spans of the same name without an error (between two
  // failing siblings, if any) are folded into one line (count, total time,
  // summed counts, time range), so a long run's thousands of chunk spans read
  // as a few lines.
  bool every_span = false;
};

// Example (a run whose strategy failed; long lines wrap here):
//   trace 4bf9...  (84 spans from coordinator, strategy)
//   run  1.21 s  [coordinator]  ERROR  run.id=...
//   ├─ strategy.start_run  0.12 ms  [coordinator]
//   ├─ execution.execute_steps x40  8.1 ms total  [coordinator]  steps=960
//   │    1995-01-03..1998-10-30
//   └─ strategy.on_steps  0.3 ms  [coordinator]  ERROR  <== FAILED HERE
//         strategy STRATEGY_FAILED: ...
//
//   FAILED in strategy at ORCL 1998-11-02: strategy STRATEGY_FAILED: ...
//     failing span: strategy.on_steps (coordinator, span ...)
// The verdict is the run's outcome (the run span's run.state). In a failed
// run, the failure is the failed span with no failing child that ended
// first: later calls that failed because of it (ending the run on a stage
// that died) show "ERROR" only, like the failure's ancestors. A run that did
// not fail lists the spans that failed without failing it. Spans whose
// parent is not in the trace (the run span under a client's span) are roots.
std::string FormatTraceTree(const backtest::v1::Trace& trace,
                            const TraceTreeOptions& options = {});

}  // namespace seed::cli

#endif  // SEED_CLI_TRACE_TREE_H_
