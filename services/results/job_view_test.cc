#include "services/results/job_view.h"

#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace seed::results {
namespace {

using ::backtest::v1::Job;
using ::backtest::v1::RunState;

Job Sweep(int64_t children, int64_t min_trades = 0) {
  Job job;
  job.set_job_id("job");
  job.set_kind(backtest::v1::SWEEP);
  job.set_children_expected(children);
  job.set_objective("sharpe");
  job.set_goal("maximize");
  job.set_min_trades(min_trades);
  return job;
}

// Child `index` at fast = `fast`, in `state`; when it has a summary, with
// this Sharpe (none: undefined) and trades.
StoredChild Child(int64_t index, double fast, RunState state,
                  std::optional<double> sharpe, int64_t trades = 10,
                  const std::string& role = "", int window = 0) {
  StoredChild child;
  child.run_id = "run-" + std::to_string(index);
  child.membership.set_job_id("job");
  child.membership.set_index(index);
  (*child.membership.mutable_params())["fast"].set_number(fast);
  child.membership.set_role(role);
  child.membership.set_window(window);
  child.state = state;
  if (state == backtest::v1::SUCCEEDED || state == backtest::v1::FAILED) {
    backtest::v1::Metrics& summary = child.summary.emplace();
    summary.set_trades(trades);
    summary.set_total_return(0.1 * index);
    summary.set_final_equity(1000 + index);
    if (sharpe.has_value()) {
      summary.set_sharpe(*sharpe);
      child.objective = *sharpe;
    }
    child.finished_at = "2024-05-01T10:0" + std::to_string(index) + ":00Z";
  }
  return child;
}

// "run-id rank reason" per listed child.
std::vector<std::string> Listing(const std::vector<ListedChild>& listed) {
  std::vector<std::string> lines;
  for (const ListedChild& entry : listed) {
    lines.push_back(entry.child.run_id() + " " +
                    std::to_string(entry.child.rank()) + " " +
                    entry.child.unranked_reason());
  }
  return lines;
}

TEST(JobViewTest, ASweepIsRankedByItsObjectiveWithReasonsForTheRest) {
  const std::vector<StoredChild> children = {
      Child(0, 10, backtest::v1::SUCCEEDED, 0.5),
      Child(1, 20, backtest::v1::SUCCEEDED, 1.5),
      Child(2, 30, backtest::v1::SUCCEEDED, 2.0, /*trades=*/3),
      Child(3, 40, backtest::v1::SUCCEEDED, std::nullopt),
      Child(4, 50, backtest::v1::FAILED, 9.0),
      Child(5, 60, backtest::v1::RUNNING, std::nullopt),
      // Ties with child 1: canonical text {"fast":100} sorts before
      // {"fast":20}, whatever the index.
      Child(6, 100, backtest::v1::SUCCEEDED, 1.5),
  };
  const std::vector<ListedChild> listed =
      ListChildren(Sweep(8, /*min_trades=*/5), children,
                   backtest::v1::CHILD_ORDER_UNSPECIFIED);
  EXPECT_EQ(Listing(listed),
            (std::vector<std::string>{
                "run-6 1 ", "run-1 2 ", "run-0 3 ",
                "run-2 0 3 closed trades, fewer than the 5 required",
                "run-3 0 sharpe is undefined for this run (docs/metrics.md "
                "says when)",
                "run-4 0 FAILED: only children that succeeded are ranked",
                "run-5 0 not finished yet (RUNNING)"}));
  const backtest::v1::JobChild& best = listed[0].child;
  EXPECT_EQ(best.index(), 6);
  EXPECT_EQ(best.params().at("fast").number(), 100);
  EXPECT_EQ(best.state(), backtest::v1::SUCCEEDED);
  EXPECT_DOUBLE_EQ(best.objective(), 1.5);
  EXPECT_DOUBLE_EQ(best.sharpe(), 1.5);
  EXPECT_EQ(best.trades(), 10);
  EXPECT_DOUBLE_EQ(best.total_return(), 0.6);
  EXPECT_DOUBLE_EQ(best.final_equity(), 1006);
  EXPECT_FALSE(listed[4].child.has_sharpe());
  EXPECT_FALSE(listed[4].child.has_objective());
  // A failed child lists its summary, though it is not ranked.
  EXPECT_EQ(listed[5].child.trades(), 10);
}

TEST(JobViewTest, MinimizingRanksTheSmallestFirst) {
  Job job = Sweep(3);
  job.set_goal("minimize");
  const std::vector<ListedChild> listed =
      ListChildren(job,
                   {Child(0, 10, backtest::v1::SUCCEEDED, 0.5),
                    Child(1, 20, backtest::v1::SUCCEEDED, -1),
                    Child(2, 30, backtest::v1::SUCCEEDED, 2)},
                   backtest::v1::CHILD_ORDER_UNSPECIFIED);
  EXPECT_EQ(Listing(listed),
            (std::vector<std::string>{"run-1 1 ", "run-0 2 ", "run-2 3 "}));
}

// In-sample children are ranked per window, each window on its own.
TEST(JobViewTest, AWalkForwardRanksEachRoleAndWindowApart) {
  Job job = Sweep(6);
  job.set_kind(backtest::v1::WALK_FORWARD);
  const std::vector<StoredChild> children = {
      Child(0, 10, backtest::v1::SUCCEEDED, 1.0, 10, "in_sample", 0),
      Child(1, 20, backtest::v1::SUCCEEDED, 2.0, 10, "in_sample", 0),
      Child(2, 10, backtest::v1::SUCCEEDED, 3.0, 10, "in_sample", 1),
      Child(3, 20, backtest::v1::SUCCEEDED, 0.5, 10, "in_sample", 1),
      Child(4, 20, backtest::v1::SUCCEEDED, 0.1, 10, "out_of_sample", 0),
      Child(5, 10, backtest::v1::RUNNING, std::nullopt, 0, "out_of_sample", 1),
  };
  std::vector<ListedChild> listed =
      ListChildren(job, children, backtest::v1::CHILD_ORDER_UNSPECIFIED);
  EXPECT_EQ(Listing(listed),
            (std::vector<std::string>{"run-1 1 ", "run-0 2 ", "run-2 1 ",
                                      "run-3 2 ", "run-4 1 ",
                                      "run-5 0 not finished yet (RUNNING)"}));
  EXPECT_EQ(listed[2].key, ChildKey("in_sample", 1, 0, 1, 2));
  EXPECT_EQ(listed[5].key, ChildKey("out_of_sample", 1, 1, 0, 5));

  // By index: the same ranks, in index order.
  listed = ListChildren(job, children, backtest::v1::BY_INDEX);
  EXPECT_EQ(Listing(listed),
            (std::vector<std::string>{"run-0 2 ", "run-1 1 ", "run-2 1 ",
                                      "run-3 2 ", "run-4 1 ",
                                      "run-5 0 not finished yet (RUNNING)"}));
  EXPECT_EQ(listed[3].key, ChildKey("", 0, 0, 0, 3));
}

TEST(JobViewTest, AJobWithoutAnObjectiveRanksNothing) {
  Job job = Sweep(1);
  job.set_kind(backtest::v1::MONTE_CARLO);
  job.clear_objective();
  EXPECT_EQ(
      Listing(ListChildren(job, {Child(0, 10, backtest::v1::SUCCEEDED, 1)},
                           backtest::v1::CHILD_ORDER_UNSPECIFIED)),
      std::vector<std::string>{"run-0 0 the job has no objective to rank by"});
}

TEST(JobViewTest, TheJobsStateComesFromItsChildren) {
  Job job = Sweep(3);
  auto state = [&](const std::vector<StoredChild>& children,
                   const std::string& result_at = "") {
    DeriveJob(ChildCountsOf(children), result_at, job);
    return job.state();
  };
  const StoredChild done = Child(0, 10, backtest::v1::SUCCEEDED, 1);
  const StoredChild failed = Child(1, 20, backtest::v1::FAILED, 1);
  const StoredChild abandoned = Child(1, 20, backtest::v1::ABANDONED, 1);
  const StoredChild running = Child(2, 30, backtest::v1::RUNNING, 1);
  const StoredChild later = Child(2, 30, backtest::v1::SUCCEEDED, 1);
  // A child missing, or one not ended: RUNNING.
  EXPECT_EQ(state({done, failed}), backtest::v1::RUNNING);
  EXPECT_EQ(state({done, failed, running}), backtest::v1::RUNNING);
  EXPECT_EQ(job.children_stored(), 3);
  EXPECT_EQ(job.children_by_state().at("RUNNING"), 1);
  EXPECT_EQ(job.children_by_state().at("FAILED"), 1);
  // All ended, one did not succeed: FAILED.
  EXPECT_EQ(state({done, failed, later}), backtest::v1::FAILED);
  EXPECT_EQ(state({done, abandoned, later}), backtest::v1::FAILED);
  EXPECT_EQ(state({done, later, Child(1, 20, backtest::v1::SUCCEEDED, 1)}),
            backtest::v1::SUCCEEDED);
  EXPECT_EQ(job.updated_at(), "2024-05-01T10:02:00Z");
  EXPECT_EQ(job.children_by_state().size(), 1);

  // A walk-forward also needs its result.
  job.set_kind(backtest::v1::WALK_FORWARD);
  const std::vector<StoredChild> all = {
      done, later, Child(1, 20, backtest::v1::SUCCEEDED, 1)};
  EXPECT_EQ(state(all), backtest::v1::RUNNING);
  EXPECT_EQ(state(all, "2024-05-02T00:00:00Z"), backtest::v1::SUCCEEDED);
  EXPECT_EQ(job.updated_at(), "2024-05-02T00:00:00Z");
}

}  // namespace
}  // namespace seed::results
