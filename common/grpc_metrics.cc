#include "common/grpc_metrics.h"

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"

namespace seed::metrics {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

// gRPC's names of its status codes (grpc/impl/codegen/status.h order).
constexpr absl::string_view kCodeNames[] = {"OK",
                                            "CANCELLED",
                                            "UNKNOWN",
                                            "INVALID_ARGUMENT",
                                            "DEADLINE_EXCEEDED",
                                            "NOT_FOUND",
                                            "ALREADY_EXISTS",
                                            "PERMISSION_DENIED",
                                            "RESOURCE_EXHAUSTED",
                                            "FAILED_PRECONDITION",
                                            "ABORTED",
                                            "OUT_OF_RANGE",
                                            "UNIMPLEMENTED",
                                            "INTERNAL",
                                            "UNAVAILABLE",
                                            "DATA_LOSS",
                                            "UNAUTHENTICATED"};

std::string CodeName(grpc::StatusCode code) {
  const int index = static_cast<int>(code);
  if (index < 0 || index >= static_cast<int>(std::size(kCodeNames))) {
    return "UNKNOWN";
  }
  return std::string(kCodeNames[index]);
}

std::string TypeName(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

struct Families {
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Histogram>& seconds;
};

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(const Families& families, ServerRpcInfo* info)
      : families_(families), started_(absl::Now()) {
    // "/backtest.v1.DataService/ReadBars" -> service, method.
    absl::string_view method = info->method() == nullptr ? "" : info->method();
    if (!method.empty() && method[0] == '/') method.remove_prefix(1);
    const size_t slash = method.find('/');
    labels_ = {{"grpc_type", TypeName(info->type())},
               {"grpc_service", std::string(method.substr(0, slash))},
               {"grpc_method", slash == absl::string_view::npos
                                   ? std::string("unknown")
                                   : std::string(method.substr(slash + 1))}};
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      families_.seconds.Add(labels_, LatencyBuckets())
          .Observe(absl::ToDoubleSeconds(absl::Now() - started_));
      prometheus::Labels with_code = labels_;
      with_code.emplace("grpc_code",
                        CodeName(methods->GetSendStatus().error_code()));
      families_.handled.Add(with_code).Increment();
    }
    methods->Proceed();
  }

 private:
  const Families& families_;
  const absl::Time started_;
  prometheus::Labels labels_;
};

class MetricsFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsFactory(prometheus::Registry& registry)
      : families_{
            prometheus::BuildCounter()
                .Name("grpc_server_handled_total")
                .Help("gRPC calls this server completed, by method and "
                      "status code")
                .Register(registry),
            prometheus::BuildHistogram()
                .Name("grpc_server_handling_seconds")
                .Help("Time from a call's arrival to its status, by method "
                      "(a stream: its whole life)")
                .Register(registry)} {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      ServerRpcInfo* info) override {
    return new MetricsInterceptor(families_, info);
  }

 private:
  const Families families_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerMetricsFactory(prometheus::Registry& registry) {
  return std::make_unique<MetricsFactory>(registry);
}

}  // namespace seed::metrics
