#include "services/portfolio/account.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/time.h"

namespace seed::portfolio {
namespace {

constexpr char kStage[] = "portfolio";
// Allocations may add up to 1 give or take rounding in the spec's decimals.
constexpr double kAllocationSlack = 1e-9;

using ::backtest::v1::ApplyStepsRequest;
using ::backtest::v1::ApplyStepsResponse;
using ::backtest::v1::PortfolioView;
using ::backtest::v1::SizeIntentsRequest;
using ::backtest::v1::SizeIntentsResponse;

// The sleeve an item of a request belongs to, or an INVALID_ARGUMENT naming
// it and its time when it names none of the run's strategies.
absl::Status CheckSleeve(int32_t strategy, size_t sleeves,
                         absl::string_view what, int index, int64_t time) {
  if (strategy >= 0 && static_cast<size_t>(strategy) < sleeves) {
    return absl::OkStatus();
  }
  return StageFailure(absl::StatusCode::kInvalidArgument, kStage,
                      "UNKNOWN_STRATEGY",
                      absl::StrCat(what, " ", index, " names strategy ",
                                   strategy, "; the run has ", sleeves),
                      {.bar_time = FormatTime(time)});
}

// Adds each item of `items` to the request of its sleeve via `target`.
template <typename Item, typename Target>
absl::Status Route(const google::protobuf::RepeatedPtrField<Item>& items,
                   absl::string_view what,
                   std::vector<ApplyStepsRequest>& requests, Target target) {
  for (int i = 0; i < items.size(); ++i) {
    const Item& item = items.Get(i);
    if (absl::Status status =
            CheckSleeve(item.strategy(), requests.size(), what, i,
                        item.time());
        !status.ok()) {
      return status;
    }
    *target(requests[item.strategy()])->Add() = item;
  }
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<Account> Account::Create(
    const backtest::v1::PortfolioStartRequest& request,
    std::vector<FieldProblem>* problems) {
  const std::vector<std::string> symbols(request.symbols().begin(),
                                         request.symbols().end());
  const int count = std::max(request.sleeves_size(), 1);
  double allocated = 0;
  std::set<std::string> ids;
  for (int i = 0; i < request.sleeves_size(); ++i) {
    const backtest::v1::StrategySleeve& sleeve = request.sleeves(i);
    const std::string field = absl::StrCat("strategies[", i, "]");
    if (sleeve.id().empty()) {
      problems->push_back({field + ".id", "must not be empty"});
    } else if (!ids.insert(sleeve.id()).second) {
      problems->push_back({field + ".id",
                           absl::StrCat("\"", sleeve.id(),
                                        "\" names another strategy too; ids "
                                        "must be unique in a run")});
    }
    if (!(sleeve.allocation() > 0 && sleeve.allocation() <= 1)) {
      problems->push_back(
          {field + ".allocation",
           absl::StrCat("must be a fraction of portfolio.initial_cash in "
                        "(0, 1], got ",
                        sleeve.allocation())});
    }
    allocated += sleeve.allocation();
  }
  if (allocated > 1 + kAllocationSlack) {
    problems->push_back(
        {"strategies",
         absl::StrCat("the allocations add up to ", allocated,
                      "; together they may have at most all of "
                      "portfolio.initial_cash (1)")});
  }
  std::vector<std::unique_ptr<Portfolio>> sleeves;
  for (int i = 0; i < count; ++i) {
    Sleeve sleeve;
    if (request.sleeves_size() > 0) {
      sleeve = {.index = i,
                .count = count,
                .id = request.sleeves(i).id(),
                .allocation = request.sleeves(i).allocation()};
    }
    // The spec's own problems are reported once, by the first sleeve.
    std::vector<FieldProblem> sleeve_problems;
    sleeves.push_back(Portfolio::Create(request.portfolio(), symbols,
                                        i == 0 ? problems : &sleeve_problems,
                                        sleeve));
    if (sleeves.back() == nullptr) return nullptr;
  }
  if (!problems->empty()) return nullptr;
  const double unallocated =
      request.sleeves_size() == 0
          ? 0
          : std::max(0.0, 1 - allocated) * request.portfolio().initial_cash();
  return std::unique_ptr<Account>(new Account(std::move(sleeves), unallocated));
}

absl::Status Account::ApplySteps(const ApplyStepsRequest& request,
                                 ApplyStepsResponse* response) {
  if (sleeves_.size() == 1) return sleeves_[0]->ApplySteps(request, response);
  response->Clear();
  std::vector<ApplyStepsRequest> requests(sleeves_.size());
  for (ApplyStepsRequest& sleeve_request : requests) {
    sleeve_request.set_run_id(request.run_id());
    sleeve_request.set_at_close(request.at_close());
    *sleeve_request.mutable_steps() = request.steps();
  }
  absl::Status status = Route(
      request.fills(), "fill", requests,
      [](ApplyStepsRequest& r) { return r.mutable_fills(); });
  if (status.ok()) {
    status = Route(request.events(), "order event", requests,
                   [](ApplyStepsRequest& r) { return r.mutable_events(); });
  }
  if (status.ok()) {
    status = Route(request.rejections(), "rejection", requests,
                   [](ApplyStepsRequest& r) { return r.mutable_rejections(); });
  }
  if (!status.ok()) return status;

  std::vector<ApplyStepsResponse> responses(sleeves_.size());
  int views = request.steps_size();
  for (size_t k = 0; k < sleeves_.size(); ++k) {
    status = sleeves_[k]->ApplySteps(requests[k], &responses[k]);
    if (!status.ok()) return status;
    views = std::min(views, responses[k].views_size());
  }
  // The account stops at the earliest margin call of any sleeve.
  for (size_t k = 0; k < sleeves_.size(); ++k) {
    const ApplyStepsResponse& sleeve = responses[k];
    if (sleeve.margin_call().empty() || sleeve.views_size() != views) continue;
    response->set_margin_call(absl::StrCat(
        response->margin_call(), response->margin_call().empty() ? "" : "; ",
        "strategy ", sleeves_[k]->strategy_id(), ": ",
        sleeve.margin_call()));
  }
  std::vector<PortfolioView*> sleeve_views(sleeves_.size());
  for (int i = 0; i < views; ++i) {
    for (size_t k = 0; k < sleeves_.size(); ++k) {
      sleeve_views[k] = responses[k].mutable_views(i);
    }
    SumViews(sleeve_views, response->add_views());
  }
  for (ApplyStepsResponse& sleeve : responses) {
    for (backtest::v1::Trade& trade : *sleeve.mutable_closed_trades()) {
      *response->add_closed_trades() = std::move(trade);
    }
  }
  // Time order across the sleeves, as one portfolio reports them.
  std::stable_sort(response->mutable_closed_trades()->begin(),
                   response->mutable_closed_trades()->end(),
                   [](const backtest::v1::Trade& a,
                      const backtest::v1::Trade& b) {
                     return a.exit_time() < b.exit_time();
                   });
  return absl::OkStatus();
}

void Account::SumViews(std::vector<PortfolioView*>& sleeve_views,
                       PortfolioView* account) const {
  double cash = unallocated_cash_;
  double equity = unallocated_cash_;
  double buying_power = 0;
  std::map<int32_t, backtest::v1::Position> positions;
  for (PortfolioView* view : sleeve_views) {
    cash += view->cash();
    equity += view->equity();
    buying_power += view->buying_power();
    for (const backtest::v1::Position& held : view->positions()) {
      const auto [it, first] = positions.try_emplace(held.symbol(), held);
      if (first) continue;
      backtest::v1::Position& position = it->second;
      // Several sleeves hold the symbol: one position at the value-weighted
      // average price, entered when the first of them entered.
      const double quantity = position.quantity() + held.quantity();
      position.set_average_price(
          quantity == 0 ? 0
                        : (position.quantity() * position.average_price() +
                           held.quantity() * held.average_price()) /
                              quantity);
      position.set_quantity(quantity);
      position.set_market_value(position.market_value() + held.market_value());
      position.set_entry_time(
          std::min(position.entry_time(), held.entry_time()));
    }
    account->mutable_working_orders()->MergeFrom(view->working_orders());
  }
  double gross = 0;
  double net = 0;
  for (auto& [symbol, position] : positions) {
    if (position.quantity() == 0) continue;
    gross += std::fabs(position.market_value());
    net += position.market_value();
    *account->add_positions() = std::move(position);
  }
  account->set_time(sleeve_views.front()->time());
  account->set_cash(cash);
  account->set_equity(equity);
  account->set_buying_power(buying_power);
  account->set_gross_exposure(equity == 0 ? 0 : gross / equity);
  account->set_net_exposure(equity == 0 ? 0 : net / equity);
  for (PortfolioView* view : sleeve_views) {
    account->mutable_strategies()->Add(std::move(*view));
  }
}

absl::Status Account::SizeIntents(const SizeIntentsRequest& request,
                                  SizeIntentsResponse* response) {
  if (sleeves_.size() == 1) return sleeves_[0]->SizeIntents(request, response);
  response->Clear();
  std::vector<SizeIntentsRequest> requests(sleeves_.size());
  for (SizeIntentsRequest& sleeve_request : requests) {
    sleeve_request.set_run_id(request.run_id());
    sleeve_request.set_time(request.time());
    sleeve_request.set_step_index(request.step_index());
  }
  for (int i = 0; i < request.intents_size(); ++i) {
    const backtest::v1::Intent& intent = request.intents(i);
    if (absl::Status status =
            CheckSleeve(intent.strategy(), sleeves_.size(), "intent", i,
                        request.time());
        !status.ok()) {
      return status;
    }
    *requests[intent.strategy()].add_intents() = intent;
  }
  // Every sleeve at the same step first, so the others' equity and
  // positions below are as of that step's close.
  for (const std::unique_ptr<Portfolio>& sleeve : sleeves_) {
    if (absl::Status status =
            sleeve->CommitThrough(request.step_index(), request.time());
        !status.ok()) {
      return status;
    }
  }
  SizeIntentsResponse sleeve_response;
  for (size_t k = 0; k < sleeves_.size(); ++k) {
    OtherSleeves others{.effective = std::vector<double>(
                            sleeves_[k]->symbol_count()),
                        .equity = unallocated_cash_};
    for (size_t j = 0; j < sleeves_.size(); ++j) {
      if (j == k) continue;
      const std::vector<double> effective = sleeves_[j]->EffectiveQuantities();
      for (size_t s = 0; s < effective.size(); ++s) {
        others.effective[s] += effective[s];
      }
      others.equity += sleeves_[j]->Equity();
    }
    if (absl::Status status =
            sleeves_[k]->SizeIntents(requests[k], &sleeve_response, others);
        !status.ok()) {
      return status;
    }
    response->mutable_orders()->MergeFrom(sleeve_response.orders());
    response->mutable_rejections()->MergeFrom(sleeve_response.rejections());
    response->mutable_amendments()->MergeFrom(sleeve_response.amendments());
  }
  return absl::OkStatus();
}

void Account::End(backtest::v1::PortfolioEndResponse* response) {
  if (sleeves_.size() == 1) {
    sleeves_[0]->End(response);
    return;
  }
  std::vector<backtest::v1::PortfolioEndResponse> ends(sleeves_.size());
  std::vector<PortfolioView*> views;
  for (size_t k = 0; k < sleeves_.size(); ++k) {
    sleeves_[k]->End(&ends[k]);
    response->mutable_open_trades()->MergeFrom(ends[k].open_trades());
    response->mutable_closed_at_end()->MergeFrom(ends[k].closed_at_end());
    views.push_back(ends[k].mutable_view());
  }
  SumViews(views, response->mutable_view());
}

}  // namespace seed::portfolio
