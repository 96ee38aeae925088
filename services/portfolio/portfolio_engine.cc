#include "services/portfolio/portfolio_engine.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"

namespace seed::portfolio {
namespace {

constexpr char kStage[] = "portfolio";

}  // namespace

PortfolioEngine::PortfolioEngine() : runs_(kStage) {}
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
  std::unique_ptr<Account> account = Account::Create(request, &problems);
  if (!problems.empty()) return InvalidFields(kStage, "INVALID_SPEC", problems);
  return runs_.Add(request.run_id(), std::move(account));
}

absl::Status PortfolioEngine::ApplySteps(
    const backtest::v1::ApplyStepsRequest& request,
    backtest::v1::ApplyStepsResponse* response) {
  return runs_.With(request.run_id(), [&](Account& account) {
    return WithContext(account.ApplySteps(request, response), kStage,
                       {.run_id = request.run_id()});
  });
}

absl::Status PortfolioEngine::SizeIntents(
    const backtest::v1::SizeIntentsRequest& request,
    backtest::v1::SizeIntentsResponse* response) {
  return runs_.With(request.run_id(), [&](Account& account) {
    return WithContext(account.SizeIntents(request, response), kStage,
                       {.run_id = request.run_id()});
  });
}

absl::Status PortfolioEngine::EndRun(
    const backtest::v1::PortfolioEndRequest& request,
    backtest::v1::PortfolioEndResponse* response) {
  return runs_.Remove(request.run_id(), [&](Account& account) {
    account.End(response);
    return absl::OkStatus();
  });
}

}  // namespace seed::portfolio
