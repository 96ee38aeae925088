#include "services/coordinator/strategy_allow_list.h"

#include "common/stage_error.h"
#include "gtest/gtest.h"

namespace seed::coordinator {
namespace {

TEST(StrategyAllowListTest, DefaultIsLoopbackOnly) {
  const std::optional<std::vector<std::string>> loopback =
      std::vector<std::string>{};
  EXPECT_TRUE(StrategyAllowed("127.0.0.1:9000", loopback));
  EXPECT_TRUE(StrategyAllowed("localhost:9000", loopback));
  EXPECT_FALSE(StrategyAllowed("10.0.0.5:9000", loopback));
  EXPECT_FALSE(StrategyAllowed("metadata.google.internal:80", loopback));
  EXPECT_TRUE(StrategyAllowed("10.0.0.5:9000", std::nullopt));
}

TEST(StrategyAllowListTest, AListAllowsExactlyItsAddresses) {
  absl::StatusOr<std::vector<std::string>> allow =
      ParseStrategyAllow("10.0.0.5:9000,strategies.svc:50051");
  ASSERT_TRUE(allow.ok());
  const std::optional<std::vector<std::string>> list = *allow;
  EXPECT_TRUE(StrategyAllowed("strategies.svc:50051", list));
  EXPECT_FALSE(StrategyAllowed("10.0.0.5:9001", list));
  EXPECT_FALSE(StrategyAllowed("127.0.0.1:9000", list));
  EXPECT_FALSE(ParseStrategyAllow("no-port").ok());
}

TEST(StrategyAllowListTest, RefusedStrategyFailsValidationNamingFieldAndFlag) {
  const auto refused = RefusedStrategy("10.0.0.5:9000");
  v1::StrategyStartResponse response;
  const absl::Status status =
      refused->StartRun(v1::StrategyStartRequest(), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::vector<FieldProblem> problems = FieldProblems(status);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "strategy.address");
  EXPECT_NE(problems[0].description.find("--strategy-allow"),
            std::string::npos);
  v1::StrategyEndResponse ended;
  EXPECT_TRUE(refused->EndRun(v1::StrategyEndRequest(), &ended).ok());
}

}  // namespace
}  // namespace seed::coordinator
