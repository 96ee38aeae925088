#include "services/execution/execution_engine.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/stage_error.h"

namespace seed::execution {
namespace {

constexpr char kStage[] = "execution";

}  // namespace

ExecutionEngine::ExecutionEngine() : runs_(kStage) {}
ExecutionEngine::~ExecutionEngine() = default;

absl::Status ExecutionEngine::StartRun(
    const backtest::v1::ExecutionStartRequest& request,
    backtest::v1::ExecutionStartResponse* response) {
  std::vector<FieldProblem> problems;
  if (request.run_id().empty()) {
    problems.push_back({"run_id", "must not be empty"});
  }
  if (request.symbols().empty()) {
    problems.push_back({"symbols", "must list the run's symbols, got none"});
  }
  std::unique_ptr<CommissionModel> commission =
      MakeCommissionModel(request.execution().commission(), &problems);
  std::unique_ptr<SlippageModel> slippage =
      MakeSlippageModel(request.execution().slippage(), &problems);
  const FillPolicy policy = MakeFillPolicy(request.execution(), &problems);
  if (!problems.empty()) return InvalidFields(kStage, "INVALID_SPEC", problems);

  auto simulator = std::make_unique<Simulator>(
      std::vector<std::string>(request.symbols().begin(),
                               request.symbols().end()),
      std::move(commission), std::move(slippage), policy);
  const bool needs_every_step = simulator->needs_every_step();
  if (absl::Status status = runs_.Add(request.run_id(), std::move(simulator));
      !status.ok()) {
    return status;
  }
  response->set_needs_every_step(needs_every_step);
  return absl::OkStatus();
}

absl::Status ExecutionEngine::ExecuteSteps(
    const backtest::v1::ExecuteStepsRequest& request,
    backtest::v1::ExecuteStepsResponse* response) {
  return runs_.With(request.run_id(), [&](Simulator& simulator) {
    return WithContext(simulator.ExecuteSteps(request, response), kStage,
                       {.run_id = request.run_id()});
  });
}

absl::Status ExecutionEngine::EndRun(
    const backtest::v1::ExecutionEndRequest& request,
    backtest::v1::ExecutionEndResponse* response) {
  return runs_.Remove(request.run_id(), [&](Simulator& simulator) {
    simulator.End(response);
    return absl::OkStatus();
  });
}

}  // namespace seed::execution
