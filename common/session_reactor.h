// Serves a stateful stage's Session rpc (StrategyService.Session and its
// twins in portfolio.proto and execution.proto; the contract is in
// strategy.proto): one run's calls over one bidirectional stream, answered in
// order, each by the same engine method the unary rpc of that name calls, so
// the two transports share one code path. A session whose client goes away
// before EndRun ends its run on this replica (the engine's EndRun), so no
// state is left behind. Written with gRPC's callback API: a call runs on
// gRPC's thread, as the unary calls do (common/unary_reactor.h).
//
// The session messages must have the shape of those protos: a `traceparent`
// and a oneof `call` of the unary requests (fields `start_run` and `end_run`
// among them) in the request; a google.rpc.Status `status`, a Trace `spans`
// and a oneof `result` in the response. SessionProtocol is immutable and
// thread-safe; a SessionReactor serves one stream and deletes itself.
#ifndef SEED_COMMON_SESSION_REACTOR_H_
#define SEED_COMMON_SESSION_REACTOR_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/grpc_status.h"
#include "common/grpc_tracing.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"

namespace seed {

// The run a session holds: its id and, in the strategy stage, the strategy
// instance (strategy_id; empty elsewhere).
struct SessionRun {
  std::string run_id;
  std::string instance;
};

// What one stage's sessions have in common: which unary method each call
// stands for, and the protocol's rules (StartRun first, one run per session).
class SessionProtocol {
 public:
  // `stage` names the stage in failures and logs ("execution");
  // `service_full_name` is the service's ("backtest.v1.ExecutionService");
  // `request_type` its session request message.
  SessionProtocol(absl::string_view stage, absl::string_view service_full_name,
                  const google::protobuf::Descriptor* request_type);

  // One request as read.
  struct Call {
    // The unary method it stands for ("/backtest.v1.ExecutionService/
    // ExecuteSteps"), or the Session method when no call is set.
    absl::string_view method;
    SessionRun run;  // the run the call names
    bool start = false;
    bool end = false;
    // OK, or why the protocol refuses the call (SESSION_PROTOCOL, or
    // UNIMPLEMENTED when no call is set).
    absl::Status allowed;
  };
  // `held`: the run the session holds, if any.
  Call Read(const google::protobuf::Message& request,
            const std::optional<SessionRun>& held) const;

  absl::string_view stage() const { return stage_; }

 private:
  const std::string stage_;
  const google::protobuf::OneofDescriptor* call_ = nullptr;
  std::string session_method_;
  // By the number of the `call` field: the unary method's full name.
  absl::flat_hash_map<int, std::string> methods_;
};

// Logs the start of a session's run (event session_start) and the end of
// one whose client went away (event session_discarded, with the discard's
// outcome): the replica each run reached, in its own log.
void LogSessionStart(absl::string_view stage, const SessionRun& run);
void LogSessionDiscarded(absl::string_view stage, const SessionRun& run,
                         const absl::Status& discarded);

template <typename Request, typename Response>
class SessionReactor final : public grpc::ServerBidiReactor<Request, Response> {
 public:
  // Serves one allowed call: the engine method of the call set in `request`,
  // its answer in the matching field of the response's `result`.
  using Serve = std::function<absl::Status(const Request&, Response*)>;
  // Ends a run whose client went away before EndRun.
  using Discard = std::function<absl::Status(const SessionRun&)>;

  // `protocol` must outlive the reactor (a member of the service).
  SessionReactor(const SessionProtocol& protocol, Serve serve, Discard discard)
      : protocol_(protocol),
        serve_(std::move(serve)),
        discard_(std::move(discard)) {
    this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    // The client half-closed, or the stream broke: OnDone ends a held run.
    if (!ok) {
      this->Finish(grpc::Status::OK);
      return;
    }
    if (Answer()) {
      this->StartWriteAndFinish(&response_, grpc::WriteOptions(),
                                grpc::Status::OK);
    } else {
      this->StartWrite(&response_);
    }
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      this->Finish(grpc::Status::CANCELLED);
      return;
    }
    this->StartRead(&request_);
  }

  void OnDone() override {
    if (run_.has_value()) {
      LogSessionDiscarded(protocol_.stage(), *run_, discard_(*run_));
    }
    delete this;
  }

 private:
  // Serves request_ into response_; true when it was the run's EndRun, which
  // ends the session.
  bool Answer() {
    response_.Clear();
    const SessionProtocol::Call call = protocol_.Read(request_, run_);
    tracing::ServerCallSpan span(call.method, request_.traceparent());
    span.SetRunId(call.run.run_id);
    absl::Status status = call.allowed;
    if (status.ok()) status = serve_(request_, &response_);
    if (status.ok() && call.start) {
      run_ = call.run;
      LogSessionStart(protocol_.stage(), *run_);
    }
    // EndRun forgets the run even when it fails, as the engines do.
    const bool ended = call.end && call.allowed.ok();
    if (ended) run_.reset();
    if (!status.ok()) {
      response_.clear_result();
      *response_.mutable_status() = ToRpcStatus(status);
    }
    if (span.recording()) *response_.mutable_spans() = span.Finish(status);
    return ended;
  }

  const SessionProtocol& protocol_;
  const Serve serve_;
  const Discard discard_;
  std::optional<SessionRun> run_;
  Request request_;
  Response response_;
};

}  // namespace seed

#endif  // SEED_COMMON_SESSION_REACTOR_H_
