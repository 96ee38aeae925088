#include "services/coordinator/coordinator_service.h"

#include "common/grpc_status.h"
#include "common/run_state.h"
#include "common/stage_error.h"
#include "common/tracing.h"

namespace seed::coordinator {
namespace {
// How long a watcher waits for news before checking whether its client left.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(250);

}  // namespace

grpc::Status CoordinatorServiceImpl::ValidateSpec(
    grpc::ServerContext*, const v1::ValidateSpecRequest* request,
    v1::ValidateSpecResponse* response) {
  absl::StatusOr<std::string> canonical =
      runs_.Validate(request->spec_yaml(), request->base_dir());
  if (canonical.ok()) {
    response->set_canonical_spec(*canonical);
    return grpc::Status::OK;
  }
  const std::vector<FieldProblem> problems = FieldProblems(canonical.status());
  if (problems.empty()) return ToGrpcStatus(canonical.status());
  for (const FieldProblem& problem : problems) {
    auto* violation = response->add_problems();
    violation->set_field(problem.field);
    violation->set_description(problem.description);
  }
  return grpc::Status::OK;
}

grpc::Status CoordinatorServiceImpl::SubmitRun(
    grpc::ServerContext* context, const v1::SubmitRunRequest* request,
    v1::SubmitRunResponse* response) {
  // A client's traceparent makes the run's trace part of the client's; a
  // malformed one is ignored (W3C), and the run gets a trace of its own.
  tracing::SpanContext parent;
  const auto& metadata = context->client_metadata();
  if (const auto it = metadata.find(tracing::kTraceparentKey);
      it != metadata.end()) {
    parent = tracing::ParseTraceparent(
                 absl::string_view(it->second.data(), it->second.size()))
                 .value_or(tracing::SpanContext{});
  }
  absl::StatusOr<std::string> run_id =
      runs_.Submit(request->spec_yaml(), request->base_dir(), parent);
  if (!run_id.ok()) return ToGrpcStatus(run_id.status());
  response->set_run_id(*run_id);
  return grpc::Status::OK;
}

grpc::Status CoordinatorServiceImpl::WatchRun(
    grpc::ServerContext* context, const v1::WatchRunRequest* request,
    grpc::ServerWriter<v1::RunProgress>* writer) {
  int64_t version = 0;
  while (!context->IsCancelled()) {
    const int64_t seen = version;
    absl::StatusOr<v1::RunProgress> progress =
        runs_.WaitForUpdate(request->run_id(), &version, kWatchPoll);
    if (!progress.ok()) return ToGrpcStatus(progress.status());
    if (version == seen) continue;
    if (!writer->Write(*progress)) break;  // the client went away
    if (IsFinalRunState(progress->state())) return grpc::Status::OK;
  }
  // The client left (or its deadline passed) before the run ended: the run
  // goes on; only CancelRun stops it.
  return grpc::Status(grpc::StatusCode::CANCELLED,
                      "the client stopped watching; the run goes on");
}

grpc::Status CoordinatorServiceImpl::CancelRun(
    grpc::ServerContext*, const v1::CancelRunRequest* request,
    v1::CancelRunResponse* response) {
  absl::StatusOr<CancelOutcome> outcome = runs_.Cancel(request->run_id());
  if (!outcome.ok()) return ToGrpcStatus(outcome.status());
  response->set_state(outcome->state);
  response->set_pending(outcome->pending);
  return grpc::Status::OK;
}

}  // namespace seed::coordinator
