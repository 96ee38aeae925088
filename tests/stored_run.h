// Runs for coordinator-level tests, as the tests look at them: a run's final
// progress and everything the results stage stored of it (summary and every
// record). FetchRun reads a stored run from any results stage (embedded or
// remote); RunToEnd submits a spec to a RunManager in this process, waits for
// the end and fetches; SubmitRemote and WatchRemote do the same through a
// coordinator service over gRPC. Failures to submit, watch or fetch are added
// to the current test, so a caller checks only what the run did;
// ExpectSameOutcome compares two runs record by record. Not thread-safe.
#ifndef SEED_TESTS_STORED_RUN_H_
#define SEED_TESTS_STORED_RUN_H_

#include <functional>
#include <string>

#include "backtest/v1/coordinator.pb.h"
#include "services/coordinator/remote_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/coordinator/stages.h"

namespace seed::testing {

struct StoredRun {
  std::string run_id;
  backtest::v1::RunProgress progress;
  backtest::v1::GetRunResponse stored;
};

// The run's summary and all its records, as the results stage has them.
backtest::v1::GetRunResponse FetchRun(coordinator::ResultsStage& results,
                                      const std::string& run_id);

// Submits `spec` (its relative data paths resolve against `base_dir`), waits
// until the run ends and fetches what was stored. Example:
//   coordinator::RunManager runs(*std::move(stages));
//   const StoredRun run = RunToEnd(runs, spec);
//   EXPECT_EQ(run.progress.state(), v1::SUCCEEDED);
StoredRun RunToEnd(coordinator::RunManager& runs, const std::string& spec,
                   const std::string& base_dir = "");

// Submits `spec` to the coordinator service at `coordinator`, as a child of
// the client span in `traceparent` (a W3C traceparent header) when it is not
// empty. The run id, or "" after adding the failure to the test.
std::string SubmitRemote(const std::string& coordinator,
                         const std::string& spec,
                         const std::string& traceparent = "");

// Watches a submitted run to its end through addresses.coordinator, calling
// `on_progress` (when given) with each update so a test can act on the run
// while it goes, then fetches what addresses.results stored. Example:
//   const StoredRun run = WatchRemote(addresses, SubmitRemote(
//       addresses.coordinator, spec));
StoredRun WatchRemote(
    const coordinator::ServiceAddresses& addresses, const std::string& run_id,
    const std::function<void(const backtest::v1::RunProgress&)>& on_progress =
        {});

// Adds a failure for every difference between two runs of the same spec
// (e.g. embedded and distributed): both succeeded, with equal fills,
// rejections, trades, equity, metrics and fingerprints (spec and data
// hashes). At least `minimum_trades` trades, so the comparison means
// something.
void ExpectSameOutcome(const StoredRun& expected, const StoredRun& actual,
                       int minimum_trades = 1);

}  // namespace seed::testing

#endif  // SEED_TESTS_STORED_RUN_H_
