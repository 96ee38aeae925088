// gRPC adapter of the data stage: translates DataService calls to DataEngine
// and its absl::Status results to gRPC statuses with details. Thread-safe as
// the engine is.
#ifndef SEED_SERVICES_DATA_DATA_SERVICE_H_
#define SEED_SERVICES_DATA_DATA_SERVICE_H_

#include "backtest/v1/data.grpc.pb.h"
#include "services/data/data_engine.h"

namespace seed::data {

class DataServiceImpl final : public backtest::v1::DataService::Service {
 public:
  explicit DataServiceImpl(DataEngine& engine) : engine_(engine) {}

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
  DataEngine& engine_;
};

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_DATA_SERVICE_H_
