// The fill simulator of one run (DESIGN.md section 3): keeps the working
// orders in acceptance order and fills them against a run of time steps,
// holding the last call's outcome as tentative until the next call says how
// many of its steps the coordinator consumed.
// Not thread-safe: ExecutionEngine serializes the calls of one run.
#ifndef SEED_SERVICES_EXECUTION_SIMULATOR_H_
#define SEED_SERVICES_EXECUTION_SIMULATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
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

  // First resolves the previous call's tentative steps against
  // request.steps(0).index(): those before it are committed, the others are
  // discarded as if never simulated. Then adds request.new_orders to the
  // working orders and simulates request.steps in order, stopping after the
  // first step at which an order filled or was rejected. At one step, every
  // working order whose symbol has a bar fills at its open: all sells first,
  // then all buys (each in acceptance order), so a sale's proceeds pay for a
  // buy at the same open. A buy costing more than the cash left of
  // request.available_cash is rejected, not resized.
  // Fails with INVALID_ARGUMENT on a malformed request (no steps, steps not
  // consecutive, a bad bar or order) and FAILED_PRECONDITION
  // (STEP_OUT_OF_ORDER) when steps(0) is at or before a committed step; a
  // failed call changes nothing.
  absl::Status ExecuteSteps(const backtest::v1::ExecuteStepsRequest& request,
                            backtest::v1::ExecuteStepsResponse* response);

  // Commits every tentative step, then hands over the orders still working,
  // in acceptance order.
  void End(backtest::v1::ExecutionEndResponse* response);

 private:
  struct WorkingOrder {
    backtest::v1::Order order;
    // Filled or rejected at the tentative fill step: kept until the next call
    // tells whether that step was consumed (then erased) or not (then the
    // order works again).
    bool done = false;
  };

  // The steps the last call simulated, not yet committed or discarded.
  struct TentativeSteps {
    int64_t first_index;
    int64_t last_index;
  };

  absl::Status CheckRequest(
      const backtest::v1::ExecuteStepsRequest& request) const;
  absl::Status CheckStep(const backtest::v1::TimeStep& step,
                         int64_t expected_index) const;
  absl::Status CheckOrder(const backtest::v1::Order& order, int64_t time) const;

  // Commits the tentative steps with an index below `next_index` and discards
  // the others.
  void Resolve(int64_t next_index);

  // Fills or rejects the working orders at `step`; returns whether any order
  // filled or was rejected. *cash is what is left to pay for buys.
  bool SimulateStep(const backtest::v1::TimeStep& step, double* cash,
                    backtest::v1::ExecuteStepsResponse* response);

  // Fills or rejects the working orders on `side` whose symbol has a bar;
  // *cash is what is left to pay for buys.
  void FillSide(backtest::v1::Side side, int64_t time, double* cash,
                backtest::v1::ExecuteStepsResponse* response);

  std::vector<std::string> symbols_;
  std::unique_ptr<CommissionModel> commission_;
  std::unique_ptr<SlippageModel> slippage_;
  std::vector<WorkingOrder> working_;
  // The index of the last committed step; no call may start at or before it.
  int64_t committed_through_ = -1;
  std::optional<TentativeSteps> tentative_;
  // The bar of each symbol in the step being simulated, else null. Sized once
  // so that a step costs no allocation; reset after each step.
  std::vector<const backtest::v1::Bar*> bar_of_symbol_;
};

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_SIMULATOR_H_
