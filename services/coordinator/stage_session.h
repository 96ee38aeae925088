// Sessions: the coordinator's side of a stateful stage's Session rpc (the
// contract is in protos/backtest/v1/strategy.proto). A run's calls to the
// strategy, portfolio or execution stage go over one bidirectional stream,
// opened by its StartRun and ended by its EndRun. The stream stays on the
// connection the channel's load balancer picked when it opened (round_robin
// over every address the target resolves to), so runs spread over a stage's
// replicas while each run's calls reach the replica that holds its state.
//
// Each call keeps the unary calls' semantics: a deadline of awake time
// (call_watchdog.h) after which the run fails naming the stage, the caller's
// span sent along and the server's spans folded back in (grpc_tracing.h),
// stage errors passed through and transport failures attributed to the
// stage and its address (grpc_status.h), naming the replica. A failure of
// the stream itself (a dead replica, a cancelled call) ends the session; the
// server then ends the run on its side.
//
// StageSessions is thread-safe: different runs proceed in parallel, one
// run's calls are serialized. A StageSession belongs to its table.
#ifndef SEED_SERVICES_COORDINATOR_STAGE_SESSION_H_
#define SEED_SERVICES_COORDINATOR_STAGE_SESSION_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/grpc_status.h"
#include "common/grpc_tracing.h"
#include "common/run_registry.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "services/coordinator/call_watchdog.h"

namespace seed::coordinator {

namespace session_internal {

// Where a stage lives, for the failures that name it.
struct Endpoint {
  absl::string_view stage;  // "execution"; static storage
  std::string target;       // as configured, e.g. "dns:///execution...:7104"
  absl::Duration deadline;  // per call, awake time
};

// The field of `oneof` (in `message`) whose type is `type`; null when none.
const google::protobuf::FieldDescriptor* FieldOfType(
    const google::protobuf::Descriptor* message, absl::string_view oneof,
    const google::protobuf::Descriptor* type);

// "TARGET", or "TARGET (replica PEER)" once the replica is known and is not
// the target itself.
std::string DescribeAddress(const std::string& target, const std::string& peer);

// The failure of a stream that broke during a call: `status` is the stream's
// final one; `expired`: the watchdog cancelled it. A stream the server ended
// (closed or cancelled: it is shutting down) is UNAVAILABLE, as a dead one.
absl::Status StreamFailure(const grpc::Status& status, bool expired,
                           const Endpoint& endpoint, const std::string& peer);

// A session answer without the result its call asked for.
absl::Status MissingResult(const Endpoint& endpoint, const std::string& peer,
                           absl::string_view call);

}  // namespace session_internal

// One run's session with one stage. Request and Response are the stage's
// session messages (e.g. v1::ExecutionSessionRequest); Stub its stub.
template <typename Stub, typename Request, typename Response>
class StageSession {
 public:
  StageSession(Stub& stub, const session_internal::Endpoint& endpoint)
      : stub_(stub), endpoint_(endpoint) {}
  ~StageSession() { Close(); }
  StageSession(const StageSession&) = delete;
  StageSession& operator=(const StageSession&) = delete;

  // Sends one call (the stage's unary request, e.g. v1::ExecuteStepsRequest)
  // and waits for its answer; the first call opens the stream. `request` is
  // lent to the stream, not copied.
  template <typename CallRequest, typename CallResponse>
  absl::Status Call(const CallRequest& request, CallResponse* response) {
    using google::protobuf::FieldDescriptor;
    static const FieldDescriptor* const kCall = session_internal::FieldOfType(
        Request::descriptor(), "call", CallRequest::descriptor());
    static const FieldDescriptor* const kResult = session_internal::FieldOfType(
        Response::descriptor(), "result", CallResponse::descriptor());
    const google::protobuf::Reflection* request_reflection =
        request_.GetReflection();
    request_.set_traceparent(tracing::CurrentTraceparent());
    request_reflection->UnsafeArenaSetAllocatedMessage(
        &request_, const_cast<CallRequest*>(&request), kCall);
    {
      const std::unique_ptr<CallWatchdog::Watch> watch =
          CallWatchdog::Get().Start(&context_, endpoint_.deadline);
      // Opening the stream picks the replica: inside the watch, so a stage
      // that cannot be reached fails within the deadline too.
      if (stream_ == nullptr) stream_ = stub_.Session(&context_);
      const bool written = stream_->Write(request_);
      request_reflection->UnsafeArenaReleaseMessage(&request_, kCall);
      const bool answered = written && stream_->Read(&response_);
      // An answer that came as the deadline passed is late all the same,
      // and the watchdog has cancelled the stream.
      if (!answered || watch->expired()) {
        broken_ = true;
        const grpc::Status status = stream_->Finish();
        finished_ = true;
        return session_internal::StreamFailure(status, watch->expired(),
                                               endpoint_, peer_);
      }
    }
    if (peer_.empty()) peer_ = context_.peer();
    if (response_.has_spans()) {
      tracing::CollectSpans(std::move(*response_.mutable_spans()));
    }
    const absl::Status status = FromRpcStatus(
        response_.status(), endpoint_.stage,
        session_internal::DescribeAddress(endpoint_.target, peer_));
    if (!status.ok()) return status;
    const google::protobuf::Reflection* response_reflection =
        response_.GetReflection();
    if (!response_reflection->HasField(response_, kResult)) {
      return session_internal::MissingResult(endpoint_, peer_, kCall->name());
    }
    static_cast<CallResponse*>(
        response_reflection->MutableMessage(&response_, kResult))
        ->Swap(response);
    return absl::OkStatus();
  }

  // The stream failed: the session can take no more calls.
  bool broken() const { return broken_; }

 private:
  // Half-closes the stream and reads its final status. After EndRun the
  // server has already closed it; otherwise the server ends the run it
  // holds, if any. The status says nothing more: every answer came before.
  void Close() {
    if (stream_ == nullptr || finished_) return;
    const std::unique_ptr<CallWatchdog::Watch> watch =
        CallWatchdog::Get().Start(&context_, endpoint_.deadline);
    stream_->WritesDone();
    stream_->Finish();
    finished_ = true;
  }

  Stub& stub_;
  const session_internal::Endpoint& endpoint_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<Request, Response>> stream_;
  Request request_;
  Response response_;
  std::string peer_;  // the replica, once it answered
  bool broken_ = false;
  bool finished_ = false;  // the stream's status was read
};

// A stage's open sessions, by run (and strategy instance), over `channel`,
// which should balance with round_robin (common/server.h, Balancing): Start
// opens one with the run's StartRun, Call sends the run's other calls, End
// sends its EndRun and closes it. A run without a session (never started,
// ended, or whose stream broke) fails NOT_FOUND with reason UNKNOWN_RUN, and a
// second Start of a held run ALREADY_EXISTS with RUN_EXISTS, as the stage
// itself would answer.
template <typename Service, typename Request, typename Response>
class StageSessions {
 public:
  // `stage` must have static storage ("execution").
  StageSessions(absl::string_view stage, std::string target,
                absl::Duration deadline,
                const std::shared_ptr<grpc::Channel>& channel)
      : endpoint_{stage, std::move(target), deadline},
        stub_(Service::NewStub(channel)),
        sessions_(stage) {}

  template <typename CallRequest, typename CallResponse>
  absl::Status Start(const std::string& run_id, absl::string_view instance,
                     const CallRequest& request, CallResponse* response) {
    absl::Status status = sessions_.Add(
        run_id, std::make_unique<Session>(*stub_, endpoint_), instance);
    if (!status.ok()) return status;
    status = Call(run_id, instance, request, response);
    // A run that did not start holds nothing on the server: close at once.
    if (!status.ok()) Drop(run_id, instance);
    return status;
  }

  template <typename CallRequest, typename CallResponse>
  absl::Status Call(const std::string& run_id, absl::string_view instance,
                    const CallRequest& request, CallResponse* response) {
    bool broken = false;
    const absl::Status status = sessions_.With(
        run_id,
        [&](Session& session) {
          const absl::Status called = session.Call(request, response);
          broken = session.broken();
          return called;
        },
        instance);
    if (broken) Drop(run_id, instance);
    return status;
  }

  template <typename CallRequest, typename CallResponse>
  absl::Status End(const std::string& run_id, absl::string_view instance,
                   const CallRequest& request, CallResponse* response) {
    return sessions_.Remove(
        run_id,
        [&](Session& session) { return session.Call(request, response); },
        instance);
  }

 private:
  using Session = StageSession<typename Service::Stub, Request, Response>;

  // Forgets the run's session (closing it), whatever state it is in.
  void Drop(const std::string& run_id, absl::string_view instance) {
    // Only NOT_FOUND can come back, when the session is already gone.
    sessions_
        .Remove(
            run_id, [](Session&) { return absl::OkStatus(); }, instance)
        .IgnoreError();
  }

  const session_internal::Endpoint endpoint_;
  const std::unique_ptr<typename Service::Stub> stub_;
  RunRegistry<Session> sessions_;
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_STAGE_SESSION_H_
