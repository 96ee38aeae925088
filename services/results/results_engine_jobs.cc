// ResultsEngine: research jobs (CreateJob, GetJob, ListJobs, StoreJobResult).
// A job's state, counts and ranking are derived from its children when read
// (job_view.h), from their light columns only.
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "research/objective.h"
#include "services/results/job_view.h"
#include "services/results/page_token.h"
#include "services/results/results_engine.h"
#include "services/results/results_engine_internal.h"

namespace seed::results {
namespace {

using ::backtest::v1::Job;
using internal::kEngineStage;
using internal::PageSize;

// Whether a job of `kind` ranks children, so has an objective by default.
bool RanksChildren(backtest::v1::JobKind kind) {
  return kind == backtest::v1::SWEEP || kind == backtest::v1::WALK_FORWARD;
}

// What is wrong with the stored fields of `job`, each on its field.
std::vector<FieldProblem> JobProblems(const Job& job) {
  std::vector<FieldProblem> problems;
  if (job.job_id().empty()) problems.push_back({"job.job_id", "required"});
  if (job.spec_hash().empty()) {
    problems.push_back(
        {"job.spec_hash", "required: the job's spec is known by it"});
  }
  if (job.kind() == backtest::v1::JOB_KIND_UNSPECIFIED) {
    problems.push_back(
        {"job.kind",
         "required: SWEEP, WALK_FORWARD, MONTE_CARLO or FACTOR_STUDY"});
  }
  if (job.children_expected() < 0) {
    problems.push_back(
        {"job.children_expected",
         absl::StrCat("must be >= 0, got ", job.children_expected())});
  }
  if (!job.goal().empty() && job.goal() != "maximize" &&
      job.goal() != "minimize") {
    problems.push_back(
        {"job.goal",
         absl::StrCat("must be maximize or minimize, got '", job.goal(), "'")});
  }
  const research::Objective objective{.metric = job.objective(),
                                      .min_trades = job.min_trades()};
  for (FieldProblem& problem : research::ObjectiveProblems(
           objective, "job.objective", "job.min_trades")) {
    // An empty objective is allowed for jobs that rank nothing.
    if (problem.field == "job.objective" && job.objective().empty()) continue;
    problems.push_back(std::move(problem));
  }
  for (int i = 0; i < job.params_size(); ++i) {
    if (job.params(i).empty() || absl::StrContains(job.params(i), ',')) {
      problems.push_back(
          {absl::StrCat("job.params[", i, "]"),
           absl::StrCat("a parameter name, not empty and without commas; "
                        "got '",
                        job.params(i), "'")});
    }
  }
  return problems;
}

}  // namespace

absl::StatusOr<Job> ResultsEngine::DerivedJob(StoredJob stored) {
  absl::StatusOr<ChildCounts> counts =
      store_->CountChildren(stored.job.job_id());
  if (!counts.ok()) return counts.status();
  DeriveJob(*counts, stored.result_at, stored.job);
  return std::move(stored.job);
}

absl::Status ResultsEngine::CreateJob(
    const backtest::v1::CreateJobRequest& request,
    backtest::v1::CreateJobResponse* response) {
  Job job = request.job();
  job.clear_state();
  job.clear_children_stored();
  job.clear_children_by_state();
  job.clear_result();
  job.clear_updated_at();
  if (RanksChildren(job.kind()) && job.objective().empty()) {
    job.set_objective(research::Objective().metric);
  }
  if (!job.objective().empty() && job.goal().empty()) {
    job.set_goal("maximize");
  }
  if (job.created_at().empty()) job.set_created_at(IsoUtc(clock_()));
  if (std::vector<FieldProblem> problems = JobProblems(job);
      !problems.empty()) {
    return InvalidFields(kEngineStage, "INVALID_CREATE_JOB", problems);
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<StoredJob> stored = store_->CreateJob(job);
  if (!stored.ok()) return stored.status();
  absl::StatusOr<Job> derived = DerivedJob(*std::move(stored));
  if (!derived.ok()) return derived.status();
  *response->mutable_job() = *std::move(derived);
  return absl::OkStatus();
}

absl::Status ResultsEngine::GetJob(const backtest::v1::GetJobRequest& request,
                                   backtest::v1::GetJobResponse* response) {
  std::vector<FieldProblem> problems;
  if (request.job_id().empty()) problems.push_back({"job_id", "required"});
  const int64_t page_size =
      PageSize("page_size", request.page_size(), kDefaultListLimit,
               kMaxListLimit, problems);
  if (request.order() != backtest::v1::CHILD_ORDER_UNSPECIFIED &&
      request.order() != backtest::v1::BY_INDEX) {
    problems.push_back(
        {"order", absl::StrCat("unknown child order ", request.order())});
  }
  if (!problems.empty()) {
    return InvalidFields(kEngineStage, "INVALID_GET_JOB", problems);
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::string> job_id = ResolveJobId(request.job_id());
  if (!job_id.ok()) return job_id.status();
  const std::string query =
      absl::StrCat("children\n", *job_id, "\n", request.order());
  std::optional<ChildKey> after;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> position =
        DecodePageToken(request.page_token(), query, 5);
    if (!position.ok()) return position.status();
    int64_t numbers[4];
    for (int i = 0; i < 4; ++i) {
      if (!absl::SimpleAtoi((*position)[i + 1], &numbers[i])) {
        return InvalidPageToken("is damaged");
      }
    }
    after = ChildKey((*position)[0], numbers[0], numbers[1], numbers[2],
                     numbers[3]);
  }

  absl::StatusOr<StoredJob> stored =
      store_->ReadJob(*job_id, /*with_result=*/true);
  if (!stored.ok()) return stored.status();
  absl::StatusOr<std::vector<StoredChild>> children =
      store_->ReadChildren(*job_id);
  if (!children.ok()) return children.status();
  Job& job = *response->mutable_job();
  job = std::move(stored->job);
  DeriveJob(ChildCountsOf(*children), stored->result_at, job);

  std::vector<ListedChild> listed =
      ListChildren(job, *children, request.order());
  auto first = listed.begin();
  if (after.has_value()) {
    first = std::upper_bound(listed.begin(), listed.end(), *after,
                             [](const ChildKey& key, const ListedChild& child) {
                               return key < child.key;
                             });
  }
  const auto end = first + std::min<int64_t>(page_size, listed.end() - first);
  for (auto it = first; it != end; ++it) {
    *response->add_children() = std::move(it->child);
  }
  if (end != listed.end()) {
    const ChildKey& last = (end - 1)->key;
    response->set_next_page_token(EncodePageToken(
        query, std::vector<std::string>{std::get<0>(last),
                                        absl::StrCat(std::get<1>(last)),
                                        absl::StrCat(std::get<2>(last)),
                                        absl::StrCat(std::get<3>(last)),
                                        absl::StrCat(std::get<4>(last))}));
  }
  return absl::OkStatus();
}

absl::Status ResultsEngine::ListJobs(
    const backtest::v1::ListJobsRequest& request,
    backtest::v1::ListJobsResponse* response) {
  std::vector<FieldProblem> problems;
  const int64_t limit = PageSize("limit", request.limit(), kDefaultListLimit,
                                 kMaxListLimit, problems);
  if (!problems.empty()) {
    return InvalidFields(kEngineStage, "INVALID_LIST_JOBS", problems);
  }
  constexpr absl::string_view kQuery = "jobs";
  std::optional<JobPosition> after;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> position =
        DecodePageToken(request.page_token(), kQuery, 2);
    if (!position.ok()) return position.status();
    after.emplace().created_at = (*position)[0];
    if (!absl::SimpleAtoi((*position)[1], &after->rowid)) {
      return InvalidPageToken("is damaged");
    }
  }
  absl::MutexLock lock(&mu_);
  absl::StatusOr<JobPage> page =
      store_->ListJobs(after, static_cast<int>(limit));
  if (!page.ok()) return page.status();
  for (StoredJob& stored : page->jobs) {
    absl::StatusOr<Job> job = DerivedJob(std::move(stored));
    if (!job.ok()) return job.status();
    *response->add_jobs() = *std::move(job);
  }
  if (page->next.has_value()) {
    response->set_next_page_token(EncodePageToken(
        kQuery, std::vector<std::string>{page->next->created_at,
                                         absl::StrCat(page->next->rowid)}));
  }
  return absl::OkStatus();
}

absl::Status ResultsEngine::StoreJobResult(
    const backtest::v1::StoreJobResultRequest& request,
    backtest::v1::StoreJobResultResponse* /*response*/) {
  std::vector<FieldProblem> problems;
  if (request.job_id().empty()) problems.push_back({"job_id", "required"});
  if (request.result().kind_case() == backtest::v1::JobResult::KIND_NOT_SET) {
    problems.push_back(
        {"result", "required: monte_carlo, factor_study or walk_forward"});
  }
  if (!problems.empty()) {
    return InvalidFields(kEngineStage, "INVALID_STORE_JOB_RESULT", problems);
  }
  absl::MutexLock lock(&mu_);
  return store_->StoreJobResult(request.job_id(), request.result());
}

}  // namespace seed::results
