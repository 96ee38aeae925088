// The gRPC face of the results stage: translates ResultsService calls to
// ResultsEngine and its failures to gRPC statuses with details. Which roles
// may call each method is checked before a handler runs (common/access.h);
// here only run ownership: a user lists, reads and reads the trace of its
// own runs alone. Thread-safe because the engine is.
#ifndef SEED_SERVICES_RESULTS_RESULTS_SERVICE_H_
#define SEED_SERVICES_RESULTS_RESULTS_SERVICE_H_

#include <memory>
#include <utility>

#include "backtest/v1/results.grpc.pb.h"
#include "common/access.h"
#include "services/results/results_engine.h"

namespace seed::results {

class ResultsServiceImpl final : public backtest::v1::ResultsService::Service {
 public:
  // `access` tells who calls (Access::Open(): everyone is the local admin).
  ResultsServiceImpl(ResultsEngine& engine,
                     std::shared_ptr<const Access> access)
      : engine_(engine), access_(std::move(access)) {}

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

 private:
  // OK when the caller may read run `run_id` (an id or unique prefix).
  absl::Status CheckOwner(const grpc::ServerContext& context,
                          const std::string& run_id);

  ResultsEngine& engine_;
  const std::shared_ptr<const Access> access_;
};

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_RESULTS_SERVICE_H_
