// Prometheus metrics of every call a gRPC server of ours handles, recorded
// by a server interceptor that StartServer installs (adapters need no code):
//   grpc_server_handled_total{grpc_type, grpc_service, grpc_method, grpc_code}
//   grpc_server_handling_seconds{grpc_type, grpc_service, grpc_method}
// named and labelled as go-grpc-prometheus does, so existing dashboards
// read them. Label values come from the methods the server registered (an
// unknown method never reaches an interceptor) and gRPC's status codes, so
// they are bounded. Thread-safe.
#ifndef SEED_COMMON_GRPC_METRICS_H_
#define SEED_COMMON_GRPC_METRICS_H_

#include <memory>

#include "grpcpp/support/server_interceptor.h"
#include "prometheus/registry.h"

namespace seed::metrics {

// The interceptor factory; its families go to `registry`.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerMetricsFactory(prometheus::Registry& registry);

}  // namespace seed::metrics

#endif  // SEED_COMMON_GRPC_METRICS_H_
