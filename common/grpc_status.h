// Carries stage failures across gRPC without losing anything: an absl::Status
// with an ErrorInfo payload becomes a grpc::Status whose binary details are a
// google.rpc.Status (code, message, ErrorInfo), and back. Standard gRPC
// clients in any language decode the details. A session's responses carry
// the same google.rpc.Status per call (ToRpcStatus, FromRpcStatus).
// Thread-safe: pure functions.
#ifndef SEED_COMMON_GRPC_STATUS_H_
#define SEED_COMMON_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"

namespace seed {

grpc::Status ToGrpcStatus(const absl::Status& status);

// The google.rpc.Status of `status` (code 0 and nothing else when OK), with
// its ErrorInfo and BadRequest payloads as details.
google::rpc::Status ToRpcStatus(const absl::Status& status);

// A status from a remote stage. Transport failures (unavailable, deadline
// exceeded) carry no details; they are attributed to `stage` with a reason
// such as STAGE_UNAVAILABLE or DEADLINE_EXCEEDED and a hint naming `address`.
absl::Status FromGrpcStatus(const grpc::Status& status,
                            absl::string_view stage,
                            absl::string_view address);

// The same for one call's status within a session (the stream itself was
// fine): a failure without ErrorInfo is attributed to `stage` as above.
absl::Status FromRpcStatus(const google::rpc::Status& status,
                           absl::string_view stage, absl::string_view address);

}  // namespace seed

#endif  // SEED_COMMON_GRPC_STATUS_H_
