// Bases for stage decorators: each Forwarding*Stage owns an inner stage and
// passes every call to it unchanged, so a wrapper (traced_stages.h's spans,
// the look-ahead check's recorders) overrides only the calls it changes and
// a call added to a stage interface needs one forwarder here, not one per
// wrapper. Thread-safe when the inner stage is.
#ifndef SEED_SERVICES_COORDINATOR_FORWARDING_STAGES_H_
#define SEED_SERVICES_COORDINATOR_FORWARDING_STAGES_H_

#include <memory>
#include <utility>

#include "services/coordinator/stages.h"

namespace seed::coordinator {

class ForwardingDataStage : public DataStage {
 public:
  explicit ForwardingDataStage(std::unique_ptr<DataStage> inner)
      : inner_(std::move(inner)) {}
  absl::Status OpenDataset(const v1::OpenDatasetRequest& request,
                           v1::OpenDatasetResponse* response) override {
    return inner_->OpenDataset(request, response);
  }
  absl::Status ReadBars(const v1::ReadBarsRequest& request,
                        v1::ReadBarsResponse* response) override {
    return inner_->ReadBars(request, response);
  }
  absl::Status CloseDataset(const v1::CloseDatasetRequest& request,
                            v1::CloseDatasetResponse* response) override {
    return inner_->CloseDataset(request, response);
  }
  absl::Status ValidateFiles(const v1::ValidateFilesRequest& request,
                             v1::ValidateFilesResponse* response) override {
    return inner_->ValidateFiles(request, response);
  }
  absl::Status ReadMetadata(const v1::ReadMetadataRequest& request,
                            v1::ReadMetadataResponse* response) override {
    return inner_->ReadMetadata(request, response);
  }

 protected:
  DataStage& inner() { return *inner_; }

 private:
  std::unique_ptr<DataStage> inner_;
};

class ForwardingStrategyStage : public StrategyStage {
 public:
  explicit ForwardingStrategyStage(std::unique_ptr<StrategyStage> inner)
      : inner_(std::move(inner)) {}
  absl::Status ListStrategies(const v1::ListStrategiesRequest& request,
                              v1::ListStrategiesResponse* response) override {
    return inner_->ListStrategies(request, response);
  }
  absl::Status StartRun(const v1::StrategyStartRequest& request,
                        v1::StrategyStartResponse* response) override {
    return inner_->StartRun(request, response);
  }
  absl::Status OnSteps(const v1::StrategyStepsRequest& request,
                       v1::StrategyStepsResponse* response) override {
    return inner_->OnSteps(request, response);
  }
  absl::Status EndRun(const v1::StrategyEndRequest& request,
                      v1::StrategyEndResponse* response) override {
    return inner_->EndRun(request, response);
  }

 protected:
  StrategyStage& inner() { return *inner_; }

 private:
  std::unique_ptr<StrategyStage> inner_;
};

class ForwardingPortfolioStage : public PortfolioStage {
 public:
  explicit ForwardingPortfolioStage(std::unique_ptr<PortfolioStage> inner)
      : inner_(std::move(inner)) {}
  absl::Status StartRun(const v1::PortfolioStartRequest& request,
                        v1::PortfolioStartResponse* response) override {
    return inner_->StartRun(request, response);
  }
  absl::Status ApplySteps(const v1::ApplyStepsRequest& request,
                          v1::ApplyStepsResponse* response) override {
    return inner_->ApplySteps(request, response);
  }
  absl::Status SizeIntents(const v1::SizeIntentsRequest& request,
                           v1::SizeIntentsResponse* response) override {
    return inner_->SizeIntents(request, response);
  }
  absl::Status EndRun(const v1::PortfolioEndRequest& request,
                      v1::PortfolioEndResponse* response) override {
    return inner_->EndRun(request, response);
  }

 protected:
  PortfolioStage& inner() { return *inner_; }

 private:
  std::unique_ptr<PortfolioStage> inner_;
};

class ForwardingExecutionStage : public ExecutionStage {
 public:
  explicit ForwardingExecutionStage(std::unique_ptr<ExecutionStage> inner)
      : inner_(std::move(inner)) {}
  absl::Status StartRun(const v1::ExecutionStartRequest& request,
                        v1::ExecutionStartResponse* response) override {
    return inner_->StartRun(request, response);
  }
  absl::Status ExecuteSteps(const v1::ExecuteStepsRequest& request,
                            v1::ExecuteStepsResponse* response) override {
    return inner_->ExecuteSteps(request, response);
  }
  absl::Status EndRun(const v1::ExecutionEndRequest& request,
                      v1::ExecutionEndResponse* response) override {
    return inner_->EndRun(request, response);
  }

 protected:
  ExecutionStage& inner() { return *inner_; }

 private:
  std::unique_ptr<ExecutionStage> inner_;
};

class ForwardingResultsStage : public ResultsStage {
 public:
  explicit ForwardingResultsStage(std::unique_ptr<ResultsStage> inner)
      : inner_(std::move(inner)) {}
  absl::Status BeginRun(const v1::BeginRunRequest& request,
                        v1::BeginRunResponse* response) override {
    return inner_->BeginRun(request, response);
  }
  absl::Status AppendRecords(const v1::AppendRecordsRequest& request,
                             v1::AppendRecordsResponse* response) override {
    return inner_->AppendRecords(request, response);
  }
  absl::Status FinishRun(const v1::FinishRunRequest& request,
                         v1::FinishRunResponse* response) override {
    return inner_->FinishRun(request, response);
  }
  absl::Status ListRuns(const v1::ListRunsRequest& request,
                        v1::ListRunsResponse* response) override {
    return inner_->ListRuns(request, response);
  }
  absl::Status GetRun(const v1::GetRunRequest& request,
                      v1::GetRunResponse* response) override {
    return inner_->GetRun(request, response);
  }
  absl::Status StoreTrace(const v1::StoreTraceRequest& request,
                          v1::StoreTraceResponse* response) override {
    return inner_->StoreTrace(request, response);
  }
  absl::Status GetTrace(const v1::GetTraceRequest& request,
                        v1::GetTraceResponse* response) override {
    return inner_->GetTrace(request, response);
  }
  absl::Status UpdateRun(const v1::UpdateRunRequest& request,
                         v1::UpdateRunResponse* response) override {
    return inner_->UpdateRun(request, response);
  }
  absl::Status ListRunRecords(const v1::ListRunRecordsRequest& request,
                              v1::ListRunRecordsResponse* response) override {
    return inner_->ListRunRecords(request, response);
  }
  absl::Status CreateJob(const v1::CreateJobRequest& request,
                         v1::CreateJobResponse* response) override {
    return inner_->CreateJob(request, response);
  }
  absl::Status GetJob(const v1::GetJobRequest& request,
                      v1::GetJobResponse* response) override {
    return inner_->GetJob(request, response);
  }
  absl::Status ListJobs(const v1::ListJobsRequest& request,
                        v1::ListJobsResponse* response) override {
    return inner_->ListJobs(request, response);
  }
  absl::Status StoreJobResult(const v1::StoreJobResultRequest& request,
                              v1::StoreJobResultResponse* response) override {
    return inner_->StoreJobResult(request, response);
  }

 protected:
  ResultsStage& inner() { return *inner_; }

 private:
  std::unique_ptr<ResultsStage> inner_;
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_FORWARDING_STAGES_H_
