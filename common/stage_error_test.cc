#include "common/stage_error.h"

#include "common/grpc_status.h"
#include "gtest/gtest.h"

namespace seed {
namespace {

TEST(StageErrorTest, CarriesStageReasonAndContext) {
  const absl::Status status = StageFailure(
      absl::StatusCode::kNotFound, "data", "NO_BARS_IN_RANGE", "no bars",
      {.symbol = "XYZ", .hint = "widen the range"});
  const backtest::v1::StageError error =
      ToStageError(WithContext(status, "coordinator", {.run_id = "r1"}),
                   "coordinator");
  EXPECT_EQ(error.stage(), "data");
  EXPECT_EQ(error.reason(), "NO_BARS_IN_RANGE");
  EXPECT_EQ(error.symbol(), "XYZ");
  EXPECT_EQ(error.hint(), "widen the range");
  EXPECT_EQ(error.code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(DescribeStageError(error),
            "FAILED in data at XYZ: no bars [NO_BARS_IN_RANGE]\n"
            "  hint: widen the range");
}

TEST(StageErrorTest, PlainStatusIsAttributedToTheDefaultStage) {
  const backtest::v1::StageError error =
      ToStageError(absl::InternalError("boom"), "execution");
  EXPECT_EQ(error.stage(), "execution");
  EXPECT_EQ(error.reason(), "UNCLASSIFIED");
  EXPECT_EQ(error.message(), "boom");
}

TEST(GrpcStatusTest, RoundTripKeepsEveryFact) {
  const absl::Status original = StageFailure(
      absl::StatusCode::kFailedPrecondition, "strategy", "BAD_INTENT",
      "intent for unknown symbol", {.symbol = "ORCL", .bar_time = "2001-01-02"});
  const absl::Status back =
      FromGrpcStatus(ToGrpcStatus(original), "strategy", "127.0.0.1:1");
  EXPECT_EQ(back.code(), original.code());
  EXPECT_EQ(back.message(), original.message());
  const backtest::v1::StageError error = ToStageError(back, "coordinator");
  EXPECT_EQ(error.stage(), "strategy");
  EXPECT_EQ(error.reason(), "BAD_INTENT");
  EXPECT_EQ(error.bar_time(), "2001-01-02");
}

TEST(GrpcStatusTest, FieldProblemsSurviveTheRoundTrip) {
  const absl::Status status = InvalidFields(
      "strategy", "INVALID_PARAMS",
      {{"strategy.params.fast", "must be >= 1"},
       {"strategy.params.slow", "unknown parameter"}});
  EXPECT_NE(status.message().find("strategy.params.slow: unknown parameter"),
            std::string::npos);
  const std::vector<FieldProblem> problems = FieldProblems(
      FromGrpcStatus(ToGrpcStatus(status), "strategy", "127.0.0.1:1"));
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[1].field, "strategy.params.slow");
  EXPECT_EQ(FieldProblems(WithContext(status, "coordinator", {.run_id = "r"}))
                .size(),
            2u);
}

TEST(GrpcStatusTest, TransportFailureNamesTheStageAndAddress) {
  const absl::Status status = FromGrpcStatus(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"),
      "execution", "127.0.0.1:7003");
  const backtest::v1::StageError error = ToStageError(status, "coordinator");
  EXPECT_EQ(error.stage(), "execution");
  EXPECT_EQ(error.reason(), "STAGE_UNAVAILABLE");
  EXPECT_NE(error.message().find("127.0.0.1:7003"), std::string::npos);
}

}  // namespace
}  // namespace seed
