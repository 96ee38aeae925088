// The five stage interfaces the coordinator drives. One code path, two
// transports: embedded_stages.h binds them to the stage libraries in this
// process, remote_stages.h to gRPC clients of separate processes. Both carry
// the same protobuf messages, so a run cannot tell them apart.
// Implementations must be safe to call from several runs' threads at once.
#ifndef SEED_SERVICES_COORDINATOR_STAGES_H_
#define SEED_SERVICES_COORDINATOR_STAGES_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "backtest/v1/data.pb.h"
#include "backtest/v1/execution.pb.h"
#include "backtest/v1/portfolio.pb.h"
#include "backtest/v1/results.pb.h"
#include "backtest/v1/strategy.pb.h"

namespace seed::coordinator {

namespace v1 = ::backtest::v1;

class DataStage {
 public:
  virtual ~DataStage() = default;
  virtual absl::Status OpenDataset(const v1::OpenDatasetRequest& request,
                                   v1::OpenDatasetResponse* response) = 0;
  virtual absl::Status ReadBars(const v1::ReadBarsRequest& request,
                                v1::ReadBarsResponse* response) = 0;
  virtual absl::Status CloseDataset(const v1::CloseDatasetRequest& request,
                                    v1::CloseDatasetResponse* response) = 0;
  virtual absl::Status ValidateFiles(const v1::ValidateFilesRequest& request,
                                     v1::ValidateFilesResponse* response) = 0;
  virtual absl::Status ReadMetadata(const v1::ReadMetadataRequest& request,
                                    v1::ReadMetadataResponse* response) = 0;
};

class StrategyStage {
 public:
  virtual ~StrategyStage() = default;
  virtual absl::Status ListStrategies(const v1::ListStrategiesRequest& request,
                                      v1::ListStrategiesResponse* response) = 0;
  virtual absl::Status StartRun(const v1::StrategyStartRequest& request,
                                v1::StrategyStartResponse* response) = 0;
  virtual absl::Status OnSteps(const v1::StrategyStepsRequest& request,
                               v1::StrategyStepsResponse* response) = 0;
  virtual absl::Status EndRun(const v1::StrategyEndRequest& request,
                              v1::StrategyEndResponse* response) = 0;
};

class PortfolioStage {
 public:
  virtual ~PortfolioStage() = default;
  virtual absl::Status StartRun(const v1::PortfolioStartRequest& request,
                                v1::PortfolioStartResponse* response) = 0;
  virtual absl::Status ApplySteps(const v1::ApplyStepsRequest& request,
                                  v1::ApplyStepsResponse* response) = 0;
  virtual absl::Status SizeIntents(const v1::SizeIntentsRequest& request,
                                   v1::SizeIntentsResponse* response) = 0;
  virtual absl::Status EndRun(const v1::PortfolioEndRequest& request,
                              v1::PortfolioEndResponse* response) = 0;
};

class ExecutionStage {
 public:
  virtual ~ExecutionStage() = default;
  virtual absl::Status StartRun(const v1::ExecutionStartRequest& request,
                                v1::ExecutionStartResponse* response) = 0;
  virtual absl::Status ExecuteSteps(const v1::ExecuteStepsRequest& request,
                                    v1::ExecuteStepsResponse* response) = 0;
  virtual absl::Status EndRun(const v1::ExecutionEndRequest& request,
                              v1::ExecutionEndResponse* response) = 0;
};

class ResultsStage {
 public:
  virtual ~ResultsStage() = default;
  virtual absl::Status BeginRun(const v1::BeginRunRequest& request,
                                v1::BeginRunResponse* response) = 0;
  virtual absl::Status AppendRecords(const v1::AppendRecordsRequest& request,
                                     v1::AppendRecordsResponse* response) = 0;
  virtual absl::Status FinishRun(const v1::FinishRunRequest& request,
                                 v1::FinishRunResponse* response) = 0;
  virtual absl::Status ListRuns(const v1::ListRunsRequest& request,
                                v1::ListRunsResponse* response) = 0;
  virtual absl::Status GetRun(const v1::GetRunRequest& request,
                              v1::GetRunResponse* response) = 0;
  virtual absl::Status StoreTrace(const v1::StoreTraceRequest& request,
                                  v1::StoreTraceResponse* response) = 0;
  virtual absl::Status GetTrace(const v1::GetTraceRequest& request,
                                v1::GetTraceResponse* response) = 0;
  virtual absl::Status UpdateRun(const v1::UpdateRunRequest& request,
                                 v1::UpdateRunResponse* response) = 0;
  virtual absl::Status ListRunRecords(const v1::ListRunRecordsRequest& request,
                                      v1::ListRunRecordsResponse* response) = 0;
  virtual absl::Status CreateJob(const v1::CreateJobRequest& request,
                                 v1::CreateJobResponse* response) = 0;
  virtual absl::Status GetJob(const v1::GetJobRequest& request,
                              v1::GetJobResponse* response) = 0;
  virtual absl::Status ListJobs(const v1::ListJobsRequest& request,
                                v1::ListJobsResponse* response) = 0;
  virtual absl::Status StoreJobResult(const v1::StoreJobResultRequest& request,
                                      v1::StoreJobResultResponse* response) = 0;
};

// The set of stages one coordinator uses; it owns them.
struct Stages {
  std::unique_ptr<DataStage> data;
  std::unique_ptr<StrategyStage> strategy;
  std::unique_ptr<PortfolioStage> portfolio;
  std::unique_ptr<ExecutionStage> execution;
  std::unique_ptr<ResultsStage> results;
  // A strategy service of a run's own (strategy.address in the spec): a
  // plug-in in any language. Unset: such specs are refused.
  std::function<std::unique_ptr<StrategyStage>(const std::string& address)>
      connect_strategy;
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_STAGES_H_
