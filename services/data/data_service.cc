#include "services/data/data_service.h"

#include "common/grpc_status.h"

namespace seed::data {

void DataServiceImpl::UpdateLoadMetrics() {
  const DatasetStore::Stats stats = engine_.load_stats();
  loads_.Update({
      .memory_hits = stats.memory_hits,
      .column_cache_hits = stats.column_cache.hits,
      .parsed = stats.parsed,
  });
}

grpc::Status DataServiceImpl::OpenDataset(
    grpc::ServerContext*, const backtest::v1::OpenDatasetRequest* request,
    backtest::v1::OpenDatasetResponse* response) {
  const absl::Status status = engine_.OpenDataset(*request, response);
  UpdateLoadMetrics();
  return ToGrpcStatus(status);
}

grpc::Status DataServiceImpl::ReadBars(
    grpc::ServerContext*, const backtest::v1::ReadBarsRequest* request,
    backtest::v1::ReadBarsResponse* response) {
  const absl::Status status = engine_.ReadBars(*request, response);
  if (status.ok()) {
    DataServiceMetrics::Process().BarsServed(response->series().time_size());
  }
  return ToGrpcStatus(status);
}

grpc::Status DataServiceImpl::CloseDataset(
    grpc::ServerContext*, const backtest::v1::CloseDatasetRequest* request,
    backtest::v1::CloseDatasetResponse* response) {
  return ToGrpcStatus(engine_.CloseDataset(*request, response));
}

grpc::Status DataServiceImpl::ReadMetadata(
    grpc::ServerContext*, const backtest::v1::ReadMetadataRequest* request,
    backtest::v1::ReadMetadataResponse* response) {
  return ToGrpcStatus(engine_.ReadMetadata(*request, response));
}

grpc::Status DataServiceImpl::ValidateFiles(
    grpc::ServerContext*, const backtest::v1::ValidateFilesRequest* request,
    backtest::v1::ValidateFilesResponse* response) {
  const absl::Status status = engine_.ValidateFiles(*request, response);
  UpdateLoadMetrics();
  return ToGrpcStatus(status);
}

}  // namespace seed::data
