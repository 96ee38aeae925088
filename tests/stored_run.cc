#include "tests/stored_run.h"

#include "backtest/v1/coordinator.grpc.pb.h"
#include "common/server.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/coordinator/stored_records.h"

namespace seed::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;

template <typename Repeated>
void ExpectSame(const Repeated& expected, const Repeated& actual,
                const std::string& what) {
  ASSERT_EQ(expected.size(), actual.size()) << what;
  for (int i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(expected[i], actual[i]))
        << what << " #" << i << "\nexpected: " << expected[i].ShortDebugString()
        << "\nactual:   " << actual[i].ShortDebugString();
  }
}

}  // namespace

backtest::v1::GetRunResponse FetchRun(coordinator::ResultsStage& results,
                                      const std::string& run_id) {
  // Every page of every kind of record, however large the run.
  absl::StatusOr<backtest::v1::GetRunResponse> run =
      coordinator::FetchRunWithRecords(results, run_id);
  EXPECT_TRUE(run.ok()) << "fetching run " << run_id << ": " << run.status();
  return run.value_or(backtest::v1::GetRunResponse());
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

void ExpectSameOutcome(const StoredRun& expected, const StoredRun& actual,
                       int minimum_trades) {
  ASSERT_EQ(expected.progress.state(), backtest::v1::SUCCEEDED)
      << expected.progress.DebugString();
  ASSERT_EQ(actual.progress.state(), backtest::v1::SUCCEEDED)
      << actual.progress.DebugString();
  EXPECT_GE(expected.stored.trades_size(), minimum_trades);
  ExpectSame(expected.stored.fills(), actual.stored.fills(), "fill");
  ExpectSame(expected.stored.rejections(), actual.stored.rejections(),
             "rejection");
  ExpectSame(expected.stored.trades(), actual.stored.trades(), "trade");
  ExpectSame(expected.stored.equity(), actual.stored.equity(), "equity");
  EXPECT_TRUE(MessageDifferencer::Equals(expected.stored.run().metrics(),
                                         actual.stored.run().metrics()))
      << expected.stored.run().metrics().ShortDebugString() << "\n"
      << actual.stored.run().metrics().ShortDebugString();
  EXPECT_EQ(expected.stored.run().spec_hash(), actual.stored.run().spec_hash());
  EXPECT_EQ(expected.stored.run().data_hash(), actual.stored.run().data_hash());
}

}  // namespace seed::testing
