#include "common/session_reactor.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/stage_error.h"

namespace seed {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// A string field of `message` by name; empty when it has none.
std::string StringField(const Message& message, absl::string_view name) {
  const FieldDescriptor* field =
      message.GetDescriptor()->FindFieldByName(std::string(name));
  if (field == nullptr || field->type() != FieldDescriptor::TYPE_STRING ||
      field->is_repeated()) {
    return "";
  }
  return message.GetReflection()->GetString(message, field);
}

// "run R", or "run R strategy S", for messages.
std::string Describe(const SessionRun& run) {
  return run.instance.empty()
             ? absl::StrCat("run ", run.run_id)
             : absl::StrCat("run ", run.run_id, " strategy ", run.instance);
}

}  // namespace

SessionProtocol::SessionProtocol(absl::string_view stage,
                                 absl::string_view service_full_name,
                                 const Descriptor* request_type)
    : stage_(stage),
      call_(request_type->FindOneofByName("call")),
      session_method_(absl::StrCat("/", service_full_name, "/Session")) {
  const google::protobuf::ServiceDescriptor* service =
      request_type->file()->pool()->FindServiceByName(
          std::string(service_full_name));
  if (call_ == nullptr || service == nullptr) return;
  // Each call is the request of the unary method that takes its type.
  for (int i = 0; i < call_->field_count(); ++i) {
    const FieldDescriptor* field = call_->field(i);
    for (int m = 0; m < service->method_count(); ++m) {
      const google::protobuf::MethodDescriptor* method = service->method(m);
      if (method->input_type() == field->message_type() &&
          !method->client_streaming()) {
        methods_[field->number()] =
            absl::StrCat("/", service_full_name, "/", method->name());
      }
    }
  }
}

SessionProtocol::Call SessionProtocol::Read(
    const Message& request, const std::optional<SessionRun>& held) const {
  Call call;
  call.method = session_method_;
  const FieldDescriptor* field =
      call_ == nullptr
          ? nullptr
          : request.GetReflection()->GetOneofFieldDescriptor(request, call_);
  const auto method =
      field == nullptr ? methods_.end() : methods_.find(field->number());
  if (method == methods_.end()) {
    call.allowed = StageFailure(
        absl::StatusCode::kUnimplemented, stage_, "SESSION_PROTOCOL",
        "the session request carries no call this service knows",
        {.hint = "send one of the stage's unary requests in the `call` field"});
    return call;
  }
  call.method = method->second;
  call.start = field->name() == "start_run";
  call.end = field->name() == "end_run";
  const Message& inner = request.GetReflection()->GetMessage(request, field);
  call.run = {StringField(inner, "run_id"), StringField(inner, "strategy_id")};
  const auto refuse = [&](std::string message, std::string hint) {
    call.allowed =
        StageFailure(absl::StatusCode::kFailedPrecondition, stage_,
                     "SESSION_PROTOCOL", std::move(message),
                     {.run_id = call.run.run_id, .hint = std::move(hint)});
  };
  if (call.start && held.has_value()) {
    refuse(absl::StrCat("the session already holds ", Describe(*held),
                        ": one run per session"),
           "open another session for another run");
  } else if (!call.start && !held.has_value()) {
    refuse(absl::StrCat("the session holds no run: ", field->name(), " for ",
                        Describe(call.run), " before its StartRun"),
           "send StartRun first on every session");
  } else if (!call.start && (held->run_id != call.run.run_id ||
                             held->instance != call.run.instance)) {
    refuse(absl::StrCat("the session holds ", Describe(*held), ", not ",
                        Describe(call.run)),
           "send each run's calls on its own session");
  }
  return call;
}

void LogSessionStart(absl::string_view stage, const SessionRun& run) {
  LogEvent(LogLevel::kInfo,
           absl::StrCat(Describe(run), " started on a session"),
           {.run_id = run.run_id,
            .extra = {{"event", "session_start"},
                      {"stage", std::string(stage)},
                      {"strategy_id", run.instance}}});
}

void LogSessionDiscarded(absl::string_view stage, const SessionRun& run,
                         const absl::Status& discarded) {
  LogEvent(discarded.ok() ? LogLevel::kWarning : LogLevel::kError,
           absl::StrCat("the session of ", Describe(run),
                        " ended before EndRun; the run was ended here",
                        discarded.ok() ? ""
                                       : absl::StrCat(" with an error: ",
                                                      discarded.message())),
           {.run_id = run.run_id,
            .extra = {{"event", "session_discarded"},
                      {"stage", std::string(stage)},
                      {"strategy_id", run.instance}}});
}

}  // namespace seed
