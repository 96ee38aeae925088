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

grpc::Status ResultsServiceImpl::UpdateRun(
    grpc::ServerContext* /*context*/,
    const backtest::v1::UpdateRunRequest* request,
    backtest::v1::UpdateRunResponse* response) {
  return ToGrpcStatus(engine_.UpdateRun(*request, response));
}

grpc::Status ResultsServiceImpl::ListRunRecords(
    grpc::ServerContext* /*context*/,
    const backtest::v1::ListRunRecordsRequest* request,
    backtest::v1::ListRunRecordsResponse* response) {
  return ToGrpcStatus(engine_.ListRunRecords(*request, response));
}

grpc::Status ResultsServiceImpl::CreateJob(
    grpc::ServerContext* /*context*/,
    const backtest::v1::CreateJobRequest* request,
    backtest::v1::CreateJobResponse* response) {
  return ToGrpcStatus(engine_.CreateJob(*request, response));
}

grpc::Status ResultsServiceImpl::GetJob(
    grpc::ServerContext* /*context*/,
    const backtest::v1::GetJobRequest* request,
    backtest::v1::GetJobResponse* response) {
  return ToGrpcStatus(engine_.GetJob(*request, response));
}

grpc::Status ResultsServiceImpl::ListJobs(
    grpc::ServerContext* /*context*/,
    const backtest::v1::ListJobsRequest* request,
    backtest::v1::ListJobsResponse* response) {
  return ToGrpcStatus(engine_.ListJobs(*request, response));
}

grpc::Status ResultsServiceImpl::StoreJobResult(
    grpc::ServerContext* /*context*/,
    const backtest::v1::StoreJobResultRequest* request,
    backtest::v1::StoreJobResultResponse* response) {
  return ToGrpcStatus(engine_.StoreJobResult(*request, response));
}

}  // namespace seed::results
