#include "services/data/data_service.h"

#include "common/grpc_status.h"

namespace seed::data {

grpc::Status DataServiceImpl::OpenDataset(
    grpc::ServerContext*, const backtest::v1::OpenDatasetRequest* request,
    backtest::v1::OpenDatasetResponse* response) {
  return ToGrpcStatus(engine_.OpenDataset(*request, response));
}

grpc::Status DataServiceImpl::ReadBars(
    grpc::ServerContext*, const backtest::v1::ReadBarsRequest* request,
    backtest::v1::ReadBarsResponse* response) {
  return ToGrpcStatus(engine_.ReadBars(*request, response));
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
  return ToGrpcStatus(engine_.ValidateFiles(*request, response));
}

}  // namespace seed::data
