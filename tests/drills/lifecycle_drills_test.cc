// Lifecycle drills (docs/failures.md): a run's life against its clients and
// its coordinator: cancels, watchers that leave, and a coordinator that is
// frozen or killed. Each checks how the run ends, what it kept, and that the
// coordinator serves the next run.
#include <signal.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/drills/drill_fixture.h"

namespace seed::drills {
namespace {

// --- 6. cancel and the client leaving ---------------------------------------

// `bt run --remote` killed while it watches: watching never changes a run,
// so it goes on to the end, identical to the embedded run. The faulty
// strategy slows down from step 100 so the run is still going when the
// client dies.
TEST_F(DrillsTest, ClientDisconnectsWhileWatching) {
  constexpr int kSlowStep = 100;
  const Outcome reference = RunEmbedded(FaultySpec("none", kSlowStep));
  ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED);
  const fs::path spec_file = Workspace() / "client_gone.yaml";
  WriteText(spec_file, FaultySpec("slow", kSlowStep));
  absl::StatusOr<std::unique_ptr<ChildProcess>> client =
      ChildProcess::Start({"cli/bt", "run", spec_file.string(),
                           absl::StrCat("--remote=", addresses_.coordinator),
                           absl::StrCat("--results=", addresses_.results)},
                          (Workspace() / "client_gone.log").string());
  ASSERT_TRUE(client.ok()) << client.status();
  const std::string slow_line = absl::StrCat("slow from step ", kSlowStep);
  std::string run_id;
  const absl::Time deadline = absl::Now() + kStartTimeout;
  const std::string kSubmitted = "submitted run ";
  while (absl::Now() < deadline &&
         (run_id.empty() ||
          !absl::StrContains(faulty_strategy_->Log(), slow_line))) {
    const std::string log = (*client)->Log();
    const size_t at = log.find(kSubmitted);
    const size_t end = at == std::string::npos
                           ? std::string::npos
                           : log.find(' ', at + kSubmitted.size());
    if (end != std::string::npos) {
      run_id = log.substr(at + kSubmitted.size(), end - at - kSubmitted.size());
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_FALSE(run_id.empty()) << (*client)->Log();
  (*client)->Signal(SIGKILL);
  (*client)->Wait();
  const Outcome gone = PollEnded(run_id);
  CheckEnd(gone, {.state = v1::SUCCEEDED});
  EXPECT_EQ(gone.stored.equity_size(), reference.stored.equity_size());
  ExpectRecordsKept(gone, reference, reference.stored.equity_size());
  ExpectCoordinatorServes();
}

// A watcher whose deadline passes leaves the run going too: only CancelRun
// stops a run.
TEST_F(DrillsTest, AWatchDeadlineDoesNotCancel) {
  const std::string run_id = Submit(LongSpec("watch-deadline"));
  {
    grpc::ClientContext context;
    context.set_deadline(
        absl::ToChronoTime(absl::Now() + absl::Milliseconds(50)));
    v1::WatchRunRequest watch;
    watch.set_run_id(run_id);
    auto reader = Coordinator()->WatchRun(&context, watch);
    v1::RunProgress progress;
    while (reader->Read(&progress)) {
    }
    EXPECT_EQ(reader->Finish().error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  CheckEnd(PollEnded(run_id), {.state = v1::SUCCEEDED});
}

// A run submitted without a watcher is detached: it runs to the end.
TEST_F(DrillsTest, UnwatchedRunGoesOn) {
  CheckEnd(PollEnded(Submit(LongSpec("detached"))), {.state = v1::SUCCEEDED});
}

TEST_F(DrillsTest, CancelInTheMiddleOfARun) {
  const std::string spec = LongSpec("cancelled");
  const Outcome reference = RunEmbedded(spec);
  const std::string run_id = Submit(spec);
  const Outcome cancelled = WatchToEnd(
      run_id, StrikeAfter(4096, [run_id] {
        v1::CancelRunRequest cancel;
        cancel.set_run_id(run_id);
        v1::CancelRunResponse response;
        grpc::ClientContext context;
        EXPECT_TRUE(Coordinator()->CancelRun(&context, cancel, &response).ok());
        // The run ends within the coordinator's wait: the final state.
        EXPECT_EQ(response.state(), v1::CANCELLED);
        EXPECT_FALSE(response.pending());
      }));
  CheckEnd(
      cancelled,
      {.state = v1::CANCELLED, .stage = "coordinator", .reason = "CANCELLED"});
  ExpectRecordsKept(cancelled, reference, 4096);
  EXPECT_LT(cancelled.stored.equity_size(), reference.stored.equity_size());
  EXPECT_EQ(cancelled.stored.run().spec_hash(),
            reference.stored.run().spec_hash());
  ExpectCoordinatorServes();
}

// The same in embedded mode: the run is cancelled while the faulty strategy
// (slow from step 150) is working on it.
TEST_F(DrillsTest, CancelInTheMiddleOfAnEmbeddedRun) {
  constexpr int kSlowStep = 150;
  const Outcome reference = RunEmbedded(FaultySpec("none", kSlowStep));
  ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED);
  coordinator::RemoteOptions options;
  ASSERT_TRUE(absl::ParseDuration(kStepDeadline, &options.step_deadline));
  absl::StatusOr<coordinator::Stages> stages = coordinator::MakeEmbeddedStages(
      (Workspace() / "embedded.db").string(), options);
  ASSERT_TRUE(stages.ok()) << stages.status();
  coordinator::RunManager runs(*std::move(stages));
  absl::StatusOr<std::string> run_id =
      runs.Submit(FaultySpec("slow", kSlowStep), "");
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  const std::string slow_line = absl::StrCat("slow from step ", kSlowStep);
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (absl::Now() < deadline &&
         !absl::StrContains(faulty_strategy_->Log(), slow_line)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(runs.Cancel(*run_id).ok());
  Outcome cancelled;
  cancelled.run_id = *run_id;
  cancelled.progress = *runs.Wait(*run_id);
  cancelled.stored = testing::FetchRun(*runs.stages().results, *run_id);
  cancelled.trace = FetchTrace(*runs.stages().results, *run_id);
  CheckEnd(
      cancelled,
      {.state = v1::CANCELLED, .stage = "coordinator", .reason = "CANCELLED"});
  ExpectRecordsKept(cancelled, reference, kSlowStep - 10);
  EXPECT_LT(cancelled.stored.equity_size(), reference.stored.equity_size());
}

// --- 7. a frozen coordinator or stage ----------------------------------------

// The coordinator frozen (SIGSTOP) for five step deadlines in the middle of a
// run: its stage calls keep time by its own awake clock, so the stages that
// answered while it was frozen are not blamed, and the run ends as if
// nothing had happened.
TEST_F(DrillsTest, AFrozenCoordinatorDoesNotBlameAStage) {
  const std::string spec = LongSpec("coordinator-frozen");
  const Outcome reference = RunEmbedded(spec);
  ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED);
  absl::Duration step_deadline;
  ASSERT_TRUE(absl::ParseDuration(kStepDeadline, &step_deadline));
  const Outcome frozen =
      WatchToEnd(Submit(spec), StrikeAfter(4096, [step_deadline] {
                   ChildProcess* coordinator = services_["coordinator"];
                   coordinator->Signal(SIGSTOP);
                   absl::SleepFor(5 * step_deadline);
                   coordinator->Signal(SIGCONT);
                 }));
  CheckEnd(frozen, {.state = v1::SUCCEEDED});
  EXPECT_EQ(frozen.stored.equity_size(), reference.stored.equity_size());
  ExpectRecordsKept(frozen, reference, reference.stored.equity_size());
}

// A frozen execution service fails the run once the step deadline passes,
// naming execution; the run then ends without waiting for it a second time
// to end the run there, and says so.
TEST_F(DrillsTest, AFrozenStageFailsTheRunOnce) {
  const std::string spec = LongSpec("execution-frozen");
  const Outcome reference = RunEmbedded(spec);
  ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED);
  const Outcome failed = WatchToEnd(Submit(spec), StrikeAfter(4096, [] {
                                      services_["execution"]->Signal(SIGSTOP);
                                    }));
  services_["execution"]->Signal(SIGCONT);
  CheckEnd(failed, {.stage = "execution",
                    .reason = "DEADLINE_EXCEEDED",
                    .failing_span = "execution.execute_steps"});
  ExpectRecordsKept(failed, reference, 4096);
  EXPECT_TRUE(std::any_of(
      failed.progress.notices().begin(), failed.progress.notices().end(),
      [](const std::string& notice) {
        return absl::StrContains(notice,
                                 "the execution stage was not asked "
                                 "to end the run");
      }))
      << failed.progress.DebugString();
  ExpectCoordinatorServes();
}

// --- the whole system killed -------------------------------------------------

// Every service and the coordinator SIGKILLed in the middle of a run, then
// started again: no run is left RUNNING. The run that was going reads
// ABANDONED once its lease (2 s here) runs out, saying how far it got.
TEST_F(DrillsTest, EverythingKilledLeavesNoRunRunning) {
  constexpr int kSlowStep = 50;
  StopService("coordinator", SIGTERM);
  StartService("coordinator", "", DistributedDb(), {"--run-lease=2s"});
  if (HasFatalFailure()) return;
  const std::string run_id = Submit(FaultySpec("slow", kSlowStep));
  // Going, and some of its records stored.
  PollStored(run_id, [](const v1::GetRunResponse& stored) {
    return stored.run().state() == v1::RUNNING && stored.equity_size() > 0;
  });
  StopService("coordinator", SIGKILL);
  for (const absl::string_view name : coordinator::kServiceNames) {
    if (name != "coordinator") StopService(std::string(name), SIGKILL);
  }
  for (const absl::string_view name : coordinator::kServiceNames) {
    StartService(std::string(name));
    if (HasFatalFailure()) return;
  }

  const v1::GetRunResponse abandoned =
      PollStored(run_id, [](const v1::GetRunResponse& stored) {
        return stored.run().state() != v1::RUNNING;
      });
  EXPECT_EQ(abandoned.run().state(), v1::ABANDONED)
      << abandoned.run().DebugString();
  EXPECT_EQ(abandoned.run().error().stage(), "coordinator");
  EXPECT_EQ(abandoned.run().error().reason(), "ABANDONED");
  EXPECT_TRUE(absl::StrContains(abandoned.run().error().message(), " steps"))
      << abandoned.run().error().message();
  EXPECT_GT(abandoned.equity_size(), 0) << "its records are kept";

  coordinator::Stages remote = coordinator::MakeRemoteStages(addresses_);
  v1::ListRunsRequest running;
  running.set_state("RUNNING");
  v1::ListRunsResponse listed;
  ASSERT_TRUE(remote.results->ListRuns(running, &listed).ok());
  EXPECT_EQ(listed.runs_size(), 0) << listed.DebugString();
  ExpectCoordinatorServes();
}

}  // namespace
}  // namespace seed::drills
