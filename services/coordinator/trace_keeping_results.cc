#include "services/coordinator/trace_keeping_results.h"

#include <deque>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "common/tracing.h"
#include "services/coordinator/forwarding_stages.h"

namespace seed::coordinator {
namespace {

// Whether storing again can help: not for a run the results stage does not
// know (NOT_FOUND: another database), a malformed request, a run that has
// ended already (FAILED_PRECONDITION: finished, or given up as ABANDONED),
// or one stored already.
bool MayPass(const absl::Status& status) {
  return !absl::IsNotFound(status) && !absl::IsInvalidArgument(status) &&
         !absl::IsFailedPrecondition(status) && !absl::IsAlreadyExists(status);
}

// The same failure (code, ErrorInfo payload) with `note` added.
absl::Status WithNote(const absl::Status& status, absl::string_view note) {
  absl::Status noted(status.code(), absl::StrCat(status.message(), "; ", note));
  status.ForEachPayload(
      [&noted](absl::string_view type_url, const absl::Cord& payload) {
        noted.SetPayload(type_url, payload);
      });
  return noted;
}

void LogLost(absl::string_view what, const std::string& run_id,
             absl::string_view why) {
  LogEvent(LogLevel::kError,
           absl::StrCat("the ", what, " of run ", run_id, " is lost: ", why),
           {.run_id = run_id, .extra = {{"event", absl::StrCat(what, "_lost")}}});
}

class TraceKeepingResults final : public ForwardingResultsStage {
 public:
  TraceKeepingResults(std::unique_ptr<ResultsStage> inner,
                      absl::Duration retry_interval)
      : ForwardingResultsStage(std::move(inner)),
        retry_interval_(retry_interval),
        retrier_([this] { RetryUntilStopped(); }) {}

  ~TraceKeepingResults() override {
    {
      absl::MutexLock lock(&mutex_);
      stopping_ = true;
    }
    retrier_.join();
    absl::MutexLock lock(&mutex_);
    const absl::Status status = StoreKept();
    const std::string why = absl::StrCat(
        "the coordinator stopped before the results stage could store it: ",
        status.message());
    for (const v1::FinishRunRequest& request : outcomes_) {
      LogLost("outcome", request.run_id(), why);
    }
    for (const v1::StoreTraceRequest& request : traces_) {
      LogLost("trace", request.run_id(), why);
    }
  }

  absl::Status FinishRun(const v1::FinishRunRequest& request,
                         v1::FinishRunResponse* response) override {
    absl::MutexLock lock(&mutex_);
    StoreKept().IgnoreError();  // still kept; this one is tried all the same
    // Traced: this run's own call, unlike the kept ones of earlier runs.
    const absl::Status status = inner().FinishRun(request, response);
    if (status.ok() || !MayPass(status)) return status;
    outcomes_.push_back(request);
    if (outcomes_.size() > kMaxKeptOutcomes) {
      LogLost("outcome", outcomes_.front().run_id(),
              absl::StrCat("the results stage could not store it, and the "
                           "coordinator keeps only the last ",
                           kMaxKeptOutcomes, " such outcomes"));
      outcomes_.pop_front();
    }
    return WithNote(status, absl::StrCat(
                                "the coordinator keeps the outcome (",
                                v1::RunState_Name(request.state()),
                                ") and stores it once the results stage is "
                                "back"));
  }

  absl::Status StoreTrace(const v1::StoreTraceRequest& request,
                          v1::StoreTraceResponse* response) override {
    absl::MutexLock lock(&mutex_);
    StoreKept().IgnoreError();  // still kept; this trace is tried all the same
    const absl::Status status = Untraced(
        [&] { return inner().StoreTrace(request, response); });
    if (status.ok() || !MayPass(status)) return status;
    if (absl::IsResourceExhausted(status)) {
      // A full disk: storing the trace later would fill it again.
      LogLost("trace", request.run_id(), status.message());
      return WithNote(status,
                      "the trace is not kept: storing it later would fill the "
                      "results database's disk again");
    }
    traces_.push_back(request);
    if (traces_.size() > kMaxKeptTraces) {
      LogLost("trace", traces_.front().run_id(),
              absl::StrCat("the results stage could not store it, and the "
                           "coordinator keeps only the last ",
                           kMaxKeptTraces, " such traces"));
      traces_.pop_front();
    }
    return WithNote(status,
                    "the coordinator keeps the trace and stores it once the "
                    "results stage is back");
  }

 private:
  // Storing is no part of any run's trace.
  template <typename Call>
  static absl::Status Untraced(const Call& call) {
    tracing::ContextScope untraced{tracing::TraceContext{}};
    return call();
  }

  // Stores what is kept, outcomes then traces, oldest first, up to the first
  // that fails for a reason that may pass (that one and the later ones stay
  // kept). Its failure, or OK.
  absl::Status StoreKept() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    while (!outcomes_.empty()) {
      v1::FinishRunResponse response;
      const absl::Status status = Untraced(
          [&] { return inner().FinishRun(outcomes_.front(), &response); });
      if (!status.ok() && MayPass(status)) return status;
      if (!status.ok()) {
        LogLost("outcome", outcomes_.front().run_id(), status.message());
      }
      outcomes_.pop_front();
    }
    while (!traces_.empty()) {
      v1::StoreTraceResponse response;
      const absl::Status status = Untraced(
          [&] { return inner().StoreTrace(traces_.front(), &response); });
      if (!status.ok() && MayPass(status)) return status;
      if (!status.ok()) {
        LogLost("trace", traces_.front().run_id(), status.message());
      }
      traces_.pop_front();
    }
    return absl::OkStatus();
  }

  // Tries what is kept every retry_interval_, so that a results stage that
  // comes back gets a run's end without waiting for the next run.
  void RetryUntilStopped() {
    absl::MutexLock lock(&mutex_);
    const auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return stopping_;
    };
    while (!mutex_.AwaitWithTimeout(absl::Condition(&stopping),
                                    retry_interval_)) {
      if (!outcomes_.empty() || !traces_.empty()) StoreKept().IgnoreError();
    }
  }

  const absl::Duration retry_interval_;
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::deque<v1::FinishRunRequest> outcomes_ ABSL_GUARDED_BY(mutex_);
  std::deque<v1::StoreTraceRequest> traces_ ABSL_GUARDED_BY(mutex_);
  std::thread retrier_;  // last: started once the rest is ready
};

}  // namespace

std::unique_ptr<ResultsStage> KeepUnstoredTraces(
    std::unique_ptr<ResultsStage> results, absl::Duration retry_interval) {
  return std::make_unique<TraceKeepingResults>(std::move(results),
                                               retry_interval);
}

}  // namespace seed::coordinator
