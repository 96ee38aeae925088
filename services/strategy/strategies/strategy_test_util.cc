#include "services/strategy/strategies/strategy_test_util.h"

#include <cstdint>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backtest/v1/market.pb.h"
#include "backtest/v1/orders.pb.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "services/strategy/param_schema.h"
#include "services/strategy/strategy.h"
#include "services/strategy/strategy_engine.h"

namespace seed::strategy {
namespace {

using ::backtest::v1::Intent;

constexpr int64_t kDay = 86400;
// Shares the test portfolio holds after a BUY fills; any positive number.
constexpr double kHeld = 100;

backtest::v1::StrategySpec SpecOf(const std::string& name,
                                  const TestParams& params) {
  backtest::v1::StrategySpec spec;
  spec.set_name(name);
  for (const auto& [param, value] : params) {
    (*spec.mutable_params())[param] = value.value();
  }
  return spec;
}

backtest::v1::TimeStep StepOf(int64_t index, double close) {
  backtest::v1::TimeStep step;
  step.set_index(index);
  step.set_time(index * kDay);
  backtest::v1::Bar* bar = step.add_bars();
  bar->set_symbol(0);
  bar->set_close(close);
  return step;
}

std::string EventOf(const Intent& intent, size_t index) {
  return absl::StrCat(Intent::Action_Name(intent.action()), "@", index);
}

}  // namespace

std::vector<std::string> RunSteps(
    const StrategyDefinition& definition, const TestParams& params,
    const std::vector<backtest::v1::TimeStep>& steps) {
  const backtest::v1::StrategySpec spec =
      SpecOf(definition.info.name(), params);
  absl::StatusOr<ResolvedParams> resolved =
      ResolveParams(definition.info.params(), spec.params());
  EXPECT_TRUE(resolved.ok()) << resolved.status();
  if (!resolved.ok()) return {};
  std::unique_ptr<Strategy> strategy = definition.create();
  EXPECT_TRUE(
      strategy->OnStart(StartContext{"run-1", {"AAA"}, *std::move(resolved)})
          .ok());
  std::vector<std::string> events;
  double held = 0;
  for (size_t t = 0; t < steps.size(); ++t) {
    backtest::v1::PortfolioView view;
    if (held != 0) {
      backtest::v1::Position* position = view.add_positions();
      position->set_symbol(0);
      position->set_quantity(held);
    }
    backtest::v1::StrategyStepsResponse response;
    IntentSink sink(response.mutable_intents());
    const absl::Status status = strategy->OnBar(steps[t], view, sink);
    EXPECT_TRUE(status.ok()) << status;
    for (const Intent& intent : response.intents()) {
      events.push_back(EventOf(intent, t));
      const bool buys =
          intent.action() == Intent::BUY || intent.action() == Intent::COVER;
      backtest::v1::Fill fill;
      fill.set_symbol(0);
      fill.set_side(buys ? backtest::v1::BUY : backtest::v1::SELL);
      EXPECT_TRUE(strategy->OnFill(fill).ok());
      held = intent.action() == Intent::BUY     ? kHeld
             : intent.action() == Intent::SHORT ? -kHeld
                                                : 0;
    }
  }
  return events;
}

std::vector<std::string> RunCloses(const StrategyDefinition& definition,
                                   const TestParams& params,
                                   const std::vector<double>& closes) {
  std::vector<backtest::v1::TimeStep> steps;
  for (size_t t = 0; t < closes.size(); ++t) {
    steps.push_back(StepOf(t, closes[t]));
  }
  return RunSteps(definition, params, steps);
}

std::string FirstIntentThroughEngine(const std::string& name,
                                     const TestParams& params,
                                     const std::vector<double>& closes) {
  StrategyEngine engine;
  backtest::v1::StrategyStartRequest start;
  start.set_run_id("run-1");
  *start.mutable_strategy() = SpecOf(name, params);
  start.add_symbols("AAA");
  backtest::v1::StrategyStartResponse started;
  const absl::Status status = engine.StartRun(start, &started);
  EXPECT_TRUE(status.ok()) << status;
  if (!status.ok()) return "";
  std::string first;
  for (size_t t = 0; t < closes.size() && first.empty(); ++t) {
    backtest::v1::StrategyStepsRequest request;
    request.set_run_id("run-1");
    *request.add_steps() = StepOf(t, closes[t]);
    request.add_views();
    backtest::v1::StrategyStepsResponse response;
    const absl::Status stepped = engine.OnSteps(request, &response);
    EXPECT_TRUE(stepped.ok()) << stepped;
    if (response.intents_size() > 0) {
      first = absl::StrCat(EventOf(response.intents(0), t), ": ",
                           response.intents(0).reason());
    }
  }
  backtest::v1::StrategyEndRequest end;
  end.set_run_id("run-1");
  backtest::v1::StrategyEndResponse ended;
  EXPECT_TRUE(engine.EndRun(end, &ended).ok());
  return first;
}

std::string Describe(const Intent& intent) {
  std::string text = Intent::Action_Name(intent.action());
  if (intent.type() != backtest::v1::ORDER_TYPE_UNSPECIFIED) {
    absl::StrAppend(&text, " ", backtest::v1::OrderType_Name(intent.type()));
  }
  if (intent.order_id() != 0) absl::StrAppend(&text, " #", intent.order_id());
  if (intent.quantity() != 0) {
    absl::StrAppend(&text, " quantity ", intent.quantity());
  }
  if (intent.stop_price() != 0) {
    absl::StrAppend(&text, " stop ", intent.stop_price());
  }
  if (intent.initial_stop() != 0) {
    absl::StrAppend(&text, " initial_stop ", intent.initial_stop());
  }
  if (intent.has_bracket()) {
    absl::StrAppend(&text, " bracket stop ", intent.bracket().stop_loss(),
                    " r ", intent.bracket().take_profit_r());
  }
  if (intent.has_trail()) {
    absl::StrAppend(&text, " trail ", intent.trail().atr_multiple(), " x atr ",
                    intent.trail().atr(), "/", intent.trail().atr_length());
  }
  if (!intent.tag().empty()) absl::StrAppend(&text, " [", intent.tag(), "]");
  return text;
}

Ohlc Reflected(const Ohlc& bar, double axis) {
  return {axis - bar.open, axis - bar.low, axis - bar.high, axis - bar.close};
}

BarHarness::BarHarness(const StrategyDefinition& definition,
                       const TestParams& params) {
  const backtest::v1::StrategySpec spec =
      SpecOf(definition.info.name(), params);
  absl::StatusOr<ResolvedParams> resolved =
      ResolveParams(definition.info.params(), spec.params());
  EXPECT_TRUE(resolved.ok()) << resolved.status();
  strategy_ = definition.create();
  if (!resolved.ok()) return;
  EXPECT_TRUE(
      strategy_->OnStart(StartContext{"run-1", {"AAA"}, *std::move(resolved)})
          .ok());
}

std::vector<std::string> BarHarness::Bar(double open, double high, double low,
                                         double close) {
  backtest::v1::TimeStep step = StepOf(index_++, close);
  backtest::v1::Bar* bar = step.mutable_bars(0);
  bar->set_open(open);
  bar->set_high(high);
  bar->set_low(low);
  backtest::v1::PortfolioView view;
  if (held_ != 0) {
    backtest::v1::Position* position = view.add_positions();
    position->set_symbol(0);
    position->set_quantity(held_);
  }
  for (const backtest::v1::Order& order : working_) {
    *view.add_working_orders() = order;
  }
  backtest::v1::StrategyStepsResponse response;
  IntentSink sink(response.mutable_intents());
  const absl::Status status = strategy_->OnBar(step, view, sink);
  EXPECT_TRUE(status.ok()) << status;
  std::vector<std::string> described;
  for (const Intent& intent : response.intents()) {
    described.push_back(Describe(intent));
  }
  return described;
}

void BarHarness::Working(int64_t id, const std::string& tag) {
  backtest::v1::Order order;
  order.set_id(id);
  order.set_symbol(0);
  order.set_tag(tag);
  working_.push_back(order);
}

void BarHarness::Forget(int64_t id) {
  std::vector<backtest::v1::Order> kept;
  for (const backtest::v1::Order& order : working_) {
    if (order.id() != id) kept.push_back(order);
  }
  working_ = std::move(kept);
}

std::optional<backtest::v1::StrategyInfo> ListedInfo(const std::string& name) {
  StrategyEngine engine;
  backtest::v1::ListStrategiesResponse response;
  EXPECT_TRUE(engine.ListStrategies({}, &response).ok());
  for (const backtest::v1::StrategyInfo& info : response.strategies()) {
    if (info.name() == name) return info;
  }
  return std::nullopt;
}

std::vector<std::string> InvalidParamFields(const std::string& name,
                                            const TestParams& params) {
  StrategyEngine engine;
  backtest::v1::StrategyStartRequest start;
  start.set_run_id("run-1");
  *start.mutable_strategy() = SpecOf(name, params);
  start.add_symbols("AAA");
  backtest::v1::StrategyStartResponse started;
  const absl::Status status = engine.StartRun(start, &started);
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(status)) {
    fields.push_back(problem.field);
  }
  return fields;
}

}  // namespace seed::strategy
