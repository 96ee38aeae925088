#include "services/results/results_service.h"

#include "common/grpc_status.h"

namespace seed::results {

grpc::Status ResultsServiceImpl::BeginRun(
    grpc::ServerContext* /*context*/,
    const backtest::v1::BeginRunRequest* request,
    backtest::v1::BeginRunResponse* response) {
  return ToGrpcStatus(engine_.BeginRun(*request, response));
}

grpc::Status ResultsServiceImpl::AppendRecords(
    grpc::ServerContext* /*context*/,
    const backtest::v1::AppendRecordsRequest* request,
    backtest::v1::AppendRecordsResponse* response) {
  return ToGrpcStatus(engine_.AppendRecords(*request, response));
}

grpc::Status ResultsServiceImpl::FinishRun(
    grpc::ServerContext* /*context*/,
    const backtest::v1::FinishRunRequest* request,
    backtest::v1::FinishRunResponse* response) {
  return ToGrpcStatus(engine_.FinishRun(*request, response));
}

grpc::Status ResultsServiceImpl::ListRuns(
    grpc::ServerContext* /*context*/,
    const backtest::v1::ListRunsRequest* request,
    backtest::v1::ListRunsResponse* response) {
  return ToGrpcStatus(engine_.ListRuns(*request, response));
}

grpc::Status ResultsServiceImpl::GetRun(
    grpc::ServerContext* /*context*/,
    const backtest::v1::GetRunRequest* request,
    backtest::v1::GetRunResponse* response) {
  return ToGrpcStatus(engine_.GetRun(*request, response));
}

grpc::Status ResultsServiceImpl::StoreTrace(
    grpc::ServerContext* /*context*/,
    const backtest::v1::StoreTraceRequest* request,
    backtest::v1::StoreTraceResponse* response) {
  return ToGrpcStatus(engine_.StoreTrace(*request, response));
}

grpc::Status ResultsServiceImpl::GetTrace(
    grpc::ServerContext* /*context*/,
    const backtest::v1::GetTraceRequest* request,
    backtest::v1::GetTraceResponse* response) {
  return ToGrpcStatus(engine_.GetTrace(*request, response));
}

}  // namespace seed::results
