// The portfolio stage's library: one Portfolio per run, addressed by run_id.
// The coordinator calls it directly in embedded mode and through
// PortfolioServiceImpl in distributed mode. Thread-safe: a mutex guards the
// map of runs, and each run has its own mutex, so runs proceed in parallel.
#ifndef SEED_SERVICES_PORTFOLIO_PORTFOLIO_ENGINE_H_
#define SEED_SERVICES_PORTFOLIO_PORTFOLIO_ENGINE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backtest/v1/portfolio.pb.h"

namespace seed::portfolio {

class PortfolioEngine {
 public:
  PortfolioEngine();
  ~PortfolioEngine();

  // Validates the whole portfolio part of the spec at once (every problem
  // listed) and opens an account holding only initial_cash.
  absl::Status StartRun(const backtest::v1::PortfolioStartRequest& request,
                        backtest::v1::PortfolioStartResponse* response);

  // See Portfolio::ApplyStep.
  absl::Status ApplyStep(const backtest::v1::ApplyStepRequest& request,
                         backtest::v1::ApplyStepResponse* response);

  // See Portfolio::SizeIntents.
  absl::Status SizeIntents(const backtest::v1::SizeIntentsRequest& request,
                           backtest::v1::SizeIntentsResponse* response);

  // Returns the last view and the open trades, and forgets the run.
  absl::Status EndRun(const backtest::v1::PortfolioEndRequest& request,
                      backtest::v1::PortfolioEndResponse* response);

 private:
  struct Run;

  // The run, removed from the map when `forget` (so EndRun happens once).
  absl::StatusOr<std::shared_ptr<Run>> FindRun(const std::string& run_id,
                                               bool forget);

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Run>> runs_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace seed::portfolio

#endif  // SEED_SERVICES_PORTFOLIO_PORTFOLIO_ENGINE_H_
