#include "services/coordinator/remote_stages.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "backtest/v1/data.grpc.pb.h"
#include "backtest/v1/execution.grpc.pb.h"
#include "backtest/v1/portfolio.grpc.pb.h"
#include "backtest/v1/results.grpc.pb.h"
#include "backtest/v1/strategy.grpc.pb.h"
#include "common/grpc_status.h"
#include "common/grpc_tracing.h"
#include "common/server.h"
#include "services/coordinator/call_watchdog.h"
#include "services/coordinator/stage_session.h"
#include "services/coordinator/strategy_allow_list.h"

namespace seed::coordinator {
namespace {

// How far past its deadline a call may go in wall-clock time, for a
// coordinator that was frozen that long.
constexpr absl::Duration kWallClockBackstop = absl::Hours(1);

// One remote service: its stub, address and deadlines. Call() is the only
// place a unary stage RPC is made, so every call gets a deadline and error
// mapping. (A run's calls to the stateful stages go over sessions:
// stage_session.h.)
template <typename Service>
class Remote {
 public:
  Remote(absl::string_view stage, std::string address, RemoteOptions options,
         const std::shared_ptr<grpc::Channel>& channel)
      : stage_(stage),
        address_(std::move(address)),
        options_(options),
        stub_(Service::NewStub(channel)) {}
  Remote(absl::string_view stage, const std::string& address,
         RemoteOptions options)
      : Remote(stage, address, options,
               MakeChannel(address, options.security)) {}

  template <typename Request, typename Response>
  absl::Status Call(grpc::Status (Service::Stub::*method)(grpc::ClientContext*,
                                                          const Request&,
                                                          Response*),
                    const Request& request, Response* response,
                    bool bulk = false) {
    const absl::Duration deadline =
        bulk ? options_.bulk_deadline : options_.step_deadline;
    grpc::ClientContext context;
    // The deadline is kept by the watchdog on this process's awake time; the
    // wall-clock one is only a backstop, far out, so that a coordinator that
    // was frozen does not blame the stage for its own absence.
    context.set_deadline(
        absl::ToChronoTime(absl::Now() + deadline + kWallClockBackstop));
    tracing::InjectTraceparent(context);
    grpc::Status status;
    {
      const std::unique_ptr<CallWatchdog::Watch> watch =
          CallWatchdog::Get().Start(&context, deadline);
      status = ((*stub_).*method)(&context, request, response);
      if (watch->expired()) {
        status = grpc::Status(
            grpc::StatusCode::DEADLINE_EXCEEDED,
            absl::StrCat("no answer within the ", absl::FormatDuration(deadline),
                         " deadline"));
      }
    }
    tracing::CollectServerSpans(context);
    return FromGrpcStatus(status, stage_, address_);
  }

 private:
  absl::string_view stage_;
  std::string address_;
  RemoteOptions options_;
  std::unique_ptr<typename Service::Stub> stub_;
};

using DataRpc = v1::DataService;
using StrategyRpc = v1::StrategyService;
using PortfolioRpc = v1::PortfolioService;
using ExecutionRpc = v1::ExecutionService;
using ResultsRpc = v1::ResultsService;

class RemoteData final : public DataStage {
 public:
  RemoteData(std::string address, RemoteOptions options)
      : remote_("data", std::move(address), options) {}
  absl::Status OpenDataset(const v1::OpenDatasetRequest& request,
                           v1::OpenDatasetResponse* response) override {
    return remote_.Call(&DataRpc::Stub::OpenDataset, request, response, true);
  }
  absl::Status ReadBars(const v1::ReadBarsRequest& request,
                        v1::ReadBarsResponse* response) override {
    return remote_.Call(&DataRpc::Stub::ReadBars, request, response);
  }
  absl::Status CloseDataset(const v1::CloseDatasetRequest& request,
                            v1::CloseDatasetResponse* response) override {
    return remote_.Call(&DataRpc::Stub::CloseDataset, request, response);
  }
  absl::Status ReadMetadata(const v1::ReadMetadataRequest& request,
                            v1::ReadMetadataResponse* response) override {
    return remote_.Call(&DataRpc::Stub::ReadMetadata, request, response, true);
  }
  absl::Status ValidateFiles(const v1::ValidateFilesRequest& request,
                             v1::ValidateFilesResponse* response) override {
    return remote_.Call(&DataRpc::Stub::ValidateFiles, request, response, true);
  }

 private:
  Remote<DataRpc> remote_;
};

// A strategy service of a run's own (strategy.address): a plug-in
// implements the unary contract, so every call is a unary call.
class RemoteStrategy final : public StrategyStage {
 public:
  RemoteStrategy(std::string address, RemoteOptions options)
      : remote_("strategy", std::move(address), options) {}
  absl::Status ListStrategies(const v1::ListStrategiesRequest& request,
                              v1::ListStrategiesResponse* response) override {
    return remote_.Call(&StrategyRpc::Stub::ListStrategies, request, response);
  }
  absl::Status StartRun(const v1::StrategyStartRequest& request,
                        v1::StrategyStartResponse* response) override {
    return remote_.Call(&StrategyRpc::Stub::StartRun, request, response);
  }
  absl::Status OnSteps(const v1::StrategyStepsRequest& request,
                       v1::StrategyStepsResponse* response) override {
    return remote_.Call(&StrategyRpc::Stub::OnSteps, request, response);
  }
  absl::Status EndRun(const v1::StrategyEndRequest& request,
                      v1::StrategyEndResponse* response) override {
    return remote_.Call(&StrategyRpc::Stub::EndRun, request, response);
  }

 private:
  Remote<StrategyRpc> remote_;
};

// The built-in strategy stage: a run's calls over sessions (one per
// strategy instance), the list of strategies by a unary call to any replica.
class SessionStrategy final : public StrategyStage {
 public:
  SessionStrategy(const std::string& address, RemoteOptions options)
      : SessionStrategy(address, options,
                        MakeChannel(address, options.security,
                                    Balancing::kRoundRobin)) {}
  absl::Status ListStrategies(const v1::ListStrategiesRequest& request,
                              v1::ListStrategiesResponse* response) override {
    return unary_.Call(&StrategyRpc::Stub::ListStrategies, request, response);
  }
  absl::Status StartRun(const v1::StrategyStartRequest& request,
                        v1::StrategyStartResponse* response) override {
    return sessions_.Start(request.run_id(), request.strategy_id(), request,
                           response);
  }
  absl::Status OnSteps(const v1::StrategyStepsRequest& request,
                       v1::StrategyStepsResponse* response) override {
    return sessions_.Call(request.run_id(), request.strategy_id(), request,
                          response);
  }
  absl::Status EndRun(const v1::StrategyEndRequest& request,
                      v1::StrategyEndResponse* response) override {
    return sessions_.End(request.run_id(), request.strategy_id(), request,
                         response);
  }

 private:
  SessionStrategy(const std::string& address, RemoteOptions options,
                  const std::shared_ptr<grpc::Channel>& channel)
      : unary_("strategy", address, options, channel),
        sessions_("strategy", address, options.step_deadline, channel) {}

  Remote<StrategyRpc> unary_;
  StageSessions<StrategyRpc, v1::StrategySessionRequest,
                v1::StrategySessionResponse>
      sessions_;
};

class SessionPortfolio final : public PortfolioStage {
 public:
  SessionPortfolio(const std::string& address, RemoteOptions options)
      : sessions_("portfolio", address, options.step_deadline,
                  MakeChannel(address, options.security,
                              Balancing::kRoundRobin)) {}
  absl::Status StartRun(const v1::PortfolioStartRequest& request,
                        v1::PortfolioStartResponse* response) override {
    return sessions_.Start(request.run_id(), "", request, response);
  }
  absl::Status ApplySteps(const v1::ApplyStepsRequest& request,
                          v1::ApplyStepsResponse* response) override {
    return sessions_.Call(request.run_id(), "", request, response);
  }
  absl::Status SizeIntents(const v1::SizeIntentsRequest& request,
                           v1::SizeIntentsResponse* response) override {
    return sessions_.Call(request.run_id(), "", request, response);
  }
  absl::Status EndRun(const v1::PortfolioEndRequest& request,
                      v1::PortfolioEndResponse* response) override {
    return sessions_.End(request.run_id(), "", request, response);
  }

 private:
  StageSessions<PortfolioRpc, v1::PortfolioSessionRequest,
                v1::PortfolioSessionResponse>
      sessions_;
};

class SessionExecution final : public ExecutionStage {
 public:
  SessionExecution(const std::string& address, RemoteOptions options)
      : sessions_("execution", address, options.step_deadline,
                  MakeChannel(address, options.security,
                              Balancing::kRoundRobin)) {}
  absl::Status StartRun(const v1::ExecutionStartRequest& request,
                        v1::ExecutionStartResponse* response) override {
    return sessions_.Start(request.run_id(), "", request, response);
  }
  absl::Status ExecuteSteps(const v1::ExecuteStepsRequest& request,
                            v1::ExecuteStepsResponse* response) override {
    return sessions_.Call(request.run_id(), "", request, response);
  }
  absl::Status EndRun(const v1::ExecutionEndRequest& request,
                      v1::ExecutionEndResponse* response) override {
    return sessions_.End(request.run_id(), "", request, response);
  }

 private:
  StageSessions<ExecutionRpc, v1::ExecutionSessionRequest,
                v1::ExecutionSessionResponse>
      sessions_;
};

class RemoteResults final : public ResultsStage {
 public:
  RemoteResults(std::string address, RemoteOptions options)
      : remote_("results", std::move(address), options) {}
  absl::Status BeginRun(const v1::BeginRunRequest& request,
                        v1::BeginRunResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::BeginRun, request, response);
  }
  absl::Status AppendRecords(const v1::AppendRecordsRequest& request,
                             v1::AppendRecordsResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::AppendRecords, request, response,
                        true);
  }
  absl::Status FinishRun(const v1::FinishRunRequest& request,
                         v1::FinishRunResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::FinishRun, request, response, true);
  }
  absl::Status ListRuns(const v1::ListRunsRequest& request,
                        v1::ListRunsResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::ListRuns, request, response);
  }
  absl::Status GetRun(const v1::GetRunRequest& request,
                      v1::GetRunResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::GetRun, request, response, true);
  }
  absl::Status StoreTrace(const v1::StoreTraceRequest& request,
                          v1::StoreTraceResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::StoreTrace, request, response,
                        true);
  }
  absl::Status GetTrace(const v1::GetTraceRequest& request,
                        v1::GetTraceResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::GetTrace, request, response, true);
  }
  // Small and part of the step loop (it renews the run's lease): the step
  // deadline. Creating a job or listing jobs is small too; pages of records
  // or children and a job's result are bulk.
  absl::Status UpdateRun(const v1::UpdateRunRequest& request,
                         v1::UpdateRunResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::UpdateRun, request, response);
  }
  absl::Status ListRunRecords(const v1::ListRunRecordsRequest& request,
                              v1::ListRunRecordsResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::ListRunRecords, request, response,
                        true);
  }
  absl::Status CreateJob(const v1::CreateJobRequest& request,
                         v1::CreateJobResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::CreateJob, request, response);
  }
  absl::Status GetJob(const v1::GetJobRequest& request,
                      v1::GetJobResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::GetJob, request, response, true);
  }
  absl::Status ListJobs(const v1::ListJobsRequest& request,
                        v1::ListJobsResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::ListJobs, request, response);
  }
  absl::Status StoreJobResult(const v1::StoreJobResultRequest& request,
                              v1::StoreJobResultResponse* response) override {
    return remote_.Call(&ResultsRpc::Stub::StoreJobResult, request, response,
                        true);
  }

 private:
  Remote<ResultsRpc> remote_;
};

}  // namespace

std::unique_ptr<StrategyStage> MakeRemoteStrategy(const std::string& address,
                                                  const RemoteOptions& options) {
  return std::make_unique<RemoteStrategy>(address, options);
}

Stages MakeRemoteStages(const ServiceAddresses& addresses,
                        const RemoteOptions& options) {
  Stages stages;
  stages.connect_strategy =
      [options](const std::string& address) -> std::unique_ptr<StrategyStage> {
    if (!StrategyAllowed(address, options.strategy_allow)) {
      return RefusedStrategy(address);
    }
    RemoteOptions plugin = options;
    // A plug-in on this machine is the user's own process: plain loopback.
    if (IsLoopbackAddress(address)) plugin.security = ChannelSecurity::Plain();
    return MakeRemoteStrategy(address, plugin);
  };
  stages.data = std::make_unique<RemoteData>(addresses.data, options);
  stages.strategy =
      std::make_unique<SessionStrategy>(addresses.strategy, options);
  stages.portfolio =
      std::make_unique<SessionPortfolio>(addresses.portfolio, options);
  stages.execution =
      std::make_unique<SessionExecution>(addresses.execution, options);
  stages.results = std::make_unique<RemoteResults>(addresses.results, options);
  return stages;
}

}  // namespace seed::coordinator
