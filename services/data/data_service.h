// gRPC adapter of the data stage: translates DataService calls to DataEngine
// and its absl::Status results to gRPC statuses with details, and counts
// what it serves (data_service_metrics.h). Thread-safe as the engine is.
#ifndef SEED_SERVICES_DATA_DATA_SERVICE_H_
#define SEED_SERVICES_DATA_DATA_SERVICE_H_

#include "backtest/v1/data.grpc.pb.h"
#include "services/data/data_engine.h"
#include "services/data/data_service_metrics.h"

namespace seed::data {

class DataServiceImpl final : public backtest::v1::DataService::Service {
 public:
  explicit DataServiceImpl(DataEngine& engine)
      : engine_(engine), loads_(DataServiceMetrics::Process()) {}

  grpc::Status OpenDataset(
      grpc::ServerContext* context,
      const backtest::v1::OpenDatasetRequest* request,
      backtest::v1::OpenDatasetResponse* response) override;
  grpc::Status ReadBars(grpc::ServerContext* context,
                        const backtest::v1::ReadBarsRequest* request,
                        backtest::v1::ReadBarsResponse* response) override;
  grpc::Status CloseDataset(
      grpc::ServerContext* context,
      const backtest::v1::CloseDatasetRequest* request,
      backtest::v1::CloseDatasetResponse* response) override;
  grpc::Status ReadMetadata(
      grpc::ServerContext* context,
      const backtest::v1::ReadMetadataRequest* request,
      backtest::v1::ReadMetadataResponse* response) override;
  grpc::Status ValidateFiles(
      grpc::ServerContext* context,
      const backtest::v1::ValidateFilesRequest* request,
      backtest::v1::ValidateFilesResponse* response) override;

 private:
  // The engine's file loads, into the process's metrics.
  void UpdateLoadMetrics();

  DataEngine& engine_;
  DataServiceMetrics::EngineLoads loads_;
};

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_DATA_SERVICE_H_
