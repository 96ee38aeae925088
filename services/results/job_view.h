// A research job as its readers see it (research.proto), derived from what
// is stored, never kept in memory: the job's state and counts from its
// children, and its children ranked by the job's objective
// (research/objective.h Rank). Thread-safe: pure functions.
//
// Ranking: the children are grouped by (role, window) (a sweep has one
// group; a walk-forward one per role and window, so in-sample children are
// ranked per window) and each group is ranked on its own: a child is ranked
// when it SUCCEEDED, has at least min_trades closed trades and a defined
// objective; ranked children are ordered best first in the job's goal
// direction, ties by the point's canonical text (research/parameter_space.h
// CanonicalText), then by index. The others are unranked with the reason.
// A job without an objective ranks no child.
#ifndef SEED_SERVICES_RESULTS_JOB_VIEW_H_
#define SEED_SERVICES_RESULTS_JOB_VIEW_H_

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "backtest/v1/research.pb.h"
#include "backtest/v1/results.pb.h"
#include "services/results/run_store.h"

namespace seed::results {

// Whether a job of `kind` ends with a result (StoreJobResult) besides its
// children: walk-forward, Monte Carlo and factor studies.
bool KindHasResult(backtest::v1::JobKind kind);

// Sets `job`'s derived fields from its children's counts and its result's
// time (`result_at`, empty when none is stored): state (RUNNING while a child
// is missing or not ended, or the result is; SUCCEEDED when every child
// expected succeeded and the result, if the kind has one, is stored;
// FAILED when all ended and one did not succeed), children_stored,
// children_by_state (by RunState name) and updated_at (the newest child's
// end or the result's time).
void DeriveJob(const ChildCounts& counts, const std::string& result_at,
               backtest::v1::Job& job);

// The counts of `children` as DeriveJob takes them.
ChildCounts ChildCountsOf(const std::vector<StoredChild>& children);

// A child's place in a listing's order: role, window, 0 for a ranked child
// or 1, its rank (0 when unranked), its index. In index order all but the
// index are empty or 0. Pages are keyed on it.
using ChildKey = std::tuple<std::string, int64_t, int64_t, int64_t, int64_t>;

struct ListedChild {
  backtest::v1::JobChild child;
  ChildKey key;
};

// `children` with their ranks, in `order`: by rank (the groups by role, then
// window; in each the ranked best first, then the unranked by index), or by
// index.
std::vector<ListedChild> ListChildren(const backtest::v1::Job& job,
                                      const std::vector<StoredChild>& children,
                                      backtest::v1::ChildOrder order);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_JOB_VIEW_H_
