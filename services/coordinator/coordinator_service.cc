#include "services/coordinator/coordinator_service.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/run_state.h"
#include "common/stage_error.h"
#include "common/tracing.h"
#include "services/coordinator/spec.h"

namespace seed::coordinator {
namespace {
// How long a watcher waits for news before checking whether its client left.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(250);

}  // namespace

absl::Status CoordinatorServiceImpl::CheckDataRoots(
    const std::string& spec_text, const std::string& base_dir) const {
  if (!data_roots_.confined()) return absl::OkStatus();
  absl::StatusOr<backtest::v1::BacktestSpec> spec =
      ParseSpec(spec_text, base_dir);
  if (!spec.ok()) return absl::OkStatus();
  const backtest::v1::DataSpec& data = spec->data();
  if (absl::Status status =
          data_roots_.CheckLexically("data.path", data.path());
      !status.ok()) {
    return status;
  }
  if (data.metadata().empty()) return absl::OkStatus();
  std::filesystem::path metadata(data.metadata());
  if (metadata.is_relative()) metadata = data.path() / metadata;
  return data_roots_.CheckLexically("data.metadata", metadata.string());
}

absl::Status CoordinatorServiceImpl::CheckOwner(
    const grpc::ServerContext& context, const std::string& run_id) {
  absl::StatusOr<Caller> caller = access_->CallerOf(context);
  if (!caller.ok()) return caller.status();
  // No need to look the owner up (in results, for an evicted run).
  if (caller->SeesEveryRun()) return absl::OkStatus();
  absl::StatusOr<std::string> owner = runs_.OwnerOf(run_id);
  if (!owner.ok()) return owner.status();
  if (caller->MayAccessRunOf(*owner)) return absl::OkStatus();
  return StageFailure(
      absl::StatusCode::kPermissionDenied, "coordinator", "NOT_YOUR_RUN",
      absl::StrCat("run ", run_id, " belongs to another principal; ",
                   caller->principal,
                   " (role user) may watch and cancel only its own runs"),
      {.run_id = run_id, .hint = "an admin token may act on every run"});
}

grpc::Status CoordinatorServiceImpl::ValidateSpec(
    grpc::ServerContext*, const v1::ValidateSpecRequest* request,
    v1::ValidateSpecResponse* response) {
  if (absl::Status roots =
          CheckDataRoots(request->spec_yaml(), request->base_dir());
      !roots.ok()) {
    return ToGrpcStatus(roots);
  }
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
  absl::StatusOr<Caller> caller = access_->CallerOf(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (absl::Status roots =
          CheckDataRoots(request->spec_yaml(), request->base_dir());
      !roots.ok()) {
    return ToGrpcStatus(roots);
  }
  // Without authentication nobody is known: runs have no owner, as
  // embedded runs do.
  absl::StatusOr<std::string> run_id =
      runs_.Submit(request->spec_yaml(), request->base_dir(), parent,
                   access_->enforcing() ? caller->principal : "");
  if (!run_id.ok()) return ToGrpcStatus(run_id.status());
  response->set_run_id(*run_id);
  return grpc::Status::OK;
}

grpc::Status CoordinatorServiceImpl::WatchRun(
    grpc::ServerContext* context, const v1::WatchRunRequest* request,
    grpc::ServerWriter<v1::RunProgress>* writer) {
  if (absl::Status owner = CheckOwner(*context, request->run_id());
      !owner.ok()) {
    return ToGrpcStatus(owner);
  }
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
    grpc::ServerContext* context, const v1::CancelRunRequest* request,
    v1::CancelRunResponse* response) {
  if (absl::Status owner = CheckOwner(*context, request->run_id());
      !owner.ok()) {
    return ToGrpcStatus(owner);
  }
  absl::StatusOr<CancelOutcome> outcome = runs_.Cancel(request->run_id());
  if (!outcome.ok()) return ToGrpcStatus(outcome.status());
  response->set_state(outcome->state);
  response->set_pending(outcome->pending);
  return grpc::Status::OK;
}

}  // namespace seed::coordinator
