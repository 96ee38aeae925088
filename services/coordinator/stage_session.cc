#include "services/coordinator/stage_session.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/stage_error.h"

namespace seed::coordinator::session_internal {

const google::protobuf::FieldDescriptor* FieldOfType(
    const google::protobuf::Descriptor* message, absl::string_view oneof,
    const google::protobuf::Descriptor* type) {
  const google::protobuf::OneofDescriptor* fields =
      message->FindOneofByName(std::string(oneof));
  for (int i = 0; fields != nullptr && i < fields->field_count(); ++i) {
    if (fields->field(i)->message_type() == type) return fields->field(i);
  }
  return nullptr;
}

std::string DescribeAddress(const std::string& target,
                            const std::string& peer) {
  absl::string_view address = peer;
  // gRPC names a peer "ipv4:127.0.0.1:7104" or "ipv6:[::1]:7104".
  if (!absl::ConsumePrefix(&address, "ipv4:")) {
    absl::ConsumePrefix(&address, "ipv6:");
  }
  if (address.empty() || address == target) return target;
  return absl::StrCat(target, " (replica ", address, ")");
}

absl::Status StreamFailure(const grpc::Status& status, bool expired,
                           const Endpoint& endpoint, const std::string& peer) {
  grpc::Status failure = status;
  if (expired) {
    failure = grpc::Status(
        grpc::StatusCode::DEADLINE_EXCEEDED,
        absl::StrCat("no answer within the ",
                     absl::FormatDuration(endpoint.deadline), " deadline"));
  } else if (status.ok() ||
             status.error_code() == grpc::StatusCode::CANCELLED) {
    // This side cancels a call only when its deadline passed: the server
    // ended the session without answering (it is shutting down).
    failure = grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        absl::StrCat("the service ended the session without answering",
                     status.ok() ? "" : ": ", status.error_message()));
  }
  return FromGrpcStatus(failure, endpoint.stage,
                        DescribeAddress(endpoint.target, peer));
}

absl::Status MissingResult(const Endpoint& endpoint, const std::string& peer,
                           absl::string_view call) {
  return StageFailure(
      absl::StatusCode::kInternal, endpoint.stage, "PROTOCOL_ERROR",
      absl::StrCat("the ", endpoint.stage, " service at ",
                   DescribeAddress(endpoint.target, peer),
                   " answered a session's ", call, " without its result"),
      {.hint = "the service and the coordinator may be of different "
               "versions; run the same build of both"});
}

}  // namespace seed::coordinator::session_internal
