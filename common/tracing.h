// Traces of runs (DESIGN.md section 6): W3C trace context, spans and the
// per-run recorder that gathers them. A span is recorded only under a trace
// context (a run, or an incoming `traceparent`); elsewhere starting one costs
// a thread-local read and records nothing. The current context is per thread:
// ContextScope sets it for a block, and a thread started for a run gets it
// explicitly (copy the TraceContext, open a ContextScope in the thread).
// TraceRecorder is thread-safe; a Span belongs to the thread that started it.
#ifndef SEED_COMMON_TRACING_H_
#define SEED_COMMON_TRACING_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "backtest/v1/trace.pb.h"

namespace seed::tracing {

// The gRPC metadata keys: the W3C header, and the spans a service recorded
// for a call, returned to the caller as a serialized backtest.v1.Trace.
inline constexpr char kTraceparentKey[] = "traceparent";
inline constexpr char kSpansTrailerKey[] = "bt-spans-bin";

// 32 and 16 lowercase hex digits, random, never all zero.
std::string NewTraceId();
std::string NewSpanId();

// Which span a new span is a child of.
struct SpanContext {
  std::string trace_id;  // empty: none
  std::string span_id;
  bool sampled = true;  // the traceparent's flags bit 0
  bool valid() const { return !trace_id.empty(); }
};

// Parses "00-<32 hex>-<16 hex>-<2 hex>" (lowercase, as W3C requires). An
// all-zero id, version ff, another length or any other character fails
// INVALID_ARGUMENT saying what is wrong. Later versions are read by their
// first four fields, as the W3C specification asks.
absl::StatusOr<SpanContext> ParseTraceparent(absl::string_view header);
// "00-<trace id>-<span id>-01" (or -00 when not sampled).
std::string FormatTraceparent(const SpanContext& context);

// The spans of one trace, from any thread. Once it holds kMaxSpans, new
// spans are only recorded when they fail (see Span) or are the parent of a
// span already recorded, and the others are counted as dropped, so a very
// long run's trace stays small and cheap while failures are always kept and
// no recorded span loses its parent (a run's root span is always there).
class TraceRecorder {
 public:
  static constexpr int kMaxSpans = 5000;

  void Add(backtest::v1::Span span);
  // Adds spans another process recorded (e.g. from a call's trailers).
  void AddAll(backtest::v1::Trace trace);
  // Everything recorded so far, in the order spans ended.
  backtest::v1::Trace Snapshot() const;
  // The same, moved out: the recorder starts over empty (dropped() is kept).
  backtest::v1::Trace Take();
  bool full() const { return full_.load(std::memory_order_relaxed); }
  void CountDropped() { dropped_.fetch_add(1, std::memory_order_relaxed); }
  int64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  mutable absl::Mutex mutex_;
  backtest::v1::Trace trace_ ABSL_GUARDED_BY(mutex_);
  // The parent ids of the spans in trace_: these spans are kept when full.
  absl::flat_hash_set<std::string> recorded_parents_ ABSL_GUARDED_BY(mutex_);
  std::atomic<bool> full_{false};
  std::atomic<int64_t> dropped_{0};
};

// Where new spans go and whose children they are. Default: not tracing.
struct TraceContext {
  TraceRecorder* recorder = nullptr;
  SpanContext parent;
  std::string service;  // service.name of spans started under it
  bool recording() const { return recorder != nullptr && parent.valid(); }
};

// The current thread's context (not tracing unless a ContextScope set one).
const TraceContext& CurrentContext();

// Makes `context` current on this thread until destroyed, then restores the
// one before. Scopes nest; destroy them in reverse order of creation.
class ContextScope {
 public:
  explicit ContextScope(TraceContext context);
  ~ContextScope();
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  TraceContext previous_;
};

// A span being recorded; ends (and is added to its recorder) at End() or
// destruction. A span started without a recording context records nothing
// and every call on it is a no-op. A span started when its recorder is full
// is deferred: it keeps only its name and start time, has no children, and is
// recorded only if SetError is called, as a child of the context current at
// that moment (its parent's, when used as below). Example:
//   tracing::Span span("portfolio.apply_steps",
//   backtest::v1::SPAN_KIND_CLIENT); span.SetAttribute("steps", 128);
//   tracing::ContextScope scope(span.ChildContext());  // children nest here
//   if (!status.ok()) span.SetError(status, "portfolio");
class Span {
 public:
  // A child of the current context. `name` must outlive the span.
  Span(absl::string_view name, backtest::v1::SpanKind kind);
  // A child of `parent`, recorded into its recorder.
  Span(const TraceContext& parent, absl::string_view name,
       backtest::v1::SpanKind kind);
  ~Span() { End(); }
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

  // Attributes and children are recorded (false when deferred).
  bool recording() const { return recorder_ != nullptr && !deferred_; }
  void SetAttribute(absl::string_view key, absl::string_view value);
  void SetAttribute(absl::string_view key, const char* value) {
    SetAttribute(key, absl::string_view(value));
  }
  void SetAttribute(absl::string_view key, int64_t value);
  void SetAttribute(absl::string_view key, int value) {
    SetAttribute(key, static_cast<int64_t>(value));
  }
  void SetAttribute(absl::string_view key, double value);
  void SetAttribute(absl::string_view key, bool value);

  // Marks the span ERROR with the failure's reason as status message,
  // attributes error.stage, error.reason and (where the failure names them)
  // error.symbol, error.bar_time, and an "exception" event with
  // exception.type (the reason) and exception.message. OK statuses are
  // ignored. `default_stage` names a failure that carries no stage.
  void SetError(const absl::Status& status, absl::string_view default_stage);
  bool failed() const;

  // The context for this span's children (same recorder and service).
  TraceContext ChildContext() const;
  const backtest::v1::Span& data() const { return span_; }

  void End();

 private:
  backtest::v1::SpanAttribute* AddAttribute(absl::string_view key);

  TraceRecorder* recorder_ = nullptr;
  bool deferred_ = false;
  absl::string_view deferred_name_;  // the caller's; must outlive the span
  backtest::v1::SpanKind deferred_kind_ = backtest::v1::SPAN_KIND_UNSPECIFIED;
  backtest::v1::Span span_;
};

// Nanoseconds since the Unix epoch, now.
int64_t NowUnixNanos();

}  // namespace seed::tracing

#endif  // SEED_COMMON_TRACING_H_
