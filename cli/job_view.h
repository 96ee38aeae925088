// Research jobs for a person and for programs: the summary and ranking table
// `bt sweep` and `bt show JOB` print, `bt show JOB --json`, and the files
// `--export DIR` writes (children.csv, job.json). Reading every child pages
// through the results stage. Thread-safe: pure functions, apart from
// FetchJob's calls.
#ifndef SEED_CLI_JOB_VIEW_H_
#define SEED_CLI_JOB_VIEW_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backtest/v1/research.pb.h"
#include "backtest/v1/results.pb.h"
#include "services/coordinator/stages.h"

namespace seed::cli {

// A job with its children (all, or the first page only).
struct JobView {
  backtest::v1::Job job;
  std::vector<backtest::v1::JobChild> children;
  bool complete = true;  // every child fetched
};

// The job by id or unique prefix; `limit` children (0: all, page by page),
// best first (or by index).
absl::StatusOr<JobView> FetchJob(coordinator::ResultsStage& results,
                                 const std::string& job_id, int limit,
                                 backtest::v1::ChildOrder order);

// Whether `id` names (or uniquely starts) a stored job rather than a run:
// false when the results stage knows no such job or has no jobs API (an
// older server); its error otherwise (an ambiguous prefix, a store that
// cannot be read). A job's children have ids that start with the job's, so
// a job is looked for first.
absl::StatusOr<bool> IsStoredJob(coordinator::ResultsStage& results,
                                 const std::string& id);

// The child's value of the parameter `name`; "" when it has none.
std::string ChildParam(const backtest::v1::JobChild& child,
                       const std::string& name);

// "SUCCEEDED" for a ranked child, else why it is not ranked: its
// unranked_reason, or its state and the stage that failed it.
std::string ChildStatus(const backtest::v1::JobChild& child);

// The children table FormatJob prints, header row first: rank, run, (a
// walk-forward's role and window), the swept params, objective, return,
// sharpe, trades, final equity, state; the first `shown` children.
std::vector<std::vector<std::string>> RankingRows(const JobView& view,
                                                  size_t shown);

// The job's first lines (id, kind, state, children by state, objective) and
// its children as a table, best first; `shown` rows at most.
std::string FormatJob(const JobView& view, size_t shown = 20);

// The windows table FormatWalkForward prints, header row first: window,
// in sample, out of sample, chosen, IS/OOS objective, IS/OOS annual return,
// efficiency.
std::vector<std::vector<std::string>> WalkForwardRows(
    const backtest::v1::WalkForwardResult& result);

// A walk-forward's windows (in-sample and out-of-sample ranges, the point
// chosen, objectives, annualized returns, efficiency) and the stitched
// out-of-sample metrics.
std::string FormatWalkForward(const backtest::v1::WalkForwardResult& result);

// children.csv: run_id, one column per swept param (named as in the
// schema), objective, total_return, sharpe, trades, final_equity, then
// index, rank, state, error; one row per child, by index.
std::string ChildrenCsv(const JobView& view);

// {"job": ..., "children": [...]} with proto field names.
absl::StatusOr<std::string> JobJson(const JobView& view);

// Writes children.csv and job.json into `directory` (created).
absl::Status ExportJob(const JobView& view, const std::string& directory);

}  // namespace seed::cli

#endif  // SEED_CLI_JOB_VIEW_H_
