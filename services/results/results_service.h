// The gRPC face of the results stage: translates ResultsService calls to
// ResultsEngine and its failures to gRPC statuses with details. Thread-safe
// because the engine is.
#ifndef SEED_SERVICES_RESULTS_RESULTS_SERVICE_H_
#define SEED_SERVICES_RESULTS_RESULTS_SERVICE_H_

#include "backtest/v1/results.grpc.pb.h"
#include "services/results/results_engine.h"

namespace seed::results {

class ResultsServiceImpl final : public backtest::v1::ResultsService::Service {
 public:
  explicit ResultsServiceImpl(ResultsEngine& engine) : engine_(engine) {}

  grpc::Status BeginRun(grpc::ServerContext* context,
                        const backtest::v1::BeginRunRequest* request,
                        backtest::v1::BeginRunResponse* response) override;
  grpc::Status AppendRecords(
      grpc::ServerContext* context,
      const backtest::v1::AppendRecordsRequest* request,
      backtest::v1::AppendRecordsResponse* response) override;
  grpc::Status FinishRun(grpc::ServerContext* context,
                         const backtest::v1::FinishRunRequest* request,
                         backtest::v1::FinishRunResponse* response) override;
  grpc::Status ListRuns(grpc::ServerContext* context,
                        const backtest::v1::ListRunsRequest* request,
                        backtest::v1::ListRunsResponse* response) override;
  grpc::Status GetRun(grpc::ServerContext* context,
                      const backtest::v1::GetRunRequest* request,
                      backtest::v1::GetRunResponse* response) override;
  grpc::Status StoreTrace(grpc::ServerContext* context,
                          const backtest::v1::StoreTraceRequest* request,
                          backtest::v1::StoreTraceResponse* response) override;
  grpc::Status GetTrace(grpc::ServerContext* context,
                        const backtest::v1::GetTraceRequest* request,
                        backtest::v1::GetTraceResponse* response) override;
  grpc::Status UpdateRun(grpc::ServerContext* context,
                         const backtest::v1::UpdateRunRequest* request,
                         backtest::v1::UpdateRunResponse* response) override;
  grpc::Status ListRunRecords(
      grpc::ServerContext* context,
      const backtest::v1::ListRunRecordsRequest* request,
      backtest::v1::ListRunRecordsResponse* response) override;
  grpc::Status CreateJob(grpc::ServerContext* context,
                         const backtest::v1::CreateJobRequest* request,
                         backtest::v1::CreateJobResponse* response) override;
  grpc::Status GetJob(grpc::ServerContext* context,
                      const backtest::v1::GetJobRequest* request,
                      backtest::v1::GetJobResponse* response) override;
  grpc::Status ListJobs(grpc::ServerContext* context,
                        const backtest::v1::ListJobsRequest* request,
                        backtest::v1::ListJobsResponse* response) override;
  grpc::Status StoreJobResult(
      grpc::ServerContext* context,
      const backtest::v1::StoreJobResultRequest* request,
      backtest::v1::StoreJobResultResponse* response) override;

 private:
  ResultsEngine& engine_;
};

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_RESULTS_SERVICE_H_
