#include "services/strategy/strategy_engine.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "google/protobuf/repeated_field.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

using ::backtest::v1::Intent;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kJan2 = 946771200;  // 2000-01-02
constexpr int64_t kDay = 86400;

// The time of step `index`: one step a day from kJan2.
int64_t TimeOf(int64_t index) { return kJan2 + index * kDay; }

std::string RunIdOf(const absl::Status& status) {
  google::rpc::ErrorInfo info;
  const auto payload = status.GetPayload(kErrorInfoTypeUrl);
  if (!payload.has_value() || !info.ParseFromString(std::string(*payload))) {
    return "";
  }
  return info.metadata().count("run_id") ? info.metadata().at("run_id") : "";
}

absl::Status StartRun(StrategyEngine& engine,
                      const backtest::v1::StrategyStartRequest& request) {
  backtest::v1::StrategyStartResponse response;
  return engine.StartRun(request, &response);
}

absl::Status End(StrategyEngine& engine, const std::string& run_id) {
  backtest::v1::StrategyEndRequest request;
  request.set_run_id(run_id);
  backtest::v1::StrategyEndResponse response;
  return engine.EndRun(request, &response);
}

backtest::v1::StrategyStartRequest SmaCrossRun(const std::string& run_id) {
  backtest::v1::StrategyStartRequest request;
  request.set_run_id(run_id);
  request.mutable_strategy()->set_name("sma_cross");
  (*request.mutable_strategy()->mutable_params())["fast"].set_number(2);
  (*request.mutable_strategy()->mutable_params())["slow"].set_number(3);
  request.add_symbols("AAA");
  return request;
}

// Steps first_index, first_index + 1, ... one day apart from kJan2, one close
// of symbol 0 each, with an empty portfolio view each.
backtest::v1::StrategyStepsRequest Steps(const std::string& run_id,
                                         int64_t first_index,
                                         const std::vector<double>& closes) {
  backtest::v1::StrategyStepsRequest request;
  request.set_run_id(run_id);
  for (size_t i = 0; i < closes.size(); ++i) {
    auto* step = request.add_steps();
    step->set_index(first_index + i);
    step->set_time(TimeOf(first_index + i));
    auto* bar = step->add_bars();
    bar->set_symbol(0);
    bar->set_close(closes[i]);
    request.add_views();
  }
  return request;
}

backtest::v1::StrategyStepsRequest Step(const std::string& run_id,
                                        int64_t index, double close) {
  return Steps(run_id, index, {close});
}

TEST(StrategyEngineTest, ListsSmaCrossWithItsSchema) {
  StrategyEngine engine;
  backtest::v1::ListStrategiesResponse response;
  ASSERT_TRUE(engine.ListStrategies({}, &response).ok());
  const backtest::v1::StrategyInfo* sma_cross = nullptr;
  for (const auto& info : response.strategies()) {
    if (info.name() == "sma_cross") sma_cross = &info;
  }
  ASSERT_NE(sma_cross, nullptr);
  EXPECT_FALSE(sma_cross->description().empty());
  ASSERT_EQ(sma_cross->params_size(), 3);
  const backtest::v1::ParamSchema& fast = sma_cross->params(0);
  EXPECT_EQ(fast.name(), "fast");
  EXPECT_EQ(fast.type(), "int");
  EXPECT_EQ(fast.default_value().number(), 10);
  EXPECT_EQ(fast.min(), 1);
  EXPECT_EQ(fast.max(), 1000);
  const backtest::v1::ParamSchema& slow = sma_cross->params(1);
  EXPECT_EQ(slow.name(), "slow");
  EXPECT_EQ(slow.default_value().number(), 30);
  EXPECT_EQ(slow.min(), 2);
  EXPECT_EQ(slow.max(), 5000);
  const backtest::v1::ParamSchema& direction = sma_cross->params(2);
  EXPECT_EQ(direction.name(), "direction");
  EXPECT_EQ(direction.type(), "string");
  EXPECT_EQ(direction.default_value().text(), "long");
  EXPECT_THAT(direction.choices(), ElementsAre("long", "short", "both"));
}

TEST(StrategyEngineTest, EveryBuiltinStrategyResolvesWithItsDefaults) {
  StrategyEngine engine;
  backtest::v1::ListStrategiesResponse response;
  ASSERT_TRUE(engine.ListStrategies({}, &response).ok());
  for (const auto& info : response.strategies()) {
    backtest::v1::StrategySpec spec;
    spec.set_name(info.name());
    const absl::StatusOr<backtest::v1::StrategySpec> resolved =
        engine.ResolveSpec(spec);
    ASSERT_TRUE(resolved.ok()) << info.name() << ": " << resolved.status();
    EXPECT_EQ(resolved->params_size(), info.params_size());
  }
}

TEST(StrategyEngineTest, ResolveSpecFillsDefaults) {
  StrategyEngine engine;
  backtest::v1::StrategySpec spec;
  spec.set_name("sma_cross");
  (*spec.mutable_params())["fast"].set_number(5);
  const absl::StatusOr<backtest::v1::StrategySpec> resolved =
      engine.ResolveSpec(spec);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->name(), "sma_cross");
  EXPECT_EQ(resolved->params().at("fast").number(), 5);
  EXPECT_EQ(resolved->params().at("slow").number(), 30);
}

TEST(StrategyEngineTest, UnknownStrategyListsTheKnownNames) {
  StrategyEngine engine;
  backtest::v1::StrategyStartRequest request = SmaCrossRun("run-1");
  request.mutable_strategy()->set_name("sma_crsos");
  const absl::Status status = StartRun(engine, request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").reason(), "UNKNOWN_STRATEGY");
  const std::vector<FieldProblem> problems = FieldProblems(status);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "strategy.name");
  EXPECT_THAT(problems[0].description, HasSubstr("\"sma_crsos\""));
  // Every listed name, in the (sorted) order ListStrategies gives them.
  backtest::v1::ListStrategiesResponse listed;
  ASSERT_TRUE(engine.ListStrategies({}, &listed).ok());
  std::vector<std::string> names;
  for (const auto& info : listed.strategies()) names.push_back(info.name());
  ASSERT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_THAT(problems[0].description,
              HasSubstr(absl::StrCat("known strategies: ",
                                     absl::StrJoin(names, ", "))));
  EXPECT_THAT(problems[0].description,
              HasSubstr("bollinger_reversion, cross_sectional_momentum, "
                        "donchian_breakout, ema_cross"));
  EXPECT_EQ(engine.ResolveSpec(request.strategy()).status().message(),
            status.message());
  EXPECT_EQ(ToStageError(status, "").symbol(), "");
}

TEST(StrategyEngineTest, StartRunReturnsTheParamsWithDefaultsFilledIn) {
  StrategyEngine engine;
  backtest::v1::StrategyStartRequest request = SmaCrossRun("run-resolved");
  request.mutable_strategy()->clear_params();
  (*request.mutable_strategy()->mutable_params())["fast"].set_number(5);
  backtest::v1::StrategyStartResponse response;
  ASSERT_TRUE(engine.StartRun(request, &response).ok());
  EXPECT_EQ(response.resolved().name(), "sma_cross");
  EXPECT_EQ(response.resolved().params().at("fast").number(), 5);
  EXPECT_EQ(response.resolved().params().at("slow").number(), 30);
}

TEST(StrategyEngineTest, StartRunReportsEveryParamProblem) {
  StrategyEngine engine;
  backtest::v1::StrategyStartRequest request = SmaCrossRun("run-1");
  auto& params = *request.mutable_strategy()->mutable_params();
  params["fast"].set_number(0);
  params["slow"].set_number(2.5);
  params["period"].set_number(3);
  const absl::Status status = StartRun(engine, request);
  EXPECT_EQ(ToStageError(status, "").reason(), "INVALID_PARAMS");
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(status)) {
    fields.push_back(problem.field);
  }
  EXPECT_THAT(fields,
              ElementsAre("strategy.params.fast", "strategy.params.slow",
                          "strategy.params.period"));
}

// Closes 10, 9, 8, 9, 11 with fast 2, slow 3: fast - slow is -1/2, -1/6 at
// steps 2 and 3, then +2/3 at step 4: the only cross, a BUY.
TEST(StrategyEngineTest, OnStepsOneStepAtATimeReturnsTheStrategysIntents) {
  StrategyEngine engine;
  ASSERT_TRUE(StartRun(engine, SmaCrossRun("run-1")).ok());
  const std::vector<double> closes = {10, 9, 8, 9, 11};
  for (size_t i = 0; i < closes.size(); ++i) {
    backtest::v1::StrategyStepsResponse response;
    const absl::Status status =
        engine.OnSteps(Step("run-1", i, closes[i]), &response);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(response.steps_used(), 1);
    if (i < 4) {
      EXPECT_EQ(response.intents_size(), 0) << "step " << i;
      continue;
    }
    ASSERT_EQ(response.intents_size(), 1);
    EXPECT_EQ(response.intents(0).action(), Intent::BUY);
    EXPECT_EQ(response.intents(0).symbol(), 0);
    EXPECT_EQ(response.intents(0).reason(), "sma 2 crossed above sma 3");
  }
  EXPECT_TRUE(End(engine, "run-1").ok());
}

// The same closes in one run of steps: it stops at the BUY of step 4 and
// leaves step 5 to the next call, which starts there.
TEST(StrategyEngineTest, OnStepsStopsAfterTheFirstStepWithIntents) {
  StrategyEngine engine;
  ASSERT_TRUE(StartRun(engine, SmaCrossRun("run-1")).ok());
  backtest::v1::StrategyStepsResponse response;
  ASSERT_TRUE(
      engine.OnSteps(Steps("run-1", 0, {10, 9, 8, 9, 11, 12}), &response).ok());
  EXPECT_EQ(response.steps_used(), 5);
  ASSERT_EQ(response.intents_size(), 1);
  EXPECT_EQ(response.intents(0).action(), Intent::BUY);

  // Fast 11.5 > slow 32/3 still: no new cross, every step used.
  ASSERT_TRUE(engine.OnSteps(Steps("run-1", 5, {12}), &response).ok());
  EXPECT_EQ(response.steps_used(), 1);
  EXPECT_EQ(response.intents_size(), 0);
}

// Drives sma_cross (fast 2, slow 3) over `closes` in calls of up to `chunk`
// steps, as the coordinator does: an intent made at step t fills at the open
// of step t + 1, the first step of the next call, and every view from then on
// shows the position. Returns "BUY@4"-style events.
std::vector<std::string> DriveSmaCross(const std::vector<double>& closes,
                                       size_t chunk) {
  StrategyEngine engine;
  EXPECT_TRUE(StartRun(engine, SmaCrossRun("run-1")).ok());
  std::vector<std::string> events;
  double held = 0;
  google::protobuf::RepeatedPtrField<backtest::v1::Fill> untold;
  size_t next = 0;
  while (next < closes.size()) {
    const size_t end = std::min(closes.size(), next + chunk);
    backtest::v1::StrategyStepsRequest request =
        Steps("run-1", next,
              std::vector<double>(closes.begin() + next, closes.begin() + end));
    request.mutable_fills()->Swap(&untold);
    if (held != 0) {
      for (auto& view : *request.mutable_views()) {
        auto* position = view.add_positions();
        position->set_symbol(0);
        position->set_quantity(held);
      }
    }
    backtest::v1::StrategyStepsResponse response;
    const absl::Status status = engine.OnSteps(request, &response);
    EXPECT_TRUE(status.ok()) << status;
    if (!status.ok() || response.steps_used() < 1 ||
        response.steps_used() > static_cast<int>(end - next)) {
      ADD_FAILURE() << "steps_used " << response.steps_used() << " of "
                    << end - next;
      break;
    }
    next += response.steps_used();
    for (const Intent& intent : response.intents()) {
      events.push_back(
          absl::StrCat(Intent::Action_Name(intent.action()), "@", next - 1));
      const bool buy = intent.action() == Intent::BUY;
      held = buy ? 100 : 0;
      auto* fill = untold.Add();
      fill->set_symbol(0);
      fill->set_side(buy ? backtest::v1::BUY : backtest::v1::SELL);
      fill->set_time(TimeOf(next));
    }
  }
  EXPECT_TRUE(End(engine, "run-1").ok());
  return events;
}

// The hand-checked series of sma_cross_test.cc (BuysOnCrossAboveAndClosesOn
// CrossBelow): any chunking gives the events of one step at a time.
TEST(StrategyEngineTest, RunsOfStepsMatchOneStepAtATime) {
  const std::vector<double> closes = {10, 9, 8, 9, 11, 12, 10,
                                      9,  8, 8, 9, 6,  6,  9};
  const std::vector<std::string> one_at_a_time = DriveSmaCross(closes, 1);
  EXPECT_THAT(one_at_a_time,
              ElementsAre("BUY@4", "CLOSE@7", "BUY@10", "CLOSE@11", "BUY@13"));
  for (size_t chunk : {2, 3, 7, 100}) {
    EXPECT_EQ(DriveSmaCross(closes, chunk), one_at_a_time) << chunk;
  }
}

TEST(StrategyEngineTest, UnknownRun) {
  StrategyEngine engine;
  backtest::v1::StrategyStepsResponse response;
  absl::Status status = engine.OnSteps(Step("nope", 0, 10), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ToStageError(status, "").stage(), "strategy");
  EXPECT_EQ(ToStageError(status, "").reason(), "UNKNOWN_RUN");
  EXPECT_EQ(RunIdOf(status), "nope");

  EXPECT_EQ(End(engine, "nope").code(), absl::StatusCode::kNotFound);
}

TEST(StrategyEngineTest, EndRunForgetsTheRun) {
  StrategyEngine engine;
  ASSERT_TRUE(StartRun(engine, SmaCrossRun("run-1")).ok());
  ASSERT_TRUE(End(engine, "run-1").ok());
  backtest::v1::StrategyStepsResponse response;
  EXPECT_EQ(engine.OnSteps(Step("run-1", 0, 10), &response).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(End(engine, "run-1").code(), absl::StatusCode::kNotFound);
  // The id is free again.
  EXPECT_TRUE(StartRun(engine, SmaCrossRun("run-1")).ok());
}

TEST(StrategyEngineTest, StrategiesOfOneRunAreSeparateInstances) {
  StrategyEngine engine;
  backtest::v1::StrategyStartRequest fast = SmaCrossRun("run-1");
  fast.set_strategy_id("fast");
  backtest::v1::StrategyStartRequest slow = SmaCrossRun("run-1");
  slow.set_strategy_id("slow");
  ASSERT_TRUE(StartRun(engine, fast).ok());
  ASSERT_TRUE(StartRun(engine, slow).ok());
  EXPECT_EQ(StartRun(engine, slow).code(), absl::StatusCode::kAlreadyExists);
  backtest::v1::StrategyEndRequest end;
  end.set_run_id("run-1");
  end.set_strategy_id("fast");
  backtest::v1::StrategyEndResponse ended;
  ASSERT_TRUE(engine.EndRun(end, &ended).ok());
  // "slow" still runs; "fast" is gone.
  backtest::v1::StrategyStepsRequest steps = Step("run-1", 0, 10);
  steps.set_strategy_id("slow");
  backtest::v1::StrategyStepsResponse response;
  EXPECT_TRUE(engine.OnSteps(steps, &response).ok());
  steps.set_strategy_id("fast");
  const absl::Status gone = engine.OnSteps(steps, &response);
  EXPECT_EQ(gone.code(), absl::StatusCode::kNotFound);
  // The failure names the run by its own id, and the strategy apart.
  EXPECT_EQ(RunIdOf(gone), "run-1");
  EXPECT_THAT(std::string(gone.message()),
              ::testing::HasSubstr("no run run-1 strategy fast in strategy"));
}

TEST(StrategyEngineTest, StartRunRejectsADuplicateRunAndMissingFields) {
  StrategyEngine engine;
  ASSERT_TRUE(StartRun(engine, SmaCrossRun("run-1")).ok());
  EXPECT_EQ(StartRun(engine, SmaCrossRun("run-1")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ToStageError(StartRun(engine, SmaCrossRun("")), "").reason(),
            "MISSING_RUN_ID");
  backtest::v1::StrategyStartRequest no_symbols = SmaCrossRun("run-2");
  no_symbols.clear_symbols();
  EXPECT_EQ(ToStageError(StartRun(engine, no_symbols), "").reason(),
            "NO_SYMBOLS");
}

TEST(StrategyEngineTest, SymbolIndexOutsideTheRunFails) {
  StrategyEngine engine;
  ASSERT_TRUE(StartRun(engine, SmaCrossRun("run-1")).ok());
  backtest::v1::StrategyStepsRequest request = Step("run-1", 0, 10);
  request.mutable_steps(0)->mutable_bars(0)->set_symbol(3);
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = engine.OnSteps(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.reason(), "UNKNOWN_SYMBOL_INDEX");
  EXPECT_EQ(error.bar_time(), "2000-01-02");
  EXPECT_THAT(error.message(), HasSubstr("symbol index 3"));
}

// Records every hook call into a log the test owns, and misbehaves on
// request: fail_in names the hook that returns an error. OnBar logs the
// view's cash; from step quiet_until on it emits one intent, `emit` (and is
// the bar hook that fail_in "bar" fails). Symbol starts are logged only with
// log_symbol_starts, so the other tests' logs stay short.
class Recorder final : public Strategy {
 public:
  explicit Recorder(std::vector<std::string>* log) : log_(log) {}

  absl::Status OnStart(const StartContext& context) override {
    fail_in_ = context.params.Text("fail_in");
    emit_ = context.params.Text("emit");
    quiet_until_ = context.params.Int("quiet_until");
    log_symbol_starts_ = context.params.Flag("log_symbol_starts");
    symbols_ = context.symbols;
    return Hook("start");
  }
  absl::Status OnOrderEvent(const backtest::v1::OrderEvent& event) override {
    return Hook(absl::StrCat("event ", event.order_id(), " ",
                             backtest::v1::OrderEvent::Kind_Name(event.kind())),
                "event");
  }
  absl::Status OnSymbolStart(int32_t symbol,
                             const backtest::v1::Bar& first_bar) override {
    if (!log_symbol_starts_ && fail_in_ != "symbol start") {
      return absl::OkStatus();
    }
    return Hook(absl::StrCat("symbol start ", symbols_[symbol], " close ",
                             first_bar.close()),
                "symbol start");
  }
  absl::Status OnFill(const backtest::v1::Fill& fill) override {
    return Hook(absl::StrCat("fill ", fill.order_id()), "fill");
  }
  absl::Status OnRejection(const backtest::v1::Rejection& rejection) override {
    return Hook(absl::StrCat("rejection ", rejection.order_id()), "fill");
  }
  absl::Status OnBar(const backtest::v1::TimeStep& step,
                     const backtest::v1::PortfolioView& portfolio,
                     IntentSink& out) override {
    if (step.index() >= quiet_until_) {
      Intent intent;
      intent.set_symbol(0);
      if (absl::StartsWith(emit_, "CANCEL")) {
        intent.set_action(Intent::CANCEL);  // no order type: none is needed
        if (emit_ == "CANCEL 7") intent.set_order_id(7);
      } else {
        intent.set_action(Intent::BUY);
        if (emit_ == "BUY") intent.set_type(backtest::v1::MARKET);
      }
      out.Emit(intent);
    }
    return Hook(absl::StrCat("bar ", step.index(), " cash ", portfolio.cash()),
                step.index() >= quiet_until_ ? "bar" : "quiet bar");
  }
  absl::Status OnEnd() override { return Hook("end"); }

 private:
  absl::Status Hook(const std::string& entry, const std::string& hook = "") {
    log_->push_back(entry);
    return fail_in_ == (hook.empty() ? entry : hook)
               ? absl::InternalError(absl::StrCat("boom in ", entry))
               : absl::OkStatus();
  }

  std::vector<std::string>* log_;
  std::string fail_in_;
  std::string emit_;
  int64_t quiet_until_ = 0;
  bool log_symbol_starts_ = false;
  std::vector<std::string> symbols_;
};

class RecorderEngineTest : public ::testing::Test {
 protected:
  RecorderEngineTest() : engine_(Registry(&log_)) {}

  static StrategyRegistry Registry(std::vector<std::string>* log) {
    StrategyDefinition definition;
    definition.info.set_name("recorder");
    *definition.info.add_params() = StringParam(
        "fail_in", "none",
        {"none", "start", "fill", "event", "symbol start", "bar", "end"}, "");
    *definition.info.add_params() = StringParam(
        "emit", "BUY", {"BUY", "untyped BUY", "CANCEL 7", "CANCEL without id"},
        "");
    *definition.info.add_params() =
        IntParam("quiet_until", 0, std::nullopt, std::nullopt, "");
    *definition.info.add_params() = BoolParam("log_symbol_starts", false, "");
    definition.create = [log] { return std::make_unique<Recorder>(log); };
    StrategyRegistry registry;
    EXPECT_TRUE(registry.Register(std::move(definition)).ok());
    return registry;
  }

  absl::Status Start(const std::string& fail_in,
                     const std::string& emit = "BUY", int64_t quiet_until = 0,
                     bool log_symbol_starts = false) {
    backtest::v1::StrategyStartRequest request;
    request.set_run_id("run-7");
    request.mutable_strategy()->set_name("recorder");
    auto& params = *request.mutable_strategy()->mutable_params();
    params["fail_in"].set_text(fail_in);
    params["emit"].set_text(emit);
    params["quiet_until"].set_number(quiet_until);
    params["log_symbol_starts"].set_flag(log_symbol_starts);
    request.add_symbols("AAA");
    request.add_symbols("BBB");
    return StartRun(engine_, request);
  }

  static void AddFill(backtest::v1::StrategyStepsRequest& request, int order,
                      int64_t time) {
    auto* fill = request.add_fills();
    fill->set_order_id(order);
    fill->set_symbol(1);
    fill->set_time(time);
  }

  static void AddRejection(backtest::v1::StrategyStepsRequest& request,
                           int order, int64_t time) {
    auto* rejection = request.add_rejections();
    rejection->set_order_id(order);
    rejection->set_symbol(1);
    rejection->set_time(time);
  }

  static void AddEvent(backtest::v1::StrategyStepsRequest& request, int order,
                       backtest::v1::OrderEvent::Kind kind, int64_t time) {
    auto* event = request.add_events();
    event->set_order_id(order);
    event->set_symbol(1);
    event->set_kind(kind);
    event->set_time(time);
  }

  // Step 3 with two fills (orders 1, 2) and a rejection (order 5) of BBB.
  absl::Status StepWithFills(backtest::v1::StrategyStepsResponse* response) {
    backtest::v1::StrategyStepsRequest request = Step("run-7", 3, 10);
    AddFill(request, 1, kJan2);
    AddFill(request, 2, kJan2);
    AddRejection(request, 5, kJan2);
    return engine_.OnSteps(request, response);
  }

  // Steps 3 to 6, view cash 1000 + index: a rejection made at sizing before
  // step 3 (order 5); fills at step 3 (order 1), between steps 3 and 4 (order
  // 2), at step 5 (order 3) and at step 6 (order 4); a rejection at step 5
  // (order 6); order events at step 3 (order 8 expired), at step 5 (order 9
  // cancelled by its bracket partner) and at step 6 (order 10 activated).
  static backtest::v1::StrategyStepsRequest FourSteps() {
    backtest::v1::StrategyStepsRequest request =
        Steps("run-7", 3, {10, 11, 12, 13});
    for (int i = 0; i < request.views_size(); ++i) {
      request.mutable_views(i)->set_cash(1000 + request.steps(i).index());
    }
    AddFill(request, 1, TimeOf(3));
    AddFill(request, 2, TimeOf(3) + kDay / 2);
    AddFill(request, 3, TimeOf(5));
    AddFill(request, 4, TimeOf(6));
    AddRejection(request, 5, TimeOf(2));
    AddRejection(request, 6, TimeOf(5));
    AddEvent(request, 8, backtest::v1::OrderEvent::EXPIRED, TimeOf(3));
    AddEvent(request, 9, backtest::v1::OrderEvent::OCO_CANCELLED, TimeOf(5));
    AddEvent(request, 10, backtest::v1::OrderEvent::ACTIVATED, TimeOf(6));
    return request;
  }

  std::vector<std::string> log_;
  StrategyEngine engine_;
};

TEST_F(RecorderEngineTest, HooksRunInOrder) {
  ASSERT_TRUE(Start("none").ok());
  backtest::v1::StrategyStepsResponse response;
  ASSERT_TRUE(StepWithFills(&response).ok());
  EXPECT_EQ(response.steps_used(), 1);
  EXPECT_EQ(response.intents_size(), 1);
  ASSERT_TRUE(End(engine_, "run-7").ok());
  EXPECT_THAT(log_, ElementsAre("start", "fill 1", "fill 2", "rejection 5",
                                "bar 3 cash 0", "end"));
}

// Each fill, rejection and order event reaches the strategy before the bar
// of the first step at or after its time, the three lists merged in time
// order: rejection 5 (step 2) before fill 1 (step 3), and at equal times
// fills, then rejections, then events (step 3: fill 1, event 8; step 5: fill
// 3, rejection 6, event 9). Each step gets its own view. The intents of step
// 5 end the call: fill 4 and event 10 (step 6) are not delivered.
TEST_F(RecorderEngineTest, RunOfStepsDeliversEventsBeforeTheirStepsBar) {
  ASSERT_TRUE(Start("none", "BUY", /*quiet_until=*/5).ok());
  backtest::v1::StrategyStepsResponse response;
  ASSERT_TRUE(engine_.OnSteps(FourSteps(), &response).ok());
  EXPECT_EQ(response.steps_used(), 3);
  EXPECT_EQ(response.intents_size(), 1);
  EXPECT_THAT(log_, ElementsAre("start", "rejection 5", "fill 1",
                                "event 8 EXPIRED", "bar 3 cash 1003", "fill 2",
                                "bar 4 cash 1004", "fill 3", "rejection 6",
                                "event 9 OCO_CANCELLED", "bar 5 cash 1005"));
}

// The caller resends what was not consumed (step 6, fill 4, event 10): each
// hook runs once, exactly as when the steps come one call each.
TEST_F(RecorderEngineTest, RunsOfStepsMatchOneStepAtATime) {
  ASSERT_TRUE(Start("none", "BUY", /*quiet_until=*/5).ok());
  const backtest::v1::StrategyStepsRequest four = FourSteps();
  backtest::v1::StrategyStepsResponse response;
  ASSERT_TRUE(engine_.OnSteps(four, &response).ok());
  ASSERT_EQ(response.steps_used(), 3);
  backtest::v1::StrategyStepsRequest rest = Steps("run-7", 6, {13});
  *rest.mutable_views(0) = four.views(3);
  *rest.add_fills() = four.fills(3);
  *rest.add_events() = four.events(2);
  ASSERT_TRUE(engine_.OnSteps(rest, &response).ok());
  EXPECT_EQ(response.steps_used(), 1);
  EXPECT_EQ(response.intents_size(), 1);
  ASSERT_TRUE(End(engine_, "run-7").ok());
  const std::vector<std::string> in_runs = log_;

  // Step i of FourSteps with the fills, rejections and events (by position)
  // due then.
  const auto one_step = [&four](int i, std::vector<int> fills,
                                std::vector<int> rejections,
                                std::vector<int> events) {
    backtest::v1::StrategyStepsRequest request;
    request.set_run_id("run-7");
    *request.add_steps() = four.steps(i);
    *request.add_views() = four.views(i);
    for (int fill : fills) *request.add_fills() = four.fills(fill);
    for (int rejection : rejections) {
      *request.add_rejections() = four.rejections(rejection);
    }
    for (int event : events) *request.add_events() = four.events(event);
    return request;
  };
  log_.clear();
  ASSERT_TRUE(Start("none", "BUY", /*quiet_until=*/5).ok());
  for (const auto& request :
       {one_step(0, {0}, {0}, {0}), one_step(1, {1}, {}, {}),
        one_step(2, {2}, {1}, {1}), one_step(3, {3}, {}, {2})}) {
    ASSERT_TRUE(engine_.OnSteps(request, &response).ok());
    EXPECT_EQ(response.steps_used(), 1);
  }
  ASSERT_TRUE(End(engine_, "run-7").ok());
  EXPECT_EQ(log_, in_runs);
  EXPECT_THAT(
      in_runs,
      ElementsAre("start", "rejection 5", "fill 1", "event 8 EXPIRED",
                  "bar 3 cash 1003", "fill 2", "bar 4 cash 1004", "fill 3",
                  "rejection 6", "event 9 OCO_CANCELLED", "bar 5 cash 1005",
                  "fill 4", "event 10 ACTIVATED", "bar 6 cash 1006", "end"));
}

TEST_F(RecorderEngineTest, AResponseIsClearedBeforeUse) {
  ASSERT_TRUE(Start("none", "BUY", /*quiet_until=*/5).ok());
  backtest::v1::StrategyStepsResponse response;
  response.add_intents();
  response.set_steps_used(9);
  ASSERT_TRUE(engine_.OnSteps(Steps("run-7", 3, {10, 11}), &response).ok());
  EXPECT_EQ(response.steps_used(), 2);
  EXPECT_EQ(response.intents_size(), 0);
}

TEST_F(RecorderEngineTest, OneViewPerStepOrNoHookRuns) {
  ASSERT_TRUE(Start("none").ok());
  backtest::v1::StrategyStepsRequest request = FourSteps();
  request.mutable_views()->RemoveLast();
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = engine_.OnSteps(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "strategy");
  EXPECT_EQ(error.reason(), "VIEW_COUNT_MISMATCH");
  EXPECT_THAT(error.message(), HasSubstr("4 steps but 3 portfolio views"));
  EXPECT_EQ(RunIdOf(status), "run-7");
  EXPECT_THAT(log_, ElementsAre("start"));
}

TEST_F(RecorderEngineTest, NoStepsFails) {
  ASSERT_TRUE(Start("none").ok());
  backtest::v1::StrategyStepsRequest request;
  request.set_run_id("run-7");
  AddFill(request, 1, kJan2);
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = engine_.OnSteps(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(status, "").reason(), "NO_STEPS");
  EXPECT_THAT(log_, ElementsAre("start"));
}

// Delivery walks each list once, so a list out of time order could hold back
// an event that is due; it is refused before any hook runs.
TEST_F(RecorderEngineTest, EventsOutOfTimeOrderFail) {
  ASSERT_TRUE(Start("none").ok());
  backtest::v1::StrategyStepsRequest request = FourSteps();
  request.mutable_rejections()->SwapElements(0, 1);
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = engine_.OnSteps(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.reason(), "EVENTS_OUT_OF_ORDER");
  EXPECT_EQ(error.symbol(), "BBB");
  EXPECT_EQ(error.bar_time(), "2000-01-04");  // step 2
  EXPECT_THAT(error.message(),
              HasSubstr("rejection 1 of run run-7 is dated 2000-01-04, before "
                        "rejection 0 (2000-01-07)"));
  EXPECT_THAT(log_, ElementsAre("start"));
}

TEST_F(RecorderEngineTest, OrderEventsOutOfTimeOrderFail) {
  ASSERT_TRUE(Start("none").ok());
  backtest::v1::StrategyStepsRequest request = FourSteps();
  request.mutable_events()->SwapElements(1, 2);
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = engine_.OnSteps(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.reason(), "EVENTS_OUT_OF_ORDER");
  EXPECT_THAT(error.message(),
              HasSubstr("order event 2 of run run-7 is dated 2000-01-07, "
                        "before order event 1 (2000-01-08)"));
  EXPECT_THAT(log_, ElementsAre("start"));
}

TEST_F(RecorderEngineTest, OrderEventHookErrorNamesSymbolAndTime) {
  ASSERT_TRUE(Start("event", "BUY", /*quiet_until=*/9).ok());
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = engine_.OnSteps(FourSteps(), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "strategy");
  EXPECT_EQ(error.symbol(), "BBB");
  EXPECT_EQ(error.bar_time(), "2000-01-05");  // step 3
  EXPECT_EQ(error.message(), "boom in event 8 EXPIRED");
}

// BBB has no bar at steps 3 and 4 (not yet listed) and starts at step 5: its
// start hook runs once, after the step's fills and events and before the bar
// hook of step 5; AAA starts at step 3. Step 5 makes intents, so step 6 goes
// to the next call, where neither symbol starts again.
TEST_F(RecorderEngineTest, ASymbolThatStartsLateStartsBeforeItsFirstBar) {
  ASSERT_TRUE(Start("none", "BUY", /*quiet_until=*/5,
                    /*log_symbol_starts=*/true)
                  .ok());
  backtest::v1::StrategyStepsRequest request = FourSteps();
  for (int i = 2; i < request.steps_size(); ++i) {
    auto* bar = request.mutable_steps(i)->add_bars();
    bar->set_symbol(1);
    bar->set_close(50 + i);
  }
  backtest::v1::StrategyStepsResponse response;
  ASSERT_TRUE(engine_.OnSteps(request, &response).ok());
  ASSERT_EQ(response.steps_used(), 3);
  backtest::v1::StrategyStepsRequest rest;
  rest.set_run_id("run-7");
  *rest.add_steps() = request.steps(3);
  *rest.add_views() = request.views(3);
  ASSERT_TRUE(engine_.OnSteps(rest, &response).ok());
  EXPECT_THAT(log_,
              ElementsAre("start", "rejection 5", "fill 1", "event 8 EXPIRED",
                          "symbol start AAA close 10", "bar 3 cash 1003",
                          "fill 2", "bar 4 cash 1004", "fill 3", "rejection 6",
                          "event 9 OCO_CANCELLED", "symbol start BBB close 52",
                          "bar 5 cash 1005", "bar 6 cash 1006"));
}

// A symbol whose first bar is in a step the call does not reach (after the
// step that made intents) starts in the call that reaches it.
TEST_F(RecorderEngineTest, ASymbolStartsOnlyInAStepThatReachesTheBarHook) {
  ASSERT_TRUE(Start("none", "BUY", /*quiet_until=*/3,
                    /*log_symbol_starts=*/true)
                  .ok());
  backtest::v1::StrategyStepsRequest request = Steps("run-7", 3, {10, 11});
  auto* late = request.mutable_steps(1)->add_bars();
  late->set_symbol(1);
  late->set_close(60);
  backtest::v1::StrategyStepsResponse response;
  ASSERT_TRUE(engine_.OnSteps(request, &response).ok());
  ASSERT_EQ(response.steps_used(), 1);
  EXPECT_THAT(
      log_, ElementsAre("start", "symbol start AAA close 10", "bar 3 cash 0"));
  request.mutable_steps()->DeleteSubrange(0, 1);
  request.mutable_views()->DeleteSubrange(0, 1);
  ASSERT_TRUE(engine_.OnSteps(request, &response).ok());
  EXPECT_THAT(log_,
              ElementsAre("start", "symbol start AAA close 10", "bar 3 cash 0",
                          "symbol start BBB close 60", "bar 4 cash 0"));
}

TEST_F(RecorderEngineTest, SymbolStartHookErrorNamesSymbolAndTime) {
  ASSERT_TRUE(Start("symbol start").ok());
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status =
      engine_.OnSteps(Steps("run-7", 3, {10}), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.symbol(), "AAA");
  EXPECT_EQ(error.bar_time(), "2000-01-05");  // step 3
  EXPECT_EQ(error.message(), "boom in symbol start AAA close 10");
}

TEST_F(RecorderEngineTest, AWorkingOrderOfAnUnknownSymbolFails) {
  ASSERT_TRUE(Start("none").ok());
  backtest::v1::StrategyStepsRequest request = Steps("run-7", 3, {10});
  request.mutable_views(0)->add_working_orders()->set_symbol(4);
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = engine_.OnSteps(request, &response);
  EXPECT_EQ(ToStageError(status, "").reason(), "UNKNOWN_SYMBOL_INDEX");
  EXPECT_THAT(status.message(),
              HasSubstr("a working order names symbol index 4"));
}

// A CANCEL names a working order and needs no order type; without the
// order's id it is invalid.
TEST_F(RecorderEngineTest, ACancelNeedsAnOrderIdButNoType) {
  ASSERT_TRUE(Start("none", "CANCEL 7").ok());
  backtest::v1::StrategyStepsResponse response;
  ASSERT_TRUE(engine_.OnSteps(Steps("run-7", 3, {10}), &response).ok());
  ASSERT_EQ(response.intents_size(), 1);
  EXPECT_EQ(response.intents(0).order_id(), 7);
  ASSERT_TRUE(End(engine_, "run-7").ok());

  ASSERT_TRUE(Start("none", "CANCEL without id").ok());
  const absl::Status status =
      engine_.OnSteps(Steps("run-7", 3, {10}), &response);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.reason(), "INVALID_INTENT");
  EXPECT_THAT(error.message(),
              HasSubstr("a CANCEL without the id of a working order"));
}

TEST_F(RecorderEngineTest, BarHookErrorLaterInARunNamesItsStep) {
  ASSERT_TRUE(Start("bar", "BUY", /*quiet_until=*/5).ok());
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = engine_.OnSteps(FourSteps(), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.bar_time(), "2000-01-07");  // step 5
  EXPECT_EQ(error.symbol(), "");
  EXPECT_EQ(error.message(), "boom in bar 5 cash 1005");
}

TEST_F(RecorderEngineTest, LaterStepsAreCheckedWhenTheyAreReached) {
  ASSERT_TRUE(Start("none", "BUY", /*quiet_until=*/9).ok());
  backtest::v1::StrategyStepsRequest request = FourSteps();
  request.clear_fills();
  request.clear_rejections();
  request.clear_events();
  request.mutable_views(1)->add_positions()->set_symbol(2);
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = engine_.OnSteps(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.reason(), "UNKNOWN_SYMBOL_INDEX");
  EXPECT_EQ(error.bar_time(), "2000-01-06");  // step 4
  EXPECT_THAT(error.message(), HasSubstr("a position names symbol index 2"));
  EXPECT_THAT(log_, ElementsAre("start", "bar 3 cash 1003"));
}

TEST_F(RecorderEngineTest, FillHookErrorLaterInARunNamesTheFill) {
  ASSERT_TRUE(Start("fill", "BUY", /*quiet_until=*/9).ok());
  backtest::v1::StrategyStepsRequest request = Steps("run-7", 3, {10, 11, 12});
  AddFill(request, 3, TimeOf(5));
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = engine_.OnSteps(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.symbol(), "BBB");
  EXPECT_EQ(error.bar_time(), "2000-01-07");  // step 5
  EXPECT_EQ(error.message(), "boom in fill 3");
  EXPECT_THAT(log_,
              ElementsAre("start", "bar 3 cash 0", "bar 4 cash 0", "fill 3"));
}

TEST_F(RecorderEngineTest, FillHookErrorNamesStageSymbolAndTime) {
  ASSERT_TRUE(Start("fill").ok());
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = StepWithFills(&response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "strategy");
  EXPECT_EQ(error.symbol(), "BBB");
  EXPECT_EQ(error.bar_time(), "2000-01-02");
  EXPECT_EQ(error.message(), "boom in fill 1");
  EXPECT_EQ(RunIdOf(status), "run-7");
  EXPECT_THAT(log_, ElementsAre("start", "fill 1"));
}

TEST_F(RecorderEngineTest, BarHookErrorNamesStageAndBarTime) {
  ASSERT_TRUE(Start("bar").ok());
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = StepWithFills(&response);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "strategy");
  EXPECT_EQ(error.bar_time(), "2000-01-05");  // step 3
  EXPECT_EQ(error.message(), "boom in bar 3 cash 0");
  EXPECT_EQ(RunIdOf(status), "run-7");
}

TEST_F(RecorderEngineTest, StartHookErrorLeavesNoRun) {
  const absl::Status status = Start("start");
  EXPECT_EQ(ToStageError(status, "").stage(), "strategy");
  EXPECT_EQ(RunIdOf(status), "run-7");
  backtest::v1::StrategyStepsResponse response;
  EXPECT_EQ(StepWithFills(&response).code(), absl::StatusCode::kNotFound);
}

TEST_F(RecorderEngineTest, EndHookErrorStillForgetsTheRun) {
  ASSERT_TRUE(Start("end").ok());
  EXPECT_EQ(ToStageError(End(engine_, "run-7"), "").message(), "boom in end");
  EXPECT_EQ(End(engine_, "run-7").code(), absl::StatusCode::kNotFound);
}

TEST_F(RecorderEngineTest, InvalidIntentFailsTheStep) {
  ASSERT_TRUE(Start("none", "untyped BUY").ok());
  backtest::v1::StrategyStepsResponse response;
  const absl::Status status = StepWithFills(&response);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.reason(), "INVALID_INTENT");
  EXPECT_EQ(error.symbol(), "AAA");
  EXPECT_THAT(error.message(), HasSubstr("order type is unspecified"));
}

// Keeps the sectors its start hook saw, to show what StartRun hands over.
class SectorRecorder final : public Strategy {
 public:
  explicit SectorRecorder(std::vector<std::string>* sectors)
      : sectors_(sectors) {}
  absl::Status OnStart(const StartContext& context) override {
    for (const backtest::v1::SymbolMetadata& row : context.metadata) {
      sectors_->push_back(absl::StrCat(row.symbol(), ":", row.sector()));
    }
    return absl::OkStatus();
  }
  absl::Status OnBar(const backtest::v1::TimeStep& step,
                     const backtest::v1::PortfolioView& portfolio,
                     IntentSink& out) override {
    return absl::OkStatus();
  }

 private:
  std::vector<std::string>* sectors_;
};

class MetadataEngineTest : public ::testing::Test {
 protected:
  MetadataEngineTest() : engine_(Registry(&sectors_)) {}

  static StrategyRegistry Registry(std::vector<std::string>* sectors) {
    StrategyDefinition definition;
    definition.info.set_name("sectors");
    definition.create = [sectors] {
      return std::make_unique<SectorRecorder>(sectors);
    };
    StrategyRegistry registry;
    EXPECT_TRUE(registry.Register(std::move(definition)).ok());
    return registry;
  }

  // Symbols AAA, BBB with metadata rows for `rows` (symbol, sector).
  static backtest::v1::StrategyStartRequest Request(
      const std::vector<std::pair<std::string, std::string>>& rows) {
    backtest::v1::StrategyStartRequest request;
    request.set_run_id("run-9");
    request.mutable_strategy()->set_name("sectors");
    request.add_symbols("AAA");
    request.add_symbols("BBB");
    for (const auto& [symbol, sector] : rows) {
      backtest::v1::SymbolMetadata* row = request.add_metadata();
      row->set_symbol(symbol);
      row->set_sector(sector);
    }
    return request;
  }

  std::vector<std::string> sectors_;
  StrategyEngine engine_;
};

TEST_F(MetadataEngineTest, TheStartContextCarriesTheMetadataInSymbolOrder) {
  ASSERT_TRUE(
      StartRun(engine_, Request({{"AAA", "Banks"}, {"BBB", "Chips"}})).ok());
  EXPECT_THAT(sectors_, ElementsAre("AAA:Banks", "BBB:Chips"));
}

TEST_F(MetadataEngineTest, MetadataIsOptional) {
  ASSERT_TRUE(StartRun(engine_, Request({})).ok());
  EXPECT_TRUE(sectors_.empty());
}

TEST_F(MetadataEngineTest, MetadataThatDoesNotMatchTheSymbolsFailsTheStart) {
  const absl::Status short_list = StartRun(engine_, Request({{"AAA", "B"}}));
  EXPECT_EQ(short_list.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToStageError(short_list, "").reason(), "METADATA_MISMATCH");
  EXPECT_THAT(short_list.message(), HasSubstr("has 1 entries for 2 symbols"));

  const absl::Status swapped =
      StartRun(engine_, Request({{"BBB", "Chips"}, {"AAA", "Banks"}}));
  EXPECT_THAT(swapped.message(),
              HasSubstr("entry 0 is for 'BBB' but symbol 0 is 'AAA'"));
  EXPECT_TRUE(sectors_.empty());
}

}  // namespace
}  // namespace seed::strategy
