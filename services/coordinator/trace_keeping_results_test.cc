// A trace the results stage cannot store is kept and stored later, in order.
#include "services/coordinator/trace_keeping_results.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "services/coordinator/unimplemented_results.h"

namespace seed::coordinator {
namespace {

// What the fake results stage does with StoreTrace, shared with the test
// (the wrapper owns the stage).
struct StoreLog {
  absl::Status failure;             // OK: stores
  std::vector<std::string> stored;  // run ids, in the order stored
};

class FakeResults final : public UnimplementedResults {
 public:
  explicit FakeResults(std::shared_ptr<StoreLog> store)
      : store_(std::move(store)) {}
  absl::Status StoreTrace(const v1::StoreTraceRequest& request,
                          v1::StoreTraceResponse*) override {
    if (!store_->failure.ok()) return store_->failure;
    store_->stored.push_back(request.run_id());
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<StoreLog> store_;
};

absl::Status DiskFull() {
  return StageFailure(absl::StatusCode::kResourceExhausted, "results",
                      "DISK_FULL", "database or disk is full");
}

class TraceKeepingResultsTest : public ::testing::Test {
 protected:
  absl::Status Store(const std::string& run_id) {
    v1::StoreTraceRequest request;
    request.set_run_id(run_id);
    request.mutable_trace()->add_spans()->set_name("run");
    v1::StoreTraceResponse response;
    return results_->StoreTrace(request, &response);
  }

  std::shared_ptr<StoreLog> store_ = std::make_shared<StoreLog>();
  std::unique_ptr<ResultsStage> results_ =
      KeepUnstoredTraces(std::make_unique<FakeResults>(store_));
};

TEST_F(TraceKeepingResultsTest, ATraceTheDiskCannotTakeIsStoredWithTheNext) {
  store_->failure = DiskFull();
  const absl::Status failed = Store("run-a");
  // The same failure, saying the trace is kept.
  EXPECT_EQ(failed.code(), absl::StatusCode::kResourceExhausted);
  const v1::StageError error = ToStageError(failed, "coordinator");
  EXPECT_EQ(error.stage(), "results");
  EXPECT_EQ(error.reason(), "DISK_FULL");
  EXPECT_TRUE(absl::StrContains(error.message(), "disk is full"));
  EXPECT_TRUE(
      absl::StrContains(error.message(), "the coordinator keeps the trace"))
      << error.message();
  EXPECT_TRUE(store_->stored.empty());

  // Still full: both kept, in order.
  EXPECT_FALSE(Store("run-b").ok());
  store_->failure = absl::OkStatus();
  EXPECT_TRUE(Store("run-c").ok());
  EXPECT_EQ(store_->stored,
            (std::vector<std::string>{"run-a", "run-b", "run-c"}));
  // Stored once: nothing is kept any more.
  EXPECT_TRUE(Store("run-d").ok());
  EXPECT_EQ(store_->stored.size(), 4u);
}

TEST_F(TraceKeepingResultsTest, ARunTheResultsStageDoesNotKnowIsNotKept) {
  store_->failure = StageFailure(absl::StatusCode::kNotFound, "results",
                                 "UNKNOWN_RUN", "no run run-a");
  const absl::Status failed = Store("run-a");
  EXPECT_TRUE(absl::IsNotFound(failed));
  EXPECT_FALSE(absl::StrContains(failed.message(), "keeps"));
  store_->failure = absl::OkStatus();
  EXPECT_TRUE(Store("run-b").ok());
  EXPECT_EQ(store_->stored, (std::vector<std::string>{"run-b"}));
}

TEST_F(TraceKeepingResultsTest, OnlyTheLastTracesAreKept) {
  store_->failure = DiskFull();
  for (int i = 0; i <= kMaxKeptTraces; ++i) {
    EXPECT_FALSE(Store(absl::StrCat("run-", i)).ok());
  }
  store_->failure = absl::OkStatus();
  EXPECT_TRUE(Store("last").ok());
  // run-0, the oldest, was given up for run-kMaxKeptTraces.
  ASSERT_EQ(store_->stored.size(), kMaxKeptTraces + 1u);
  EXPECT_EQ(store_->stored.front(), "run-1");
  EXPECT_EQ(store_->stored[kMaxKeptTraces - 1],
            absl::StrCat("run-", kMaxKeptTraces));
  EXPECT_EQ(store_->stored.back(), "last");
}

TEST_F(TraceKeepingResultsTest, TracesKeptAreStoredWhenTheCoordinatorStops) {
  store_->failure = DiskFull();
  EXPECT_FALSE(Store("run-a").ok());
  store_->failure = absl::OkStatus();
  results_.reset();
  EXPECT_EQ(store_->stored, (std::vector<std::string>{"run-a"}));
}

}  // namespace
}  // namespace seed::coordinator
