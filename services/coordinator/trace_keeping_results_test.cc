// A run's outcome or trace the results stage cannot store is kept and stored
// later, in order; a trace the disk is too full for is not kept.
#include "services/coordinator/trace_keeping_results.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"

namespace seed::coordinator {
namespace {

// What the fake results stage does with FinishRun and StoreTrace, shared
// with the test (the wrapper owns the stage, and may call it from its retry
// thread).
struct StoreLog {
  absl::Mutex mutex;
  absl::Status failure;             // OK: stores
  std::vector<std::string> stored;  // "outcome run-a", "trace run-a", ...

  absl::Status Store(const std::string& what) {
    absl::MutexLock lock(&mutex);
    if (!failure.ok()) return failure;
    stored.push_back(what);
    return absl::OkStatus();
  }
  void Fail(absl::Status status) {
    absl::MutexLock lock(&mutex);
    failure = std::move(status);
  }
  std::vector<std::string> Stored() {
    absl::MutexLock lock(&mutex);
    return stored;
  }
};

class FakeResults final : public ResultsStage {
 public:
  explicit FakeResults(std::shared_ptr<StoreLog> store)
      : store_(std::move(store)) {}
  absl::Status BeginRun(const v1::BeginRunRequest&,
                        v1::BeginRunResponse*) override {
    return absl::UnimplementedError("BeginRun");
  }
  absl::Status AppendRecords(const v1::AppendRecordsRequest&,
                             v1::AppendRecordsResponse*) override {
    return absl::UnimplementedError("AppendRecords");
  }
  absl::Status FinishRun(const v1::FinishRunRequest& request,
                         v1::FinishRunResponse*) override {
    return store_->Store("outcome " + request.run_id());
  }
  absl::Status ListRuns(const v1::ListRunsRequest&,
                        v1::ListRunsResponse*) override {
    return absl::UnimplementedError("ListRuns");
  }
  absl::Status GetRun(const v1::GetRunRequest&, v1::GetRunResponse*) override {
    return absl::UnimplementedError("GetRun");
  }
  absl::Status StoreTrace(const v1::StoreTraceRequest& request,
                          v1::StoreTraceResponse*) override {
    return store_->Store("trace " + request.run_id());
  }
  absl::Status GetTrace(const v1::GetTraceRequest&,
                        v1::GetTraceResponse*) override {
    return absl::UnimplementedError("GetTrace");
  }

 private:
  std::shared_ptr<StoreLog> store_;
};

absl::Status DiskFull() {
  return StageFailure(absl::StatusCode::kResourceExhausted, "results",
                      "DISK_FULL", "database or disk is full");
}

absl::Status Unreachable() {
  return StageFailure(absl::StatusCode::kUnavailable, "results",
                      "STAGE_UNAVAILABLE", "the results service is not "
                      "reachable");
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

  absl::Status Finish(const std::string& run_id) {
    v1::FinishRunRequest request;
    request.set_run_id(run_id);
    request.set_state(v1::SUCCEEDED);
    v1::FinishRunResponse response;
    return results_->FinishRun(request, &response);
  }

  std::shared_ptr<StoreLog> store_ = std::make_shared<StoreLog>();
  std::unique_ptr<ResultsStage> results_ = KeepUnstoredTraces(
      std::make_unique<FakeResults>(store_), absl::Hours(1));
};

TEST_F(TraceKeepingResultsTest, ATraceTheResultsStageCannotTakeIsStoredLater) {
  store_->Fail(Unreachable());
  const absl::Status failed = Store("run-a");
  // The same failure, saying the trace is kept.
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  const v1::StageError error = ToStageError(failed, "coordinator");
  EXPECT_EQ(error.stage(), "results");
  EXPECT_EQ(error.reason(), "STAGE_UNAVAILABLE");
  EXPECT_TRUE(
      absl::StrContains(error.message(), "the coordinator keeps the trace"))
      << error.message();
  EXPECT_TRUE(store_->Stored().empty());

  // Still down: both kept, in order.
  EXPECT_FALSE(Store("run-b").ok());
  store_->Fail(absl::OkStatus());
  EXPECT_TRUE(Store("run-c").ok());
  EXPECT_EQ(store_->Stored(), (std::vector<std::string>{
                                  "trace run-a", "trace run-b", "trace run-c"}));
  // Stored once: nothing is kept any more.
  EXPECT_TRUE(Store("run-d").ok());
  EXPECT_EQ(store_->Stored().size(), 4u);
}

// A full disk: the trace, the largest write of a run, is not kept, so that
// storing it later cannot fill the disk again.
TEST_F(TraceKeepingResultsTest, ATraceTheDiskIsTooFullForIsNotKept) {
  store_->Fail(DiskFull());
  const absl::Status failed = Store("run-a");
  EXPECT_EQ(failed.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(failed.message(), "the trace is not kept"))
      << failed.message();
  store_->Fail(absl::OkStatus());
  EXPECT_TRUE(Store("run-b").ok());
  EXPECT_EQ(store_->Stored(), (std::vector<std::string>{"trace run-b"}));
}

// A run whose results service was down when it ended is stored as it ended:
// its outcome first, then its trace.
TEST_F(TraceKeepingResultsTest, AnOutcomeIsKeptAndStoredBeforeItsTrace) {
  store_->Fail(Unreachable());
  const absl::Status failed = Finish("run-a");
  EXPECT_TRUE(absl::IsUnavailable(failed));
  EXPECT_TRUE(absl::StrContains(failed.message(),
                                "the coordinator keeps the outcome (SUCCEEDED)"))
      << failed.message();
  EXPECT_FALSE(Store("run-a").ok());
  store_->Fail(absl::OkStatus());
  EXPECT_TRUE(Finish("run-b").ok());
  EXPECT_EQ(store_->Stored(),
            (std::vector<std::string>{"outcome run-a", "trace run-a",
                                      "outcome run-b"}));
}

// What is kept is stored in the background once the results stage is back,
// without waiting for another run.
TEST(TraceKeepingRetryTest, WhatIsKeptIsStoredWithoutANextRun) {
  auto store = std::make_shared<StoreLog>();
  std::unique_ptr<ResultsStage> results = KeepUnstoredTraces(
      std::make_unique<FakeResults>(store), absl::Milliseconds(20));
  store->Fail(Unreachable());
  v1::FinishRunRequest request;
  request.set_run_id("run-a");
  v1::FinishRunResponse response;
  EXPECT_FALSE(results->FinishRun(request, &response).ok());
  store->Fail(absl::OkStatus());
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (store->Stored().empty() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(store->Stored(), (std::vector<std::string>{"outcome run-a"}));
}

TEST_F(TraceKeepingResultsTest, ARunTheResultsStageDoesNotKnowIsNotKept) {
  store_->Fail(StageFailure(absl::StatusCode::kNotFound, "results",
                            "UNKNOWN_RUN", "no run run-a"));
  const absl::Status failed = Store("run-a");
  EXPECT_TRUE(absl::IsNotFound(failed));
  EXPECT_FALSE(absl::StrContains(failed.message(), "keeps"));
  store_->Fail(absl::OkStatus());
  EXPECT_TRUE(Store("run-b").ok());
  EXPECT_EQ(store_->Stored(), (std::vector<std::string>{"trace run-b"}));
}

TEST_F(TraceKeepingResultsTest, OnlyTheLastTracesAreKept) {
  store_->Fail(Unreachable());
  for (int i = 0; i <= kMaxKeptTraces; ++i) {
    EXPECT_FALSE(Store(absl::StrCat("run-", i)).ok());
  }
  store_->Fail(absl::OkStatus());
  EXPECT_TRUE(Store("last").ok());
  // run-0, the oldest, was given up for run-kMaxKeptTraces.
  const std::vector<std::string> stored = store_->Stored();
  ASSERT_EQ(stored.size(), kMaxKeptTraces + 1u);
  EXPECT_EQ(stored.front(), "trace run-1");
  EXPECT_EQ(stored[kMaxKeptTraces - 1],
            absl::StrCat("trace run-", kMaxKeptTraces));
  EXPECT_EQ(stored.back(), "trace last");
}

TEST_F(TraceKeepingResultsTest, WhatIsKeptIsStoredWhenTheCoordinatorStops) {
  store_->Fail(Unreachable());
  EXPECT_FALSE(Finish("run-a").ok());
  EXPECT_FALSE(Store("run-a").ok());
  store_->Fail(absl::OkStatus());
  results_.reset();
  EXPECT_EQ(store_->Stored(),
            (std::vector<std::string>{"outcome run-a", "trace run-a"}));
}

}  // namespace
}  // namespace seed::coordinator
