// A walk-forward analysis as a research job (docs/research.md). Its
// children, by index:
//   - in-sample: window w, point p at index w * P + p: the sweep's point p
//     run over window w's in-sample bars;
//   - out-of-sample: window w at index W * P + w: the point ranked best in
//     window w's in-sample children, run over its out-of-sample bars with
//     the cash the previous out-of-sample run ended with (the spec's initial
//     cash for the first), flat at both ends (close_at_end) and warmed up
//     with walk_forward.warmup_bars bars before its first.
// The in-sample children are independent, so shards split them; the
// out-of-sample chain runs once they are all stored, in window order, since
// each carries the last one's cash. Then the chain is stitched into one curve
// with its own metrics, the walk-forward efficiency is measured, and the job
// stores both as its result. Thread-safe: pure functions, apart from the
// runner's calls.
#ifndef SEED_RESEARCH_WALK_FORWARD_JOB_H_
#define SEED_RESEARCH_WALK_FORWARD_JOB_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/research.pb.h"
#include "backtest/v1/spec.pb.h"
#include "research/job_runner.h"
#include "research/parameter_space.h"
#include "research/shard.h"
#include "research/sweep_plan.h"
#include "research/walk_forward.h"
#include "services/strategy/param_schema.h"

namespace seed::research {

// "500 bars", "90 days", "26 weeks", "18 months", "2 years" (singular or
// plural; "1 year"). INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<Length> ParseLength(absl::string_view text,
                                   absl::string_view field);

struct WalkForwardPlan {
  backtest::v1::Job job;
  backtest::v1::BacktestSpec spec;  // the job's spec, blocks included
  std::vector<Window> windows;
  std::vector<Point> points;
  std::vector<ChildPlan> in_sample;  // index w * P + p
  int64_t children = 0;              // W * P + W
  int64_t interval_seconds = 0;      // the bars', for the stitched metrics
};

// Plans the analysis of `spec` (a sweep and a walk_forward block) over
// `times`, the run's clock (every bar time in data.start..data.end, sorted),
// of bars `interval_seconds` apart.
absl::StatusOr<WalkForwardPlan> PlanWalkForward(
    const backtest::v1::BacktestSpec& spec,
    const strategy::ParamSchemas& schemas, const std::vector<int64_t>& times,
    int64_t interval_seconds, absl::string_view job_id,
    absl::string_view engine_version);

// Window w's out-of-sample child: `chosen` over its out-of-sample bars,
// starting with `initial_cash`.
ChildPlan OutOfSampleChild(const WalkForwardPlan& plan, int window,
                           const Point& chosen, double initial_cash);

// What the job did in this process.
struct WalkForwardOutcome {
  std::vector<ChildOutcome> children;  // run (or reused) here
  // Set once the out-of-sample chain ran and the result was stored; unset
  // while in-sample children of other shards are missing (`waiting` says
  // how many).
  std::optional<backtest::v1::WalkForwardResult> result;
  int64_t waiting = 0;
};

// Runs the shard's in-sample children, then, when every in-sample child is
// stored, the out-of-sample chain, and stores the job's result.
absl::StatusOr<WalkForwardOutcome> RunWalkForward(
    const WalkForwardPlan& plan, const Shard& shard, JobRunner& runner,
    coordinator::ResultsStage& results,
    const std::function<void(const RunnerProgress&)>& on_progress);

}  // namespace seed::research

#endif  // SEED_RESEARCH_WALK_FORWARD_JOB_H_
