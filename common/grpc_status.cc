#include "common/grpc_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "google/rpc/error_details.pb.h"

namespace seed {

namespace {

// A failed call's status from its code, message and (when not null) details:
// a stage failure when the details carry ErrorInfo, else attributed to
// `stage` by the code.
absl::Status FromParts(grpc::StatusCode grpc_code, const std::string& message,
                       const google::rpc::Status* details,
                       absl::string_view stage, absl::string_view address) {
  const auto code = static_cast<absl::StatusCode>(grpc_code);
  if (details != nullptr) {
    absl::Status result(code, message);
    for (const auto& any : details->details()) {
      if (any.type_url() == kErrorInfoTypeUrl ||
          any.type_url() == kBadRequestTypeUrl) {
        result.SetPayload(any.type_url(), absl::Cord(any.value()));
      }
    }
    if (result.GetPayload(kErrorInfoTypeUrl).has_value()) return result;
  }
  switch (grpc_code) {
    case grpc::StatusCode::UNAVAILABLE:
      return StageFailure(
          code, stage, "STAGE_UNAVAILABLE",
          absl::StrCat("the ", stage, " service at ", address,
                       " is not reachable: ", message),
          {.hint = absl::StrCat("start it (./bt serve) or check the address "
                                "in the services config; a service with TLS "
                                "needs --tls-ca (docs/security.md)")});
    // Refused by the service's access checks (common/access.h), which
    // carry no details: the code is the reason.
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return StageFailure(code, stage, absl::StatusCodeToString(code),
                          absl::StrCat("the ", stage, " service at ", address,
                                       " refused the call: ", message));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return StageFailure(
          code, stage, "DEADLINE_EXCEEDED",
          absl::StrCat("the ", stage, " service at ", address,
                       " did not answer in time: ", message),
          {.hint = "the service may be overloaded or stuck; see its log"});
    default:
      return StageFailure(code, stage, "RPC_FAILED",
                          absl::StrCat("call to the ", stage, " service at ",
                                       address, " failed: ", message));
  }
}

}  // namespace

google::rpc::Status ToRpcStatus(const absl::Status& status) {
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  if (status.ok()) return details;
  details.set_message(std::string(status.message()));
  for (const absl::string_view type_url :
       {kErrorInfoTypeUrl, kBadRequestTypeUrl}) {
    const auto payload = status.GetPayload(type_url);
    if (!payload.has_value()) continue;
    auto* any = details.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(*payload));
  }
  return details;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()),
                      ToRpcStatus(status).SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view stage,
                            absl::string_view address) {
  if (status.ok()) return absl::OkStatus();
  google::rpc::Status details;
  const bool has_details = !status.error_details().empty() &&
                           details.ParseFromString(status.error_details());
  return FromParts(status.error_code(), status.error_message(),
                   has_details ? &details : nullptr, stage, address);
}

absl::Status FromRpcStatus(const google::rpc::Status& status,
                           absl::string_view stage, absl::string_view address) {
  if (status.code() == 0) return absl::OkStatus();
  return FromParts(static_cast<grpc::StatusCode>(status.code()),
                   status.message(), &status, stage, address);
}

}  // namespace seed
