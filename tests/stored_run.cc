#include "tests/stored_run.h"

#include "backtest/v1/coordinator.grpc.pb.h"
#include "common/server.h"
#include "gtest/gtest.h"

namespace seed::testing {

backtest::v1::GetRunResponse FetchRun(coordinator::ResultsStage& results,
                                      const std::string& run_id) {
  backtest::v1::GetRunRequest request;
  request.set_run_id(run_id);
  request.set_include_records(true);
  backtest::v1::GetRunResponse response;
  const absl::Status status = results.GetRun(request, &response);
  EXPECT_TRUE(status.ok()) << "fetching run " << run_id << ": " << status;
  return response;
}

StoredRun RunToEnd(coordinator::RunManager& runs, const std::string& spec,
                   const std::string& base_dir) {
  StoredRun run;
  const absl::StatusOr<std::string> run_id = runs.Submit(spec, base_dir);
  EXPECT_TRUE(run_id.ok()) << run_id.status() << "\n" << spec;
  if (!run_id.ok()) return run;
  run.run_id = *run_id;
  const absl::StatusOr<backtest::v1::RunProgress> progress = runs.Wait(*run_id);
  EXPECT_TRUE(progress.ok())
      << "waiting for run " << *run_id << ": " << progress.status();
  if (!progress.ok()) return run;
  run.progress = *progress;
  run.stored = FetchRun(*runs.stages().results, *run_id);
  return run;
}

std::string SubmitRemote(const std::string& coordinator,
                         const std::string& spec,
                         const std::string& traceparent) {
  backtest::v1::SubmitRunRequest submit;
  submit.set_spec_yaml(spec);
  backtest::v1::SubmitRunResponse submitted;
  grpc::ClientContext context;
  if (!traceparent.empty()) context.AddMetadata("traceparent", traceparent);
  const grpc::Status status =
      backtest::v1::CoordinatorService::NewStub(MakeChannel(coordinator))
          ->SubmitRun(&context, submit, &submitted);
  EXPECT_TRUE(status.ok()) << "submitting to " << coordinator << ": "
                           << status.error_message() << "\n"
                           << spec;
  return submitted.run_id();
}

StoredRun WatchRemote(
    const coordinator::ServiceAddresses& addresses, const std::string& run_id,
    const std::function<void(const backtest::v1::RunProgress&)>& on_progress) {
  StoredRun run;
  run.run_id = run_id;
  auto stub = backtest::v1::CoordinatorService::NewStub(
      MakeChannel(addresses.coordinator));
  backtest::v1::WatchRunRequest watch;
  watch.set_run_id(run_id);
  grpc::ClientContext context;
  auto reader = stub->WatchRun(&context, watch);
  backtest::v1::RunProgress progress;
  while (reader->Read(&progress)) {
    run.progress = progress;
    if (on_progress) on_progress(progress);
  }
  const grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << "watching run " << run_id << ": "
                           << status.error_message();
  run.stored =
      FetchRun(*coordinator::MakeRemoteStages(addresses).results, run_id);
  return run;
}

}  // namespace seed::testing
