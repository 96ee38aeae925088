#include "common/run_registry.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "common/stage_error.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace seed {
namespace {

struct Counter {
  int value = 0;
};

absl::Status Increment(Counter& counter) {
  ++counter.value;
  return absl::OkStatus();
}

int ValueOf(RunRegistry<Counter>& runs, const std::string& run_id) {
  int value = -1;
  const absl::Status status = runs.With(run_id, [&](Counter& counter) {
    value = counter.value;
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return value;
}

std::string MetadataOf(const absl::Status& status, const std::string& key) {
  google::rpc::ErrorInfo info;
  const auto payload = status.GetPayload(kErrorInfoTypeUrl);
  if (!payload.has_value() || !info.ParseFromString(std::string(*payload))) {
    return "";
  }
  return info.metadata().count(key) ? info.metadata().at(key) : "";
}

TEST(RunRegistryTest, AddThenWithReachesTheRunsOwnState) {
  RunRegistry<Counter> runs("execution");
  ASSERT_TRUE(runs.Add("a", std::make_unique<Counter>()).ok());
  ASSERT_TRUE(runs.Add("b", std::make_unique<Counter>()).ok());
  EXPECT_TRUE(runs.With("a", Increment).ok());
  EXPECT_TRUE(runs.With("a", Increment).ok());
  EXPECT_EQ(ValueOf(runs, "a"), 2);
  EXPECT_EQ(ValueOf(runs, "b"), 0);
}

TEST(RunRegistryTest, WithReturnsTheCallsStatus) {
  RunRegistry<Counter> runs("portfolio");
  ASSERT_TRUE(runs.Add("a", std::make_unique<Counter>()).ok());
  const absl::Status status = runs.With(
      "a", [](Counter&) { return absl::InternalError("from the run"); });
  EXPECT_EQ(status, absl::InternalError("from the run"));
}

TEST(RunRegistryTest, DuplicateRunIdIsRunExistsAndKeepsTheFirstRun) {
  RunRegistry<Counter> runs("portfolio");
  ASSERT_TRUE(runs.Add("a", std::make_unique<Counter>()).ok());
  ASSERT_TRUE(runs.With("a", Increment).ok());

  const absl::Status status = runs.Add("a", std::make_unique<Counter>());
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "portfolio");
  EXPECT_EQ(error.reason(), "RUN_EXISTS");
  EXPECT_EQ(error.message(), "run a is already started");
  EXPECT_EQ(error.hint(), "end the run first or use a new run id");
  EXPECT_EQ(MetadataOf(status, "run_id"), "a");
  EXPECT_EQ(ValueOf(runs, "a"), 1);
}

TEST(RunRegistryTest, UnknownRunIsNotFoundAndDoesNotCallFn) {
  RunRegistry<Counter> runs("strategy");
  bool called = false;
  const auto fn = [&](Counter&) {
    called = true;
    return absl::OkStatus();
  };
  for (const absl::Status& status :
       {runs.With("nope", fn), runs.Remove("nope", fn)}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
    const backtest::v1::StageError error = ToStageError(status, "");
    EXPECT_EQ(error.stage(), "strategy");
    EXPECT_EQ(error.reason(), "UNKNOWN_RUN");
    EXPECT_EQ(error.message(), "no run nope in strategy");
    EXPECT_EQ(error.hint(),
              "call StartRun first; a run is forgotten after EndRun");
    EXPECT_EQ(MetadataOf(status, "run_id"), "nope");
  }
  EXPECT_FALSE(called);
}

TEST(RunRegistryTest, RemoveCallsFnOnceThenTheRunIsUnknown) {
  RunRegistry<Counter> runs("execution");
  ASSERT_TRUE(runs.Add("a", std::make_unique<Counter>()).ok());
  ASSERT_TRUE(runs.With("a", Increment).ok());
  int seen = -1;
  EXPECT_TRUE(runs.Remove("a",
                          [&](Counter& counter) {
                            seen = counter.value;
                            return absl::OkStatus();
                          })
                  .ok());
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(runs.With("a", Increment).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(runs.Remove("a", Increment).code(), absl::StatusCode::kNotFound);
  // The id is free again, with fresh state.
  ASSERT_TRUE(runs.Add("a", std::make_unique<Counter>()).ok());
  EXPECT_EQ(ValueOf(runs, "a"), 0);
}

TEST(RunRegistryTest, RemoveReturnsTheCallsStatus) {
  RunRegistry<Counter> runs("strategy");
  ASSERT_TRUE(runs.Add("a", std::make_unique<Counter>()).ok());
  EXPECT_EQ(
      runs.Remove("a", [](Counter&) { return absl::InternalError("end"); }),
      absl::InternalError("end"));
  // Removed even though the call failed.
  EXPECT_EQ(runs.With("a", Increment).code(), absl::StatusCode::kNotFound);
}

// Both threads use both runs, so each run's counter is updated from two
// threads at once; only the run's own lock keeps every increment.
TEST(RunRegistryTest, TwoThreadsUsingTwoRunsLoseNoUpdate) {
  constexpr int kIncrementsPerThreadAndRun = 20000;
  RunRegistry<Counter> runs("execution");
  ASSERT_TRUE(runs.Add("a", std::make_unique<Counter>()).ok());
  ASSERT_TRUE(runs.Add("b", std::make_unique<Counter>()).ok());
  const auto work = [&runs](const std::string& first,
                            const std::string& second) {
    for (int i = 0; i < kIncrementsPerThreadAndRun; ++i) {
      EXPECT_TRUE(runs.With(first, Increment).ok());
      EXPECT_TRUE(runs.With(second, Increment).ok());
    }
  };
  std::thread one(work, "a", "b");
  std::thread two(work, "b", "a");
  one.join();
  two.join();
  EXPECT_EQ(ValueOf(runs, "a"), 2 * kIncrementsPerThreadAndRun);
  EXPECT_EQ(ValueOf(runs, "b"), 2 * kIncrementsPerThreadAndRun);
}

}  // namespace
}  // namespace seed
