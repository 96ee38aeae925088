// The fill simulator of one run (DESIGN.md section 3): keeps the working
// orders in acceptance order and fills them against each time step's bars.
// Not thread-safe: ExecutionEngine serializes the calls of one run.
#ifndef SEED_SERVICES_EXECUTION_SIMULATOR_H_
#define SEED_SERVICES_EXECUTION_SIMULATOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "backtest/v1/execution.pb.h"
#include "services/execution/commission.h"
#include "services/execution/slippage.h"

namespace seed::execution {

class Simulator {
 public:
  // `symbols` is the run's symbol table (Order.symbol and Bar.symbol index it).
  Simulator(std::vector<std::string> symbols,
            std::unique_ptr<CommissionModel> commission,
            std::unique_ptr<SlippageModel> slippage);

  // Adds request.new_orders to the working orders, then fills every working
  // order whose symbol has a bar in request.step: all sells first, then all
  // buys (each in acceptance order), so a sale's proceeds pay for a buy at the
  // same open. A buy costing more than the cash left is rejected, not resized.
  // A malformed order or step fails the call and changes nothing.
  absl::Status ExecuteStep(const backtest::v1::ExecuteStepRequest& request,
                           backtest::v1::ExecuteStepResponse* response);

  // Hands over the orders still working, in acceptance order.
  void End(backtest::v1::ExecutionEndResponse* response);

 private:
  struct WorkingOrder {
    backtest::v1::Order order;
    bool done = false;  // filled or rejected at this step
  };

  absl::Status CheckStep(const backtest::v1::ExecuteStepRequest& request) const;
  absl::Status CheckOrder(const backtest::v1::Order& order, int64_t time) const;

  // Fills or rejects the working orders on `side` whose symbol has a bar;
  // *cash is what is left to pay for buys.
  void FillSide(backtest::v1::Side side, int64_t time, double* cash,
                backtest::v1::ExecuteStepResponse* response);

  std::vector<std::string> symbols_;
  std::unique_ptr<CommissionModel> commission_;
  std::unique_ptr<SlippageModel> slippage_;
  std::vector<WorkingOrder> working_;
  // The bar of each symbol in the step being executed, else null. Sized once
  // so that a step costs no allocation; reset before ExecuteStep returns.
  std::vector<const backtest::v1::Bar*> bar_of_symbol_;
};

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_SIMULATOR_H_
