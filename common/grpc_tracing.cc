#include "common/grpc_tracing.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backtest/v1/trace.pb.h"
#include "common/grpc_status.h"
#include "common/logging.h"
#include "common/stage_error.h"
#include "common/tracing.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace seed::tracing {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Only our own services' messages are read: the default health service
// passes raw byte buffers, not protobuf messages.
constexpr absl::string_view kOwnPackagePrefix = "/backtest.";

// The request's run_id field, when it has one.
std::string RunIdOf(const google::protobuf::Message& request) {
  const google::protobuf::FieldDescriptor* field =
      request.GetDescriptor()->FindFieldByName("run_id");
  if (field == nullptr ||
      field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      field->is_repeated()) {
    return "";
  }
  return request.GetReflection()->GetString(request, field);
}

class ServerTracingInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit ServerTracingInterceptor(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      const auto& metadata = *methods->GetRecvInitialMetadata();
      const auto it = metadata.find(kTraceparentKey);
      if (it != metadata.end()) {
        call_.emplace(method_,
                      absl::string_view(it->second.data(), it->second.size()));
      }
    }
    if (call_.has_value() && call_->recording() && !run_id_read_ &&
        methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE) &&
        absl::StartsWith(method_, kOwnPackagePrefix)) {
      run_id_read_ = true;
      const auto* request = static_cast<const google::protobuf::Message*>(
          methods->GetRecvMessage());
      if (request != nullptr) call_->SetRunId(RunIdOf(*request));
    }
    if (call_.has_value() && call_->recording() &&
        methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const std::string service = ServiceOfMethod(method_);
      methods->GetSendTrailingMetadata()->emplace(
          kSpansTrailerKey, call_->Finish(FromGrpcStatus(status, service, ""))
                                .SerializeAsString());
      call_.reset();
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  bool run_id_read_ = false;
  std::optional<ServerCallSpan> call_;
};

class ServerTracingFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Unary calls only: a session's calls are traced per message
  // (ServerCallSpan, by the session itself).
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (info->type() != grpc::experimental::ServerRpcInfo::Type::UNARY) {
      return nullptr;
    }
    return new ServerTracingInterceptor(info);
  }
};

}  // namespace

std::string ServiceOfMethod(absl::string_view method) {
  absl::string_view service = method;
  if (absl::StartsWith(service, "/")) service.remove_prefix(1);
  service = service.substr(0, service.find('/'));
  const size_t dot = service.rfind('.');
  if (dot != absl::string_view::npos) service.remove_prefix(dot + 1);
  if (absl::EndsWith(service, "Service") && service.size() > 7) {
    service.remove_suffix(7);
  }
  return absl::AsciiStrToLower(service);
}

std::string CurrentTraceparent() {
  const TraceContext& current = CurrentContext();
  if (!current.recording()) return "";
  return FormatTraceparent(current.parent);
}

void InjectTraceparent(grpc::ClientContext& context) {
  std::string traceparent = CurrentTraceparent();
  if (!traceparent.empty()) {
    context.AddMetadata(kTraceparentKey, std::move(traceparent));
  }
}

void CollectSpans(backtest::v1::Trace spans) {
  const TraceContext& current = CurrentContext();
  if (!current.recording() || spans.spans().empty()) return;
  current.recorder->AddAll(std::move(spans));
}

void CollectServerSpans(const grpc::ClientContext& context) {
  if (!CurrentContext().recording()) return;
  const auto& trailers = context.GetServerTrailingMetadata();
  const auto it = trailers.find(kSpansTrailerKey);
  if (it == trailers.end()) return;
  backtest::v1::Trace spans;
  if (spans.ParseFromArray(it->second.data(),
                           static_cast<int>(it->second.size()))) {
    CollectSpans(std::move(spans));
  }
}

ServerCallSpan::ServerCallSpan(absl::string_view method,
                               absl::string_view traceparent) {
  if (traceparent.empty()) return;
  absl::StatusOr<SpanContext> parent = ParseTraceparent(traceparent);
  // A malformed traceparent starts no trace (W3C: ignore it), and the call
  // goes on untraced.
  if (!parent.ok()) return;
  method_ = std::string(method);
  service_ = ServiceOfMethod(method_);
  span_.emplace(TraceContext{&recorder_, *parent, service_},
                absl::string_view(method_).substr(1),
                backtest::v1::SPAN_KIND_SERVER);
  span_->SetAttribute("rpc.system", "grpc");
  span_->SetAttribute("rpc.method", method_);
}

void ServerCallSpan::SetRunId(std::string run_id) {
  if (!span_.has_value() || run_id.empty()) return;
  run_id_ = std::move(run_id);
  span_->SetAttribute("run.id", run_id_);
}

backtest::v1::Trace ServerCallSpan::Finish(const absl::Status& status) {
  if (!span_.has_value()) return {};
  span_->SetAttribute("rpc.grpc.status_code",
                      static_cast<int64_t>(status.code()));
  if (!status.ok()) {
    span_->SetError(status, service_);
    const backtest::v1::StageError error = ToStageError(status, service_);
    ContextScope scope(span_->ChildContext());
    LogEvent(LogLevel::kError, error.message(),
             {.run_id = run_id_,
              .extra = {{"event", "stage_failed"},
                        {"stage", error.stage()},
                        {"reason", error.reason()},
                        {"rpc", method_}}});
  }
  span_->End();
  span_.reset();
  return recorder_.Take();
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerTracingFactory() {
  return std::make_unique<ServerTracingFactory>();
}

}  // namespace seed::tracing
