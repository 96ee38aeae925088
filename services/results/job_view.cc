#include "services/results/job_view.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/run_state.h"
#include "research/objective.h"
#include "research/point_text.h"

namespace seed::results {
namespace {

using ::backtest::v1::JobChild;
using ::backtest::v1::RunState;

// Why a child that Rank found without metrics is not ranked.
std::string NotRankedBecauseOfState(RunState state) {
  if (state == backtest::v1::SUCCEEDED) {
    return "no summary of its metrics is stored";
  }
  if (IsFinalRunState(state)) {
    return absl::StrCat(RunState_Name(state),
                        ": only children that succeeded are ranked");
  }
  return absl::StrCat("not finished yet (", RunState_Name(state), ")");
}

JobChild ToJobChild(const StoredChild& stored) {
  JobChild child;
  child.set_run_id(stored.run_id);
  child.set_index(stored.membership.index());
  *child.mutable_params() = stored.membership.params();
  child.set_role(stored.membership.role());
  child.set_window(stored.membership.window());
  child.set_state(stored.state);
  if (stored.objective.has_value()) child.set_objective(*stored.objective);
  if (stored.summary.has_value()) {
    child.set_total_return(stored.summary->total_return());
    if (stored.summary->has_sharpe())
      child.set_sharpe(stored.summary->sharpe());
    child.set_trades(stored.summary->trades());
    child.set_final_equity(stored.summary->final_equity());
  }
  if (stored.error.has_value()) *child.mutable_error() = *stored.error;
  return child;
}

// Ranks one group (children in index order) into `listed`.
void RankGroup(const backtest::v1::Job& job,
               const std::vector<const StoredChild*>& group,
               std::vector<ListedChild>& listed) {
  const research::Objective objective{
      .metric = job.objective(),
      .direction = job.goal() == "minimize" ? research::Direction::kMinimize
                                            : research::Direction::kMaximize,
      .min_trades = job.min_trades()};
  std::vector<research::Candidate> candidates;
  for (const StoredChild* child : group) {
    research::Candidate& candidate = candidates.emplace_back();
    const research::Point point(child->membership.params().begin(),
                                child->membership.params().end());
    candidate.key = research::CanonicalText(point);
    if (child->state == backtest::v1::SUCCEEDED) {
      candidate.metrics = child->summary;
    }
  }
  absl::StatusOr<std::vector<research::Ranked>> ranked =
      job.objective().empty()
          ? absl::InvalidArgumentError("the job has no objective to rank by")
          : research::Rank(objective, candidates);
  for (size_t i = 0; i < group.size(); ++i) {
    const size_t at = ranked.ok() ? (*ranked)[i].index : i;
    const StoredChild& stored = *group[at];
    ListedChild& entry = listed.emplace_back();
    entry.child = ToJobChild(stored);
    if (!ranked.ok()) {
      entry.child.set_unranked_reason(std::string(ranked.status().message()));
    } else if ((*ranked)[i].standing == research::Standing::kNoMetrics) {
      entry.child.set_unranked_reason(NotRankedBecauseOfState(stored.state));
    } else {
      entry.child.set_rank((*ranked)[i].rank);
      entry.child.set_unranked_reason((*ranked)[i].reason);
    }
    const int64_t rank = entry.child.rank();
    entry.key = ChildKey(entry.child.role(), entry.child.window(),
                         rank == 0 ? 1 : 0, rank, entry.child.index());
  }
}

}  // namespace

bool KindHasResult(backtest::v1::JobKind kind) {
  return kind == backtest::v1::WALK_FORWARD ||
         kind == backtest::v1::MONTE_CARLO ||
         kind == backtest::v1::FACTOR_STUDY;
}

void DeriveJob(const ChildCounts& counts, const std::string& result_at,
               backtest::v1::Job& job) {
  int64_t stored = 0;
  int64_t ended = 0;
  int64_t succeeded = 0;
  job.clear_children_by_state();
  for (const auto& [state, count] : counts.by_state) {
    stored += count;
    if (IsFinalRunState(state)) ended += count;
    if (state == backtest::v1::SUCCEEDED) succeeded += count;
    (*job.mutable_children_by_state())[RunState_Name(state)] += count;
  }
  job.set_children_stored(stored);
  const bool all_ended = stored >= job.children_expected() && ended == stored;
  const bool result_missing = KindHasResult(job.kind()) && result_at.empty();
  if (!all_ended) {
    job.set_state(backtest::v1::RUNNING);
  } else if (succeeded < stored) {
    job.set_state(backtest::v1::FAILED);
  } else {
    job.set_state(result_missing ? backtest::v1::RUNNING
                                 : backtest::v1::SUCCEEDED);
  }
  job.set_updated_at(std::max(counts.newest_finished_at, result_at));
}

ChildCounts ChildCountsOf(const std::vector<StoredChild>& children) {
  ChildCounts counts;
  for (const StoredChild& child : children) {
    ++counts.by_state[child.state];
    counts.newest_finished_at =
        std::max(counts.newest_finished_at, child.finished_at);
  }
  return counts;
}

std::vector<ListedChild> ListChildren(const backtest::v1::Job& job,
                                      const std::vector<StoredChild>& children,
                                      backtest::v1::ChildOrder order) {
  // Children come by index, so each group keeps index order.
  std::map<std::pair<std::string, int64_t>, std::vector<const StoredChild*>>
      groups;
  for (const StoredChild& child : children) {
    groups[{child.membership.role(), child.membership.window()}].push_back(
        &child);
  }
  std::vector<ListedChild> listed;
  listed.reserve(children.size());
  for (const auto& [group, members] : groups) RankGroup(job, members, listed);
  if (order == backtest::v1::BY_INDEX) {
    for (ListedChild& entry : listed) {
      entry.key = ChildKey("", 0, 0, 0, entry.child.index());
    }
  }
  std::sort(
      listed.begin(), listed.end(),
      [](const ListedChild& a, const ListedChild& b) { return a.key < b.key; });
  return listed;
}

}  // namespace seed::results
