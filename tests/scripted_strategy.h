// A strategy stage for coordinator-level tests: a subclass decides the
// intents of one step at a time (OnStep), and the stage handles the
// StrategyService protocol around it (runs of steps, stopping at the first
// step with intents) and keeps every view it was shown, per strategy of a run
// of several. Lets a test drive the real portfolio and execution stages with
// exactly the orders it needs.
#ifndef SEED_TESTS_SCRIPTED_STRATEGY_H_
#define SEED_TESTS_SCRIPTED_STRATEGY_H_

#include <cstdint>
#include <map>
#include <string>

#include "google/protobuf/repeated_field.h"
#include "services/coordinator/stages.h"

namespace seed::testing {

class ScriptedStrategy : public coordinator::StrategyStage {
 public:
  // The view of every step the strategy saw, by step index; in a run of
  // several strategies, those the one with `strategy_id` saw.
  const std::map<int64_t, backtest::v1::PortfolioView>& views(
      const std::string& strategy_id = "") const {
    static const auto* const kNone =
        new std::map<int64_t, backtest::v1::PortfolioView>();
    const auto found = views_.find(strategy_id);
    return found == views_.end() ? *kNone : found->second;
  }

  absl::Status ListStrategies(const coordinator::v1::ListStrategiesRequest&,
                              coordinator::v1::ListStrategiesResponse*) override {
    return absl::OkStatus();
  }
  absl::Status StartRun(const coordinator::v1::StrategyStartRequest& request,
                        coordinator::v1::StrategyStartResponse* response) override {
    *response->mutable_resolved() = request.strategy();
    return absl::OkStatus();
  }
  absl::Status EndRun(const coordinator::v1::StrategyEndRequest&,
                      coordinator::v1::StrategyEndResponse*) override {
    return absl::OkStatus();
  }
  absl::Status OnSteps(const coordinator::v1::StrategyStepsRequest& request,
                       coordinator::v1::StrategyStepsResponse* response) override {
    response->Clear();
    strategy_id_ = request.strategy_id();
    for (int i = 0; i < request.steps_size(); ++i) {
      views_[strategy_id_][request.steps(i).index()] = request.views(i);
      response->set_steps_used(i + 1);
      OnStep(request.steps(i), request.views(i), response->mutable_intents());
      if (response->intents_size() > 0) break;
    }
    return absl::OkStatus();
  }

 protected:
  // The strategy being asked (StrategyStepsRequest.strategy_id): empty in a
  // run of one.
  const std::string& strategy_id() const { return strategy_id_; }

  // The intents of one step. It must depend only on the step and the view
  // (and what the subclass learnt from earlier steps it was shown), never on
  // how the coordinator chunks the steps.
  virtual void OnStep(
      const backtest::v1::TimeStep& step,
      const backtest::v1::PortfolioView& view,
      google::protobuf::RepeatedPtrField<backtest::v1::Intent>* intents) = 0;

 private:
  std::string strategy_id_;
  std::map<std::string, std::map<int64_t, backtest::v1::PortfolioView>> views_;
};

}  // namespace seed::testing

#endif  // SEED_TESTS_SCRIPTED_STRATEGY_H_
