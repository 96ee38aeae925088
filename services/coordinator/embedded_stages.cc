#include "services/coordinator/embedded_stages.h"

#include <memory>
#include <utility>

#include "services/coordinator/remote_stages.h"
#include "services/data/data_engine.h"
#include "services/execution/execution_engine.h"
#include "services/portfolio/portfolio_engine.h"
#include "services/results/results_engine.h"
#include "services/strategy/strategy_engine.h"

namespace seed::coordinator {
namespace {

// A gRPC client receives a freshly parsed response; in-process calls get a
// cleared one, so a stage that appends to its response behaves the same.
template <typename Response>
Response* Fresh(Response* response) {
  response->Clear();
  return response;
}

class EmbeddedData final : public DataStage {
 public:
  absl::Status OpenDataset(const v1::OpenDatasetRequest& request,
                           v1::OpenDatasetResponse* response) override {
    return engine_.OpenDataset(request, Fresh(response));
  }
  absl::Status ReadBars(const v1::ReadBarsRequest& request,
                        v1::ReadBarsResponse* response) override {
    return engine_.ReadBars(request, Fresh(response));
  }
  absl::Status CloseDataset(const v1::CloseDatasetRequest& request,
                            v1::CloseDatasetResponse* response) override {
    return engine_.CloseDataset(request, Fresh(response));
  }
  absl::Status ReadMetadata(const v1::ReadMetadataRequest& request,
                            v1::ReadMetadataResponse* response) override {
    return engine_.ReadMetadata(request, Fresh(response));
  }
  absl::Status ValidateFiles(const v1::ValidateFilesRequest& request,
                             v1::ValidateFilesResponse* response) override {
    return engine_.ValidateFiles(request, Fresh(response));
  }

 private:
  data::DataEngine engine_;
};

class EmbeddedStrategy final : public StrategyStage {
 public:
  absl::Status ListStrategies(const v1::ListStrategiesRequest& request,
                              v1::ListStrategiesResponse* response) override {
    return engine_.ListStrategies(request, Fresh(response));
  }
  absl::Status StartRun(const v1::StrategyStartRequest& request,
                        v1::StrategyStartResponse* response) override {
    return engine_.StartRun(request, Fresh(response));
  }
  absl::Status OnSteps(const v1::StrategyStepsRequest& request,
                       v1::StrategyStepsResponse* response) override {
    return engine_.OnSteps(request, Fresh(response));
  }
  absl::Status EndRun(const v1::StrategyEndRequest& request,
                      v1::StrategyEndResponse* response) override {
    return engine_.EndRun(request, Fresh(response));
  }

 private:
  strategy::StrategyEngine engine_;
};

class EmbeddedPortfolio final : public PortfolioStage {
 public:
  absl::Status StartRun(const v1::PortfolioStartRequest& request,
                        v1::PortfolioStartResponse* response) override {
    return engine_.StartRun(request, Fresh(response));
  }
  absl::Status ApplySteps(const v1::ApplyStepsRequest& request,
                          v1::ApplyStepsResponse* response) override {
    return engine_.ApplySteps(request, Fresh(response));
  }
  absl::Status SizeIntents(const v1::SizeIntentsRequest& request,
                           v1::SizeIntentsResponse* response) override {
    return engine_.SizeIntents(request, Fresh(response));
  }
  absl::Status EndRun(const v1::PortfolioEndRequest& request,
                      v1::PortfolioEndResponse* response) override {
    return engine_.EndRun(request, Fresh(response));
  }

 private:
  portfolio::PortfolioEngine engine_;
};

class EmbeddedExecution final : public ExecutionStage {
 public:
  absl::Status StartRun(const v1::ExecutionStartRequest& request,
                        v1::ExecutionStartResponse* response) override {
    return engine_.StartRun(request, Fresh(response));
  }
  absl::Status ExecuteSteps(const v1::ExecuteStepsRequest& request,
                            v1::ExecuteStepsResponse* response) override {
    return engine_.ExecuteSteps(request, Fresh(response));
  }
  absl::Status EndRun(const v1::ExecutionEndRequest& request,
                      v1::ExecutionEndResponse* response) override {
    return engine_.EndRun(request, Fresh(response));
  }

 private:
  execution::ExecutionEngine engine_;
};

class EmbeddedResults final : public ResultsStage {
 public:
  explicit EmbeddedResults(std::unique_ptr<results::ResultsEngine> engine)
      : engine_(std::move(engine)) {}
  absl::Status BeginRun(const v1::BeginRunRequest& request,
                        v1::BeginRunResponse* response) override {
    return engine_->BeginRun(request, Fresh(response));
  }
  absl::Status AppendRecords(const v1::AppendRecordsRequest& request,
                             v1::AppendRecordsResponse* response) override {
    return engine_->AppendRecords(request, Fresh(response));
  }
  absl::Status FinishRun(const v1::FinishRunRequest& request,
                         v1::FinishRunResponse* response) override {
    return engine_->FinishRun(request, Fresh(response));
  }
  absl::Status ListRuns(const v1::ListRunsRequest& request,
                        v1::ListRunsResponse* response) override {
    return engine_->ListRuns(request, Fresh(response));
  }
  absl::Status GetRun(const v1::GetRunRequest& request,
                      v1::GetRunResponse* response) override {
    return engine_->GetRun(request, Fresh(response));
  }
  absl::Status StoreTrace(const v1::StoreTraceRequest& request,
                          v1::StoreTraceResponse* response) override {
    return engine_->StoreTrace(request, Fresh(response));
  }
  absl::Status GetTrace(const v1::GetTraceRequest& request,
                        v1::GetTraceResponse* response) override {
    return engine_->GetTrace(request, Fresh(response));
  }

 private:
  std::unique_ptr<results::ResultsEngine> engine_;
};

}  // namespace

absl::StatusOr<Stages> MakeEmbeddedStages(const std::string& results_database,
                                          const RemoteOptions& plugin_options) {
  Stages stages;
  if (!results_database.empty()) {
    absl::StatusOr<std::unique_ptr<results::ResultsEngine>> results =
        results::ResultsEngine::Open(results_database);
    if (!results.ok()) return results.status();
    stages.results = std::make_unique<EmbeddedResults>(*std::move(results));
  }
  stages.data = std::make_unique<EmbeddedData>();
  stages.strategy = std::make_unique<EmbeddedStrategy>();
  stages.portfolio = std::make_unique<EmbeddedPortfolio>();
  stages.execution = std::make_unique<EmbeddedExecution>();
  stages.connect_strategy = [plugin_options](const std::string& address) {
    return MakeRemoteStrategy(address, plugin_options);
  };
  return stages;
}

}  // namespace seed::coordinator
