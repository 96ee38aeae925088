#include "services/strategy/param_schema.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

ParamSchemas Schema() {
  ParamSchemas schemas;
  *schemas.Add() = IntParam("fast", 10, 1, 1000, "fast period");
  *schemas.Add() = NumberParam("ratio", 0.5, 0.0, 1.0, "a fraction");
  *schemas.Add() = NumberParam("floor", 2.0, 1.5, std::nullopt, "at least");
  *schemas.Add() =
      StringParam("price", "close", {"close", "open"}, "which price");
  *schemas.Add() = BoolParam("verbose", false, "say more");
  return schemas;
}

ParamValues Given(
    std::vector<std::pair<std::string, backtest::v1::ParamValue>> entries) {
  ParamValues values;
  for (auto& [name, value] : entries) values[name] = value;
  return values;
}

backtest::v1::ParamValue Number(double number) {
  backtest::v1::ParamValue value;
  value.set_number(number);
  return value;
}
backtest::v1::ParamValue Text(const std::string& text) {
  backtest::v1::ParamValue value;
  value.set_text(text);
  return value;
}
backtest::v1::ParamValue Flag(bool flag) {
  backtest::v1::ParamValue value;
  value.set_flag(flag);
  return value;
}

// The one problem a single bad value produces.
FieldProblem OnlyProblem(const ParamValues& given) {
  const absl::StatusOr<ResolvedParams> resolved =
      ResolveParams(Schema(), given);
  EXPECT_FALSE(resolved.ok());
  const std::vector<FieldProblem> problems = FieldProblems(resolved.status());
  EXPECT_EQ(problems.size(), 1u) << resolved.status();
  return problems.empty() ? FieldProblem{} : problems[0];
}

TEST(ParamSchemaTest, FillsDefaults) {
  const absl::StatusOr<ResolvedParams> params = ResolveParams(Schema(), {});
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->Int("fast"), 10);
  EXPECT_EQ(params->Number("ratio"), 0.5);
  EXPECT_EQ(params->Number("floor"), 2.0);
  EXPECT_EQ(params->Text("price"), "close");
  EXPECT_FALSE(params->Flag("verbose"));
  EXPECT_EQ(params->values().size(), 5u);
  EXPECT_EQ(params->values().at("fast").number(), 10.0);
}

TEST(ParamSchemaTest, GivenValuesOverrideDefaults) {
  const absl::StatusOr<ResolvedParams> params =
      ResolveParams(Schema(), Given({{"fast", Number(1000)},
                                     {"ratio", Number(0)},
                                     {"price", Text("open")},
                                     {"verbose", Flag(true)}}));
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->Int("fast"), 1000);
  EXPECT_EQ(params->Number("ratio"), 0.0);
  EXPECT_EQ(params->Number("floor"), 2.0);
  EXPECT_EQ(params->Text("price"), "open");
  EXPECT_TRUE(params->Flag("verbose"));
}

TEST(ParamSchemaTest, UnknownParameterListsTheKnownOnes) {
  const FieldProblem problem = OnlyProblem(Given({{"fsat", Number(3)}}));
  EXPECT_EQ(problem.field, "strategy.params.fsat");
  EXPECT_EQ(problem.description,
            "unknown parameter; known parameters: fast, ratio, floor, price, "
            "verbose");
}

TEST(ParamSchemaTest, WrongTypes) {
  FieldProblem problem = OnlyProblem(Given({{"fast", Number(10.5)}}));
  EXPECT_EQ(problem.field, "strategy.params.fast");
  EXPECT_EQ(problem.description, "must be an integer, got 10.5");

  problem = OnlyProblem(Given({{"fast", Text("ten")}}));
  EXPECT_EQ(problem.description, "must be an integer, got text \"ten\"");

  problem = OnlyProblem(Given({{"ratio", Text("half")}}));
  EXPECT_EQ(problem.field, "strategy.params.ratio");
  EXPECT_EQ(problem.description, "must be a finite number, got text \"half\"");

  problem = OnlyProblem(Given({{"price", Number(3)}}));
  EXPECT_EQ(problem.description, "must be text, got 3");

  problem = OnlyProblem(Given({{"verbose", Number(1)}}));
  EXPECT_EQ(problem.description, "must be true or false, got 1");

  problem = OnlyProblem(Given({{"ratio", backtest::v1::ParamValue()}}));
  EXPECT_EQ(problem.description, "must be a finite number, got no value");
}

TEST(ParamSchemaTest, OutOfRangeSaysTheRangeAndTheValue) {
  FieldProblem problem = OnlyProblem(Given({{"fast", Number(0)}}));
  EXPECT_EQ(problem.field, "strategy.params.fast");
  EXPECT_EQ(problem.description, "must be in [1, 1000], got 0");

  problem = OnlyProblem(Given({{"ratio", Number(1.25)}}));
  EXPECT_EQ(problem.description, "must be in [0, 1], got 1.25");

  problem = OnlyProblem(Given({{"floor", Number(1)}}));
  EXPECT_EQ(problem.description, "must be >= 1.5, got 1");
}

TEST(ParamSchemaTest, NotInChoices) {
  const FieldProblem problem = OnlyProblem(Given({{"price", Text("high")}}));
  EXPECT_EQ(problem.field, "strategy.params.price");
  EXPECT_EQ(problem.description,
            "must be one of [close, open], got text \"high\"");
}

TEST(ParamSchemaTest, ReportsEveryProblemAtOnce) {
  const absl::StatusOr<ResolvedParams> resolved =
      ResolveParams(Schema(), Given({{"zeta", Flag(true)},
                                     {"fast", Number(10.5)},
                                     {"ratio", Number(-1)},
                                     {"alpha", Number(1)},
                                     {"price", Text("mid")}}));
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument);
  const backtest::v1::StageError error =
      ToStageError(resolved.status(), "unknown");
  EXPECT_EQ(error.stage(), "strategy");
  EXPECT_EQ(error.reason(), "INVALID_PARAMS");
  // Declared parameters in schema order, then unknown ones sorted.
  EXPECT_THAT(FieldProblems(resolved.status()),
              ElementsAre(Field(&FieldProblem::field, "strategy.params.fast"),
                          Field(&FieldProblem::field, "strategy.params.ratio"),
                          Field(&FieldProblem::field, "strategy.params.price"),
                          Field(&FieldProblem::field, "strategy.params.alpha"),
                          Field(&FieldProblem::field, "strategy.params.zeta")));
  EXPECT_THAT(std::string(resolved.status().message()),
              HasSubstr("strategy.params.ratio: must be in [0, 1], got -1"));
}

TEST(ParamSchemaTest, ValidateSchemaAcceptsAGoodSchema) {
  EXPECT_TRUE(ValidateSchema("test", Schema()).ok());
}

TEST(ParamSchemaTest, ValidateSchemaNamesEveryBug) {
  ParamSchemas schemas = Schema();
  *schemas.Add() = IntParam("fast", 5, 1, 10, "declared twice");
  *schemas.Add() = IntParam("window", 0, 1, 10, "default out of range");
  backtest::v1::ParamSchema odd = BoolParam("odd", true, "bad type");
  odd.set_type("float");
  *schemas.Add() = odd;
  const absl::Status status = ValidateSchema("test", schemas);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ToStageError(status, "unknown").reason(), "INVALID_SCHEMA");
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("fast is declared twice"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("window default must be in [1, 10], got 0"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("odd default has unknown type \"float\""));
}

TEST(ParamSchemaDeathTest, ReadingAnUndeclaredParameterIsABug) {
  const absl::StatusOr<ResolvedParams> params = ResolveParams(Schema(), {});
  ASSERT_TRUE(params.ok());
  EXPECT_DEATH(params->Int("ratio"), "not declared with type int");
  EXPECT_DEATH(params->Number("missing"), "\"missing\" is not declared");
}

}  // namespace
}  // namespace seed::strategy
