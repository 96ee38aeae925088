#include "services/strategy/strategy_engine.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

using ::backtest::v1::Intent;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kJan2 = 946771200;  // 2000-01-02

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

backtest::v1::StrategyStepRequest Step(const std::string& run_id, int64_t index,
                                       double close) {
  backtest::v1::StrategyStepRequest request;
  request.set_run_id(run_id);
  request.mutable_step()->set_index(index);
  request.mutable_step()->set_time(kJan2 + index * 86400);
  auto* bar = request.mutable_step()->add_bars();
  bar->set_symbol(0);
  bar->set_close(close);
  return request;
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
  ASSERT_EQ(sma_cross->params_size(), 2);
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
  EXPECT_THAT(problems[0].description,
              HasSubstr("known strategies: sma_cross"));
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
TEST(StrategyEngineTest, OnStepReturnsTheStrategysIntents) {
  StrategyEngine engine;
  ASSERT_TRUE(StartRun(engine, SmaCrossRun("run-1")).ok());
  const std::vector<double> closes = {10, 9, 8, 9, 11};
  for (size_t i = 0; i < closes.size(); ++i) {
    backtest::v1::StrategyStepResponse response;
    const absl::Status status =
        engine.OnStep(Step("run-1", i, closes[i]), &response);
    ASSERT_TRUE(status.ok()) << status;
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

TEST(StrategyEngineTest, UnknownRun) {
  StrategyEngine engine;
  backtest::v1::StrategyStepResponse response;
  absl::Status status = engine.OnStep(Step("nope", 0, 10), &response);
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
  backtest::v1::StrategyStepResponse response;
  EXPECT_EQ(engine.OnStep(Step("run-1", 0, 10), &response).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(End(engine, "run-1").code(), absl::StatusCode::kNotFound);
  // The id is free again.
  EXPECT_TRUE(StartRun(engine, SmaCrossRun("run-1")).ok());
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
  backtest::v1::StrategyStepRequest request = Step("run-1", 0, 10);
  request.mutable_step()->mutable_bars(0)->set_symbol(3);
  backtest::v1::StrategyStepResponse response;
  const absl::Status status = engine.OnStep(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.reason(), "UNKNOWN_SYMBOL_INDEX");
  EXPECT_EQ(error.bar_time(), "2000-01-02");
  EXPECT_THAT(error.message(), HasSubstr("symbol index 3"));
}

// Records every hook call into a log the test owns, and misbehaves on
// request: fail_in names the hook that returns an error.
class Recorder final : public Strategy {
 public:
  explicit Recorder(std::vector<std::string>* log) : log_(log) {}

  absl::Status OnStart(const StartContext& context) override {
    fail_in_ = context.params.Text("fail_in");
    bad_intent_ = context.params.Flag("bad_intent");
    return Hook("start");
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
    Intent intent;
    intent.set_symbol(0);
    intent.set_action(Intent::BUY);
    intent.set_type(bad_intent_ ? backtest::v1::ORDER_TYPE_UNSPECIFIED
                                : backtest::v1::MARKET);
    out.Emit(intent);
    return Hook(absl::StrCat("bar ", step.index()), "bar");
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
  bool bad_intent_ = false;
};

class RecorderEngineTest : public ::testing::Test {
 protected:
  RecorderEngineTest() : engine_(Registry(&log_)) {}

  static StrategyRegistry Registry(std::vector<std::string>* log) {
    StrategyDefinition definition;
    definition.info.set_name("recorder");
    *definition.info.add_params() = StringParam(
        "fail_in", "none", {"none", "start", "fill", "bar", "end"}, "");
    *definition.info.add_params() = BoolParam("bad_intent", false, "");
    definition.create = [log] { return std::make_unique<Recorder>(log); };
    StrategyRegistry registry;
    EXPECT_TRUE(registry.Register(std::move(definition)).ok());
    return registry;
  }

  absl::Status Start(const std::string& fail_in, bool bad_intent = false) {
    backtest::v1::StrategyStartRequest request;
    request.set_run_id("run-7");
    request.mutable_strategy()->set_name("recorder");
    auto& params = *request.mutable_strategy()->mutable_params();
    params["fail_in"].set_text(fail_in);
    params["bad_intent"].set_flag(bad_intent);
    request.add_symbols("AAA");
    request.add_symbols("BBB");
    return StartRun(engine_, request);
  }

  // Step 3 with two fills (orders 1, 2) and a rejection (order 5) of BBB.
  absl::Status StepWithFills(backtest::v1::StrategyStepResponse* response) {
    backtest::v1::StrategyStepRequest request = Step("run-7", 3, 10);
    for (int order : {1, 2}) {
      auto* fill = request.add_fills();
      fill->set_order_id(order);
      fill->set_symbol(1);
      fill->set_time(kJan2);
    }
    auto* rejection = request.add_rejections();
    rejection->set_order_id(5);
    rejection->set_symbol(1);
    rejection->set_time(kJan2);
    return engine_.OnStep(request, response);
  }

  std::vector<std::string> log_;
  StrategyEngine engine_;
};

TEST_F(RecorderEngineTest, HooksRunInOrder) {
  ASSERT_TRUE(Start("none").ok());
  backtest::v1::StrategyStepResponse response;
  ASSERT_TRUE(StepWithFills(&response).ok());
  EXPECT_EQ(response.intents_size(), 1);
  ASSERT_TRUE(End(engine_, "run-7").ok());
  EXPECT_THAT(log_, ElementsAre("start", "fill 1", "fill 2", "rejection 5",
                                "bar 3", "end"));
}

TEST_F(RecorderEngineTest, FillHookErrorNamesStageSymbolAndTime) {
  ASSERT_TRUE(Start("fill").ok());
  backtest::v1::StrategyStepResponse response;
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
  backtest::v1::StrategyStepResponse response;
  const absl::Status status = StepWithFills(&response);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "strategy");
  EXPECT_EQ(error.bar_time(), "2000-01-05");  // step 3
  EXPECT_EQ(error.message(), "boom in bar 3");
  EXPECT_EQ(RunIdOf(status), "run-7");
}

TEST_F(RecorderEngineTest, StartHookErrorLeavesNoRun) {
  const absl::Status status = Start("start");
  EXPECT_EQ(ToStageError(status, "").stage(), "strategy");
  EXPECT_EQ(RunIdOf(status), "run-7");
  backtest::v1::StrategyStepResponse response;
  EXPECT_EQ(StepWithFills(&response).code(), absl::StatusCode::kNotFound);
}

TEST_F(RecorderEngineTest, EndHookErrorStillForgetsTheRun) {
  ASSERT_TRUE(Start("end").ok());
  EXPECT_EQ(ToStageError(End(engine_, "run-7"), "").message(), "boom in end");
  EXPECT_EQ(End(engine_, "run-7").code(), absl::StatusCode::kNotFound);
}

TEST_F(RecorderEngineTest, InvalidIntentFailsTheStep) {
  ASSERT_TRUE(Start("none", /*bad_intent=*/true).ok());
  backtest::v1::StrategyStepResponse response;
  const absl::Status status = StepWithFills(&response);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.reason(), "INVALID_INTENT");
  EXPECT_EQ(error.symbol(), "AAA");
  EXPECT_THAT(error.message(), HasSubstr("order type is unspecified"));
}

}  // namespace
}  // namespace seed::strategy
