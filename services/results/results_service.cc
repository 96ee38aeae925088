#include "services/results/results_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/stage_error.h"
#include "services/results/results_service_metrics.h"

namespace seed::results {
namespace {

// Runs `write` (an engine call), timed for the metrics as `operation`.
template <typename Write>
grpc::Status TimedWrite(absl::string_view operation, const Write& write) {
  const absl::Time started = absl::Now();
  const absl::Status status = write();
  ResultsServiceMetrics::Process().Write(operation, absl::Now() - started);
  return ToGrpcStatus(status);
}

absl::Status NotYourRun(const Caller& caller, const std::string& run_id) {
  return StageFailure(
      absl::StatusCode::kPermissionDenied, "results", "NOT_YOUR_RUN",
      absl::StrCat("run ", run_id, " belongs to another principal; ",
                   caller.principal, " (role user) may read only its own runs"),
      {.run_id = run_id,
       .hint = "bt runs lists yours; an admin token reads every run"});
}

}  // namespace

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
  return NotYourRun(*caller, run.run().run_id());
}

grpc::Status ResultsServiceImpl::BeginRun(
    grpc::ServerContext* /*context*/,
    const backtest::v1::BeginRunRequest* request,
    backtest::v1::BeginRunResponse* response) {
  return TimedWrite("begin_run",
                    [&] { return engine_.BeginRun(*request, response); });
}

grpc::Status ResultsServiceImpl::AppendRecords(
    grpc::ServerContext* /*context*/,
    const backtest::v1::AppendRecordsRequest* request,
    backtest::v1::AppendRecordsResponse* response) {
  return TimedWrite("append_records",
                    [&] { return engine_.AppendRecords(*request, response); });
}

grpc::Status ResultsServiceImpl::FinishRun(
    grpc::ServerContext* /*context*/,
    const backtest::v1::FinishRunRequest* request,
    backtest::v1::FinishRunResponse* response) {
  return TimedWrite("finish_run",
                    [&] { return engine_.FinishRun(*request, response); });
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
  absl::StatusOr<Caller> caller = access_->CallerOf(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  // One read: the run says whose it is.
  if (absl::Status status = engine_.GetRun(*request, response); !status.ok()) {
    return ToGrpcStatus(status);
  }
  if (caller->MayAccessRunOf(response->run().owner())) return grpc::Status::OK;
  const std::string run_id = response->run().run_id();
  response->Clear();
  return ToGrpcStatus(NotYourRun(*caller, run_id));
}

grpc::Status ResultsServiceImpl::StoreTrace(
    grpc::ServerContext* /*context*/,
    const backtest::v1::StoreTraceRequest* request,
    backtest::v1::StoreTraceResponse* response) {
  return TimedWrite("store_trace",
                    [&] { return engine_.StoreTrace(*request, response); });
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

grpc::Status ResultsServiceImpl::UpdateRun(
    grpc::ServerContext* /*context*/,
    const backtest::v1::UpdateRunRequest* request,
    backtest::v1::UpdateRunResponse* response) {
  return ToGrpcStatus(engine_.UpdateRun(*request, response));
}

grpc::Status ResultsServiceImpl::ListRunRecords(
    grpc::ServerContext* context,
    const backtest::v1::ListRunRecordsRequest* request,
    backtest::v1::ListRunRecordsResponse* response) {
  if (absl::Status owner = CheckOwner(*context, request->run_id());
      !owner.ok()) {
    return ToGrpcStatus(owner);
  }
  return ToGrpcStatus(engine_.ListRunRecords(*request, response));
}

grpc::Status ResultsServiceImpl::CreateJob(
    grpc::ServerContext* context, const backtest::v1::CreateJobRequest* request,
    backtest::v1::CreateJobResponse* response) {
  absl::StatusOr<Caller> caller = access_->CallerOf(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  // A job belongs to whoever created it (a writer: a shard, an admin).
  backtest::v1::CreateJobRequest owned = *request;
  owned.mutable_job()->set_owner(caller->principal);
  return ToGrpcStatus(engine_.CreateJob(owned, response));
}

grpc::Status ResultsServiceImpl::GetJob(
    grpc::ServerContext* context, const backtest::v1::GetJobRequest* request,
    backtest::v1::GetJobResponse* response) {
  absl::StatusOr<Caller> caller = access_->CallerOf(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (absl::Status status = engine_.GetJob(*request, response); !status.ok()) {
    return ToGrpcStatus(status);
  }
  if (caller->MayAccessRunOf(response->job().owner())) {
    return grpc::Status::OK;
  }
  const std::string job_id = response->job().job_id();
  response->Clear();
  return ToGrpcStatus(StageFailure(
      absl::StatusCode::kPermissionDenied, "results", "NOT_YOUR_JOB",
      absl::StrCat("job ", job_id, " belongs to another principal; ",
                   caller->principal,
                   " (role user) may read only its own jobs"),
      {.hint = "an admin token reads every job"}));
}

grpc::Status ResultsServiceImpl::ListJobs(
    grpc::ServerContext* context, const backtest::v1::ListJobsRequest* request,
    backtest::v1::ListJobsResponse* response) {
  absl::StatusOr<Caller> caller = access_->CallerOf(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (absl::Status status = engine_.ListJobs(*request, response);
      !status.ok()) {
    return ToGrpcStatus(status);
  }
  if (caller->SeesEveryRun()) return grpc::Status::OK;
  // A user sees its own jobs only (a page may then hold fewer).
  google::protobuf::RepeatedPtrField<backtest::v1::Job> own;
  for (backtest::v1::Job& job : *response->mutable_jobs()) {
    if (caller->MayAccessRunOf(job.owner())) *own.Add() = std::move(job);
  }
  response->mutable_jobs()->Swap(&own);
  return grpc::Status::OK;
}

grpc::Status ResultsServiceImpl::StoreJobResult(
    grpc::ServerContext* /*context*/,
    const backtest::v1::StoreJobResultRequest* request,
    backtest::v1::StoreJobResultResponse* response) {
  return ToGrpcStatus(engine_.StoreJobResult(*request, response));
}

}  // namespace seed::results
