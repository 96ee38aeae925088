// The account of one run: one Portfolio per strategy (a sleeve with its own
// cash, positions, orders and trades) in a run of several strategies, or the
// single Portfolio of a run of one, whose calls pass straight through. It
// routes fills, events and rejections to the sleeve of their order, sizes
// each sleeve's intents with caps that count the whole account, and sums the
// sleeves into the account's views (docs/portfolio.md, "Several
// strategies"). Not thread-safe: PortfolioEngine serializes the calls of one
// run.
#ifndef SEED_SERVICES_PORTFOLIO_ACCOUNT_H_
#define SEED_SERVICES_PORTFOLIO_ACCOUNT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "backtest/v1/portfolio.pb.h"
#include "common/stage_error.h"
#include "services/portfolio/portfolio.h"

namespace seed::portfolio {

class Account {
 public:
  // The account of `request` (its spec, symbols and sleeves), or nullptr
  // after appending every problem, each with its field path, to *problems.
  static std::unique_ptr<Account> Create(
      const backtest::v1::PortfolioStartRequest& request,
      std::vector<FieldProblem>* problems);

  // Portfolio::ApplySteps for every sleeve, each with the fills, events and
  // rejections of its own orders. A margin call in any sleeve stops the
  // account's views at its step. Views are the account's, with each
  // sleeve's in PortfolioView.strategies.
  absl::Status ApplySteps(const backtest::v1::ApplyStepsRequest& request,
                          backtest::v1::ApplyStepsResponse* response);

  // Portfolio::SizeIntents for every sleeve in strategy order (even one with
  // no intents, so that all of them commit the same step), each with its own
  // intents (Intent.strategy) and the caps counting the rest of the account,
  // the orders just accepted for earlier sleeves included.
  absl::Status SizeIntents(const backtest::v1::SizeIntentsRequest& request,
                           backtest::v1::SizeIntentsResponse* response);

  // Portfolio::End for every sleeve: their open (or closed-at-end) trades
  // and the account's last view.
  void End(backtest::v1::PortfolioEndResponse* response);

 private:
  Account(std::vector<std::unique_ptr<Portfolio>> sleeves,
          double unallocated_cash)
      : sleeves_(std::move(sleeves)), unallocated_cash_(unallocated_cash) {}

  // The account as of one close from the sleeves' views of it: money
  // summed (plus the unallocated cash), positions merged by symbol, every
  // working order, and the sleeves' views in `strategies`.
  void SumViews(std::vector<backtest::v1::PortfolioView*>& sleeve_views,
                backtest::v1::PortfolioView* account) const;

  std::vector<std::unique_ptr<Portfolio>> sleeves_;
  // The part of initial_cash no strategy was allocated: it stays as cash.
  double unallocated_cash_;
};

}  // namespace seed::portfolio

#endif  // SEED_SERVICES_PORTFOLIO_ACCOUNT_H_
