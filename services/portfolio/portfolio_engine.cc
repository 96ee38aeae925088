#include "services/portfolio/portfolio_engine.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "services/portfolio/portfolio.h"

namespace seed::portfolio {
namespace {

constexpr char kStage[] = "portfolio";

}  // namespace

struct PortfolioEngine::Run {
  Run(double initial_cash, std::vector<std::string> symbols,
      std::unique_ptr<SizingRule> sizing)
      : portfolio(initial_cash, std::move(symbols), std::move(sizing)) {}

  absl::Mutex mu;
  Portfolio portfolio ABSL_GUARDED_BY(mu);
};

PortfolioEngine::PortfolioEngine() = default;
PortfolioEngine::~PortfolioEngine() = default;

absl::Status PortfolioEngine::StartRun(
    const backtest::v1::PortfolioStartRequest& request,
    backtest::v1::PortfolioStartResponse* /*response*/) {
  std::vector<FieldProblem> problems;
  if (request.run_id().empty()) {
    problems.push_back({"run_id", "must not be empty"});
  }
  if (request.symbols().empty()) {
    problems.push_back({"symbols", "must list the run's symbols, got none"});
  }
  const double initial_cash = request.portfolio().initial_cash();
  if (!(std::isfinite(initial_cash) && initial_cash > 0)) {
    problems.push_back(
        {"portfolio.initial_cash",
         absl::StrCat("must be an amount > 0, got ", initial_cash)});
  }
  std::unique_ptr<SizingRule> sizing =
      MakeSizingRule(request.portfolio().sizing(), &problems);
  if (!problems.empty()) return InvalidFields(kStage, "INVALID_SPEC", problems);

  auto run =
      std::make_shared<Run>(initial_cash,
                            std::vector<std::string>(request.symbols().begin(),
                                                     request.symbols().end()),
                            std::move(sizing));
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

absl::StatusOr<std::shared_ptr<PortfolioEngine::Run>> PortfolioEngine::FindRun(
    const std::string& run_id, bool forget) {
  absl::MutexLock lock(&mu_);
  const auto it = runs_.find(run_id);
  if (it == runs_.end()) {
    return StageFailure(absl::StatusCode::kNotFound, kStage, "UNKNOWN_RUN",
                        absl::StrCat("no run ", run_id, " in portfolio"),
                        {.run_id = run_id,
                         .hint = "call StartRun first; a run is forgotten "
                                 "after EndRun"});
  }
  std::shared_ptr<Run> run = it->second;
  if (forget) runs_.erase(it);
  return run;
}

absl::Status PortfolioEngine::ApplyStep(
    const backtest::v1::ApplyStepRequest& request,
    backtest::v1::ApplyStepResponse* response) {
  absl::StatusOr<std::shared_ptr<Run>> run =
      FindRun(request.run_id(), /*forget=*/false);
  if (!run.ok()) return run.status();
  absl::MutexLock lock(&(*run)->mu);
  return WithContext((*run)->portfolio.ApplyStep(request, response), kStage,
                     {.run_id = request.run_id()});
}

absl::Status PortfolioEngine::SizeIntents(
    const backtest::v1::SizeIntentsRequest& request,
    backtest::v1::SizeIntentsResponse* response) {
  absl::StatusOr<std::shared_ptr<Run>> run =
      FindRun(request.run_id(), /*forget=*/false);
  if (!run.ok()) return run.status();
  absl::MutexLock lock(&(*run)->mu);
  return WithContext((*run)->portfolio.SizeIntents(request, response), kStage,
                     {.run_id = request.run_id()});
}

absl::Status PortfolioEngine::EndRun(
    const backtest::v1::PortfolioEndRequest& request,
    backtest::v1::PortfolioEndResponse* response) {
  absl::StatusOr<std::shared_ptr<Run>> run =
      FindRun(request.run_id(), /*forget=*/true);
  if (!run.ok()) return run.status();
  absl::MutexLock lock(&(*run)->mu);
  (*run)->portfolio.End(response);
  return absl::OkStatus();
}

}  // namespace seed::portfolio
