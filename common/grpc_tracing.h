// Trace context across gRPC. Clients send the current span as `traceparent`
// metadata and fold the spans a server returns (trailing metadata
// `bt-spans-bin`, a serialized backtest.v1.Trace) into the current trace.
// Servers get an interceptor (installed by StartServer, so adapters need no
// code) that records a SERVER span for every call that carries a traceparent,
// as its child: named after the method, with run.id when the request has a
// run_id, marked ERROR with the failure's ErrorInfo reason when the call
// fails, and returned to the caller in the trailers. Thread-safe.
#ifndef SEED_COMMON_GRPC_TRACING_H_
#define SEED_COMMON_GRPC_TRACING_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/server_interceptor.h"

namespace seed::tracing {

// The service name of a full method name: "/backtest.v1.ExecutionService/
// ExecuteSteps" -> "execution"; other names are returned up to the '/'.
std::string ServiceOfMethod(absl::string_view method);

// Adds the current span as `traceparent` (nothing when not tracing).
void InjectTraceparent(grpc::ClientContext& context);

// Adds the spans the server returned with a finished call to the current
// trace (nothing when not tracing or none came back).
void CollectServerSpans(const grpc::ClientContext& context);

// The factory of the server interceptor described above.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerTracingFactory();

}  // namespace seed::tracing

#endif  // SEED_COMMON_GRPC_TRACING_H_
