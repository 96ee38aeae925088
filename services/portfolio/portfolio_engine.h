// The portfolio stage's library: one Account per run, addressed by run_id.
// The coordinator calls it directly in embedded mode and through
// PortfolioServiceImpl in distributed mode. Thread-safe: runs proceed in
// parallel; calls for one run are serialized (see RunRegistry).
#ifndef SEED_SERVICES_PORTFOLIO_PORTFOLIO_ENGINE_H_
#define SEED_SERVICES_PORTFOLIO_PORTFOLIO_ENGINE_H_

#include "absl/status/status.h"
#include "backtest/v1/portfolio.pb.h"
#include "common/run_registry.h"
#include "services/portfolio/account.h"

namespace seed::portfolio {

class PortfolioEngine {
 public:
  PortfolioEngine();
  ~PortfolioEngine();

  // Validates the whole portfolio part of the spec at once (every problem
  // listed) and opens an account holding only initial_cash.
  absl::Status StartRun(const backtest::v1::PortfolioStartRequest& request,
                        backtest::v1::PortfolioStartResponse* response);

  // See Account::ApplySteps.
  absl::Status ApplySteps(const backtest::v1::ApplyStepsRequest& request,
                          backtest::v1::ApplyStepsResponse* response);

  // See Account::SizeIntents.
  absl::Status SizeIntents(const backtest::v1::SizeIntentsRequest& request,
                           backtest::v1::SizeIntentsResponse* response);

  // Commits the tentative steps, returns the last view and the open trades
  // (with close_at_end: the trades it closed), and forgets the run.
  absl::Status EndRun(const backtest::v1::PortfolioEndRequest& request,
                      backtest::v1::PortfolioEndResponse* response);

 private:
  RunRegistry<Account> runs_;
};

}  // namespace seed::portfolio

#endif  // SEED_SERVICES_PORTFOLIO_PORTFOLIO_ENGINE_H_
