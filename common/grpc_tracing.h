// Trace context across gRPC. Clients send the current span as `traceparent`
// metadata and fold the spans a server returns (trailing metadata
// `bt-spans-bin`, a serialized backtest.v1.Trace) into the current trace.
// Servers get an interceptor (installed by StartServer, so adapters need no
// code) that records a SERVER span for every unary call that carries a
// traceparent, as its child: named after the method, with run.id when the
// request has a run_id, marked ERROR with the failure's ErrorInfo reason when
// the call fails, and returned to the caller in the trailers. A session (one
// stream carrying a run's calls) carries the same per call in its messages:
// the traceparent in the request, the spans in the response; ServerCallSpan
// records them, and CurrentTraceparent and CollectSpans are the client's
// side. Thread-safe, except a ServerCallSpan (one call's).
#ifndef SEED_COMMON_GRPC_TRACING_H_
#define SEED_COMMON_GRPC_TRACING_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/trace.pb.h"
#include "common/tracing.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/server_interceptor.h"

namespace seed::tracing {

// The service name of a full method name: "/backtest.v1.ExecutionService/
// ExecuteSteps" -> "execution"; other names are returned up to the '/'.
std::string ServiceOfMethod(absl::string_view method);

// The current span as a W3C traceparent; empty when not tracing.
std::string CurrentTraceparent();

// Adds the current span as `traceparent` (nothing when not tracing).
void InjectTraceparent(grpc::ClientContext& context);

// Adds spans a server returned to the current trace (nothing when not
// tracing).
void CollectSpans(backtest::v1::Trace spans);

// Adds the spans the server returned with a finished call to the current
// trace (nothing when not tracing or none came back).
void CollectServerSpans(const grpc::ClientContext& context);

// The SERVER span of one call, unary or within a session: started when the
// caller sent a valid traceparent (otherwise every method is a no-op), named
// after the full method without its leading '/'
// ("backtest.v1.ExecutionService/ExecuteSteps"), attributed to the service
// of the method ("execution"). Finish records the outcome (a failure also as
// a stage_failed log line) and returns the spans to send back.
class ServerCallSpan {
 public:
  // `method` as gRPC names it: "/backtest.v1.ExecutionService/ExecuteSteps".
  ServerCallSpan(absl::string_view method, absl::string_view traceparent);
  ServerCallSpan(const ServerCallSpan&) = delete;
  ServerCallSpan& operator=(const ServerCallSpan&) = delete;

  bool recording() const { return span_.has_value(); }
  void SetRunId(std::string run_id);
  // Ends the span with `status`; the spans recorded for the call.
  backtest::v1::Trace Finish(const absl::Status& status);

 private:
  std::string method_;  // set when recording, as the other fields
  std::string service_;
  std::string run_id_;
  TraceRecorder recorder_;
  std::optional<Span> span_;
};

// The factory of the server interceptor described above.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerTracingFactory();

}  // namespace seed::tracing

#endif  // SEED_COMMON_GRPC_TRACING_H_
