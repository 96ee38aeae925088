// The plan of a parameter sweep (docs/research.md): from a spec with a
// `sweep` block and the swept strategy's parameter schema, the job (its
// identity as the results stage stores it) and its children, one ordinary
// spec per point, in a stable order with stable run ids. Planning twice gives
// the same children, so any shard, and any later `--resume`, agrees on which
// child is which. Thread-safe: pure functions.
#ifndef SEED_RESEARCH_SWEEP_PLAN_H_
#define SEED_RESEARCH_SWEEP_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/research.pb.h"
#include "backtest/v1/spec.pb.h"
#include "research/parameter_space.h"
#include "services/strategy/param_schema.h"

namespace seed::research {

// One child: an ordinary run of `spec` under `run_id`, stored as a member of
// its job.
struct ChildPlan {
  int64_t index = 0;
  std::string run_id;
  backtest::v1::BacktestSpec spec;
  backtest::v1::JobMembership membership;
};

struct SweepPlan {
  backtest::v1::Job job;  // identity and plan; no derived fields
  std::vector<ChildPlan> children;
  int64_t excluded = 0;   // points the constraints left out
};

// The child run id of child `index` of a job with `count` children: the job
// id, a dash and the index zero-padded to the width of count - 1, so the
// children sort in index order: "sweep-20261207-203000-a1b2c3-007".
std::string ChildRunId(absl::string_view job_id, int64_t index, int64_t count);

// The strategy a sweep varies: spec.strategy, or the entry of spec.strategies
// whose id is sweep.strategy. INVALID_SPEC naming sweep.strategy otherwise.
absl::StatusOr<const backtest::v1::StrategySpec*> SweptStrategy(
    const backtest::v1::BacktestSpec& spec);

// The research library's sweep (parameter_space.h) of the spec's sweep
// block: a grid's axes in parameter-name order, or the random sampling.
SweepSpec ToSweepSpec(const backtest::v1::SweepSpec& sweep,
                      const strategy::ParamValues& fixed);

// `spec` as a run of `point`: the research blocks cleared, the swept
// strategy's params with the point's values, and the name tagged with the
// point ("sma-orcl fast=10 slow=30").
backtest::v1::BacktestSpec ChildSpec(const backtest::v1::BacktestSpec& spec,
                                     const Point& point);

// Plans the sweep of `spec` (which must have a sweep block) over `schemas`,
// the swept strategy's declared params, as job `job_id` created by
// `engine_version`. Every problem of the sweep comes back at once
// (INVALID_SWEEP, fields under "sweep"), as does an unknown objective.
absl::StatusOr<SweepPlan> PlanSweep(const backtest::v1::BacktestSpec& spec,
                                    const strategy::ParamSchemas& schemas,
                                    absl::string_view job_id,
                                    absl::string_view engine_version);

}  // namespace seed::research

#endif  // SEED_RESEARCH_SWEEP_PLAN_H_
