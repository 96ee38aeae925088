#include "services/results/results_service.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/stage_error.h"

namespace seed::results {

absl::Status ResultsServiceImpl::CheckOwner(const grpc::ServerContext& context,
                                            const std::string& run_id) {
  absl::StatusOr<Caller> caller = access_->CallerOf(context);
  if (!caller.ok()) return caller.status();
  if (caller->SeesEveryRun()) return absl::OkStatus();
  backtest::v1::GetRunRequest request;
  request.set_run_id(run_id);
  backtest::v1::GetRunResponse run;
  if (absl::Status status = engine_.GetRun(request, &run); !status.ok()) {
    return status;
  }
  if (caller->MayAccessRunOf(run.run().owner())) return absl::OkStatus();
  return StageFailure(
      absl::StatusCode::kPermissionDenied, "results", "NOT_YOUR_RUN",
      absl::StrCat("run ", run.run().run_id(),
                   " belongs to another principal; ", caller->principal,
                   " (role user) may read only its own runs"),
      {.run_id = run.run().run_id(),
       .hint = "bt runs lists yours; an admin token reads every run"});
}

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
    grpc::ServerContext* context, const backtest::v1::ListRunsRequest* request,
    backtest::v1::ListRunsResponse* response) {
  absl::StatusOr<Caller> caller = access_->CallerOf(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (caller->SeesEveryRun()) {
    return ToGrpcStatus(engine_.ListRuns(*request, response));
  }
  backtest::v1::ListRunsRequest own = *request;
  own.set_owner(caller->principal);
  return ToGrpcStatus(engine_.ListRuns(own, response));
}

grpc::Status ResultsServiceImpl::GetRun(
    grpc::ServerContext* context, const backtest::v1::GetRunRequest* request,
    backtest::v1::GetRunResponse* response) {
  if (absl::Status owner = CheckOwner(*context, request->run_id());
      !owner.ok()) {
    return ToGrpcStatus(owner);
  }
  return ToGrpcStatus(engine_.GetRun(*request, response));
}

grpc::Status ResultsServiceImpl::StoreTrace(
    grpc::ServerContext* /*context*/,
    const backtest::v1::StoreTraceRequest* request,
    backtest::v1::StoreTraceResponse* response) {
  return ToGrpcStatus(engine_.StoreTrace(*request, response));
}

grpc::Status ResultsServiceImpl::GetTrace(
    grpc::ServerContext* context, const backtest::v1::GetTraceRequest* request,
    backtest::v1::GetTraceResponse* response) {
  if (absl::Status owner = CheckOwner(*context, request->run_id());
      !owner.ok()) {
    return ToGrpcStatus(owner);
  }
  return ToGrpcStatus(engine_.GetTrace(*request, response));
}

}  // namespace seed::results
