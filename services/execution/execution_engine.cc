#include "services/execution/execution_engine.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "services/execution/simulator.h"

namespace seed::execution {
namespace {

constexpr char kStage[] = "execution";

}  // namespace

struct ExecutionEngine::Run {
  Run(std::vector<std::string> symbols,
      std::unique_ptr<CommissionModel> commission,
      std::unique_ptr<SlippageModel> slippage)
      : simulator(std::move(symbols), std::move(commission),
                  std::move(slippage)) {}

  absl::Mutex mu;
  Simulator simulator ABSL_GUARDED_BY(mu);
};

ExecutionEngine::ExecutionEngine() = default;
ExecutionEngine::~ExecutionEngine() = default;

absl::Status ExecutionEngine::StartRun(
    const backtest::v1::ExecutionStartRequest& request,
    backtest::v1::ExecutionStartResponse* /*response*/) {
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
  if (!problems.empty()) return InvalidFields(kStage, "INVALID_SPEC", problems);

  auto run =
      std::make_shared<Run>(std::vector<std::string>(request.symbols().begin(),
                                                     request.symbols().end()),
                            std::move(commission), std::move(slippage));
  absl::MutexLock lock(&mu_);
  if (!runs_.try_emplace(request.run_id(), std::move(run)).second) {
    return StageFailure(
        absl::StatusCode::kAlreadyExists, kStage, "RUN_EXISTS",
        absl::StrCat("run ", request.run_id(), " is already started"),
        {.run_id = request.run_id(),
         .hint = "end the run first or use a new run id"});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<ExecutionEngine::Run>> ExecutionEngine::FindRun(
    const std::string& run_id, bool forget) {
  absl::MutexLock lock(&mu_);
  const auto it = runs_.find(run_id);
  if (it == runs_.end()) {
    return StageFailure(absl::StatusCode::kNotFound, kStage, "UNKNOWN_RUN",
                        absl::StrCat("no run ", run_id, " in execution"),
                        {.run_id = run_id,
                         .hint = "call StartRun first; a run is forgotten "
                                 "after EndRun"});
  }
  std::shared_ptr<Run> run = it->second;
  if (forget) runs_.erase(it);
  return run;
}

absl::Status ExecutionEngine::ExecuteStep(
    const backtest::v1::ExecuteStepRequest& request,
    backtest::v1::ExecuteStepResponse* response) {
  absl::StatusOr<std::shared_ptr<Run>> run =
      FindRun(request.run_id(), /*forget=*/false);
  if (!run.ok()) return run.status();
  absl::MutexLock lock(&(*run)->mu);
  return WithContext((*run)->simulator.ExecuteStep(request, response), kStage,
                     {.run_id = request.run_id()});
}

absl::Status ExecutionEngine::EndRun(
    const backtest::v1::ExecutionEndRequest& request,
    backtest::v1::ExecutionEndResponse* response) {
  absl::StatusOr<std::shared_ptr<Run>> run =
      FindRun(request.run_id(), /*forget=*/true);
  if (!run.ok()) return run.status();
  absl::MutexLock lock(&(*run)->mu);
  (*run)->simulator.End(response);
  return absl::OkStatus();
}

}  // namespace seed::execution
