#include "common/grpc_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace seed {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(std::string(status.message()));
  for (const absl::string_view type_url :
       {kErrorInfoTypeUrl, kBadRequestTypeUrl}) {
    const auto payload = status.GetPayload(type_url);
    if (!payload.has_value()) continue;
    auto* any = details.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(*payload));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()),
                      details.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view stage,
                            absl::string_view address) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  google::rpc::Status details;
  if (!status.error_details().empty() &&
      details.ParseFromString(status.error_details())) {
    absl::Status result(code, status.error_message());
    for (const auto& any : details.details()) {
      if (any.type_url() == kErrorInfoTypeUrl ||
          any.type_url() == kBadRequestTypeUrl) {
        result.SetPayload(any.type_url(), absl::Cord(any.value()));
      }
    }
    if (result.GetPayload(kErrorInfoTypeUrl).has_value()) return result;
  }
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return StageFailure(
          code, stage, "STAGE_UNAVAILABLE",
          absl::StrCat("the ", stage, " service at ", address,
                       " is not reachable: ", status.error_message()),
          {.hint = absl::StrCat("start it (./bt serve) or check the address "
                                "in the services config; a service with TLS "
                                "needs --tls-ca (docs/security.md)")});
    // Refused by the service's access checks (common/access.h), which
    // carry no details: the code is the reason.
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return StageFailure(
          code, stage, absl::StatusCodeToString(code),
          absl::StrCat("the ", stage, " service at ", address,
                       " refused the call: ", status.error_message()));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return StageFailure(
          code, stage, "DEADLINE_EXCEEDED",
          absl::StrCat("the ", stage, " service at ", address,
                       " did not answer in time: ", status.error_message()),
          {.hint = "the service may be overloaded or stuck; see its log"});
    default:
      return StageFailure(
          code, stage, "RPC_FAILED",
          absl::StrCat("call to the ", stage, " service at ", address,
                       " failed: ", status.error_message()));
  }
}

}  // namespace seed
