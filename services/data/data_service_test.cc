#include "services/data/data_service.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/metrics.h"
#include "common/metrics_scrape.h"
#include "common/server.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace seed::data {
namespace {

// The adapter over a real loopback connection: results and stage errors
// arrive as the engine produced them.
TEST(DataServiceTest, ServesTheEngineAndKeepsErrorDetails) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/service");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/ORCL.csv") << "date,open,high,low,close,volume\n"
                                      "1995-01-03,10,11,9,10,100\n"
                                      "1995-01-04,10,12,9,11,200\n";
  DataEngine engine;
  DataServiceImpl service(engine);
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartServer("127.0.0.1:0", {&service}, &port);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto stub = backtest::v1::DataService::NewStub(MakeChannel(address));

  backtest::v1::OpenDatasetRequest request;
  request.mutable_data()->set_path(dir);
  request.mutable_data()->add_symbols("ORCL");
  backtest::v1::OpenDatasetResponse opened;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub->OpenDataset(&context, request, &opened).ok());
  }
  backtest::v1::ReadBarsRequest read;
  read.set_dataset_id(opened.dataset_id());
  read.set_limit(10);
  backtest::v1::ReadBarsResponse bars;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub->ReadBars(&context, read, &bars).ok());
  }
  EXPECT_EQ(bars.series().close_size(), 2);
  EXPECT_TRUE(bars.end());

  request.mutable_data()->add_symbols("XYZ");
  grpc::ClientContext context;
  const absl::Status status = FromGrpcStatus(
      stub->OpenDataset(&context, request, &opened), "data", address);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  const backtest::v1::StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "data");
  EXPECT_EQ(error.reason(), "NO_DATA_FILE");
  EXPECT_EQ(error.symbol(), "XYZ");
  (*server)->Shutdown();
}

// The sum of the process's samples `name` with `labels`.
double ProcessCounter(absl::string_view name,
                      const std::map<std::string, std::string>& labels = {}) {
  return metrics::SumOfSamples(prometheus::TextSerializer().Serialize(
                                   metrics::ProcessRegistry()->Collect()),
                               name, labels);
}

// The adapter counts the engine's file loads (read and parsed, or kept in
// memory) and the bars it serves.
TEST(DataServiceTest, CountsLoadsHitsAndBarsServed) {
  // No column cache: a file parsed by an earlier run would not be parsed.
  setenv("BT_COLUMN_CACHE", "off", 1);
  const std::string dir = absl::StrCat(::testing::TempDir(), "/counted");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/ORCL.csv") << "date,open,high,low,close,volume\n"
                                      "1995-01-03,10,11,9,10,100\n"
                                      "1995-01-04,10,12,9,11,200\n"
                                      "1995-01-05,11,12,10,12,300\n";
  DataEngine engine;
  DataServiceImpl service(engine);
  const double loaded = ProcessCounter("seed_data_files_parsed_total");
  const double hits = ProcessCounter("seed_data_file_cache_hits_total");
  const double memory_hits =
      ProcessCounter("seed_data_file_cache_hits_total", {{"cache", "memory"}});
  const double served = ProcessCounter("seed_data_bars_served_total");
  backtest::v1::OpenDatasetRequest request;
  request.mutable_data()->set_path(dir);
  request.mutable_data()->add_symbols("ORCL");
  for (int i = 0; i < 2; ++i) {
    grpc::ServerContext context;
    backtest::v1::OpenDatasetResponse opened;
    ASSERT_TRUE(service.OpenDataset(&context, &request, &opened).ok());
    backtest::v1::ReadBarsRequest read;
    read.set_dataset_id(opened.dataset_id());
    read.set_limit(10);
    backtest::v1::ReadBarsResponse bars;
    ASSERT_TRUE(service.ReadBars(&context, &read, &bars).ok());
  }
  EXPECT_EQ(ProcessCounter("seed_data_files_parsed_total") - loaded, 1);
  EXPECT_EQ(ProcessCounter("seed_data_file_cache_hits_total") - hits, 1);
  EXPECT_EQ(
      ProcessCounter("seed_data_file_cache_hits_total", {{"cache", "memory"}}) -
          memory_hits,
      1);
  EXPECT_EQ(ProcessCounter("seed_data_bars_served_total") - served, 6);
}

}  // namespace
}  // namespace seed::data
