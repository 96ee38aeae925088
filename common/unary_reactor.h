// Finishes a callback-API unary call with the status of engine work done
// inline. The per-step stages (strategy, portfolio, execution) serve with
// gRPC's callback API: a short call then runs on gRPC's own thread with no
// hand-off to a worker pool, which roughly halves a loopback round trip.
// Bulk work (loading files, writing runs) stays on the synchronous API, where
// a long call cannot hold up gRPC's threads.
#ifndef SEED_COMMON_UNARY_REACTOR_H_
#define SEED_COMMON_UNARY_REACTOR_H_

#include "absl/status/status.h"
#include "common/grpc_status.h"
#include "grpcpp/grpcpp.h"

namespace seed {

inline grpc::ServerUnaryReactor* FinishUnary(
    grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace seed

#endif  // SEED_COMMON_UNARY_REACTOR_H_
