#include "services/coordinator/trace_keeping_results.h"

#include <deque>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "common/tracing.h"
#include "services/coordinator/forwarding_stages.h"

namespace seed::coordinator {
namespace {

// NOT_FOUND: the results stage has no such run (another database); storing
// again cannot help. INVALID_ARGUMENT: the request itself is wrong.
bool MayPass(const absl::Status& status) {
  return !absl::IsNotFound(status) && !absl::IsInvalidArgument(status);
}

// The same failure (code, ErrorInfo payload) saying the trace is kept.
absl::Status SayKept(const absl::Status& status) {
  absl::Status kept(
      status.code(),
      absl::StrCat(status.message(),
                   "; the coordinator keeps the trace and stores it with its "
                   "next run's, or as it stops"));
  status.ForEachPayload(
      [&kept](absl::string_view type_url, const absl::Cord& payload) {
        kept.SetPayload(type_url, payload);
      });
  return kept;
}

void LogLost(const std::string& run_id, absl::string_view why) {
  LogEvent(LogLevel::kError,
           absl::StrCat("the trace of run ", run_id, " is lost: ", why),
           {.run_id = run_id, .extra = {{"event", "trace_lost"}}});
}

class TraceKeepingResults final : public ForwardingResultsStage {
 public:
  using ForwardingResultsStage::ForwardingResultsStage;

  ~TraceKeepingResults() override {
    absl::MutexLock lock(&mutex_);
    const absl::Status status = StoreKept();
    for (const v1::StoreTraceRequest& request : kept_) {
      LogLost(request.run_id(),
              absl::StrCat("the coordinator stopped before the results stage "
                           "could store it: ",
                           status.message()));
    }
  }

  absl::Status StoreTrace(const v1::StoreTraceRequest& request,
                          v1::StoreTraceResponse* response) override {
    absl::MutexLock lock(&mutex_);
    StoreKept().IgnoreError();  // still kept; this trace is tried all the same
    const absl::Status status = StoreUntraced(request, response);
    if (status.ok() || !MayPass(status)) return status;
    kept_.push_back(request);
    if (kept_.size() > kMaxKeptTraces) {
      LogLost(kept_.front().run_id(),
              absl::StrCat("the results stage could not store it, and the "
                           "coordinator keeps only the last ",
                           kMaxKeptTraces, " such traces"));
      kept_.pop_front();
    }
    return SayKept(status);
  }

 private:
  // Storing is no part of any run's trace.
  absl::Status StoreUntraced(const v1::StoreTraceRequest& request,
                             v1::StoreTraceResponse* response) {
    tracing::ContextScope untraced{tracing::TraceContext{}};
    return inner().StoreTrace(request, response);
  }

  // Stores the kept traces, oldest first, up to the first that fails for a
  // reason that may pass (that one and the later ones stay kept). Its
  // failure, or OK.
  absl::Status StoreKept() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    while (!kept_.empty()) {
      v1::StoreTraceResponse response;
      const absl::Status status = StoreUntraced(kept_.front(), &response);
      if (!status.ok() && MayPass(status)) return status;
      if (!status.ok()) LogLost(kept_.front().run_id(), status.message());
      kept_.pop_front();
    }
    return absl::OkStatus();
  }

  absl::Mutex mutex_;
  std::deque<v1::StoreTraceRequest> kept_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace

std::unique_ptr<ResultsStage> KeepUnstoredTraces(
    std::unique_ptr<ResultsStage> results) {
  return std::make_unique<TraceKeepingResults>(std::move(results));
}

}  // namespace seed::coordinator
