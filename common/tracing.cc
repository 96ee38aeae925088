#include "common/tracing.h"

#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/stage_error.h"

namespace seed::tracing {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Random hex of `digits` digits, not all zero (W3C: an all-zero id is
// invalid). One generator per thread: no lock on the span path.
std::string RandomHex(int digits) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::string hex(digits, '0');
  bool all_zero = true;
  while (all_zero) {
    for (int i = 0; i < digits; i += 16) {
      uint64_t bits = generator();
      for (int j = i; j < i + 16 && j < digits; ++j) {
        hex[j] = kHexDigits[bits & 0xf];
        bits >>= 4;
        all_zero = all_zero && hex[j] == '0';
      }
    }
  }
  return hex;
}

bool IsLowerHex(absl::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(absl::string_view text) {
  return text.find_first_not_of('0') == absl::string_view::npos;
}

absl::Status BadTraceparent(absl::string_view header, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid traceparent '", header, "': ", why,
      " (expected 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>)"));
}

thread_local TraceContext current_context;

}  // namespace

std::string NewTraceId() { return RandomHex(32); }
std::string NewSpanId() { return RandomHex(16); }

int64_t NowUnixNanos() { return absl::GetCurrentTimeNanos(); }

absl::StatusOr<SpanContext> ParseTraceparent(absl::string_view header) {
  // version(2) - trace id(32) - parent id(16) - flags(2) = 55 characters;
  // a later version may append "-..." fields.
  constexpr size_t kLength = 55;
  if (header.size() < kLength) return BadTraceparent(header, "too short");
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') {
    return BadTraceparent(header, "fields are not separated by '-'");
  }
  const absl::string_view version = header.substr(0, 2);
  const absl::string_view trace_id = header.substr(3, 32);
  const absl::string_view span_id = header.substr(36, 16);
  const absl::string_view flags = header.substr(53, 2);
  if (!IsLowerHex(version) || !IsLowerHex(trace_id) || !IsLowerHex(span_id) ||
      !IsLowerHex(flags)) {
    return BadTraceparent(header, "a field is not lowercase hex");
  }
  if (version == "ff") return BadTraceparent(header, "version ff is invalid");
  if (header.size() > kLength && (version == "00" || header[kLength] != '-')) {
    return BadTraceparent(header, "too long");
  }
  if (AllZero(trace_id)) return BadTraceparent(header, "trace id is all zero");
  if (AllZero(span_id)) return BadTraceparent(header, "parent id is all zero");
  SpanContext context;
  context.trace_id = std::string(trace_id);
  context.span_id = std::string(span_id);
  const int flag_bits =
      (flags[1] >= 'a' ? flags[1] - 'a' + 10 : flags[1] - '0');
  context.sampled = (flag_bits & 1) != 0;
  return context;
}

std::string FormatTraceparent(const SpanContext& context) {
  return absl::StrCat("00-", context.trace_id, "-", context.span_id,
                      context.sampled ? "-01" : "-00");
}

void TraceRecorder::Add(backtest::v1::Span span) {
  absl::MutexLock lock(&mutex_);
  if (trace_.spans_size() >= kMaxSpans &&
      span.status_code() != backtest::v1::SPAN_STATUS_ERROR &&
      !recorded_parents_.contains(span.span_id())) {
    CountDropped();
    return;
  }
  if (!span.parent_span_id().empty()) {
    recorded_parents_.insert(span.parent_span_id());
  }
  *trace_.add_spans() = std::move(span);
  if (trace_.spans_size() >= kMaxSpans) full_ = true;
}

void TraceRecorder::AddAll(backtest::v1::Trace trace) {
  for (backtest::v1::Span& span : *trace.mutable_spans()) {
    Add(std::move(span));
  }
}

backtest::v1::Trace TraceRecorder::Snapshot() const {
  absl::MutexLock lock(&mutex_);
  return trace_;
}

backtest::v1::Trace TraceRecorder::Take() {
  absl::MutexLock lock(&mutex_);
  backtest::v1::Trace taken;
  taken.Swap(&trace_);
  recorded_parents_.clear();
  full_ = false;
  return taken;
}

const TraceContext& CurrentContext() { return current_context; }

ContextScope::ContextScope(TraceContext context)
    : previous_(std::exchange(current_context, std::move(context))) {}

ContextScope::~ContextScope() { current_context = std::move(previous_); }

Span::Span(absl::string_view name, backtest::v1::SpanKind kind)
    : Span(current_context, name, kind) {}

Span::Span(const TraceContext& parent, absl::string_view name,
           backtest::v1::SpanKind kind) {
  if (!parent.recording()) return;
  recorder_ = parent.recorder;
  if (recorder_->full()) {
    deferred_ = true;
    deferred_name_ = name;
    deferred_kind_ = kind;
    span_.set_start_unix_nanos(NowUnixNanos());
    return;
  }
  span_.set_trace_id(parent.parent.trace_id);
  span_.set_span_id(NewSpanId());
  span_.set_parent_span_id(parent.parent.span_id);
  span_.set_name(std::string(name));
  span_.set_service(parent.service);
  span_.set_kind(kind);
  span_.set_start_unix_nanos(NowUnixNanos());
}

backtest::v1::SpanAttribute* Span::AddAttribute(absl::string_view key) {
  backtest::v1::SpanAttribute* attribute = span_.add_attributes();
  attribute->set_key(std::string(key));
  return attribute;
}

void Span::SetAttribute(absl::string_view key, absl::string_view value) {
  if (recording()) AddAttribute(key)->set_string_value(std::string(value));
}

void Span::SetAttribute(absl::string_view key, int64_t value) {
  if (recording()) AddAttribute(key)->set_int_value(value);
}

void Span::SetAttribute(absl::string_view key, double value) {
  if (recording()) AddAttribute(key)->set_double_value(value);
}

void Span::SetAttribute(absl::string_view key, bool value) {
  if (recording()) AddAttribute(key)->set_bool_value(value);
}

void Span::SetError(const absl::Status& status,
                    absl::string_view default_stage) {
  if (recorder_ == nullptr || status.ok()) return;
  if (deferred_) {
    // Failures are always recorded: the span becomes a real one now.
    const TraceContext& parent = current_context;
    if (!parent.recording()) return;
    deferred_ = false;
    span_.set_trace_id(parent.parent.trace_id);
    span_.set_span_id(NewSpanId());
    span_.set_parent_span_id(parent.parent.span_id);
    span_.set_name(std::string(deferred_name_));
    span_.set_service(parent.service);
    span_.set_kind(deferred_kind_);
  }
  const backtest::v1::StageError error = ToStageError(status, default_stage);
  span_.set_status_code(backtest::v1::SPAN_STATUS_ERROR);
  span_.set_status_message(
      absl::StrCat(error.stage(), " ", error.reason(), ": ", error.message()));
  SetAttribute("error.stage", error.stage());
  SetAttribute("error.reason", error.reason());
  if (!error.symbol().empty()) SetAttribute("error.symbol", error.symbol());
  if (!error.bar_time().empty()) {
    SetAttribute("error.bar_time", error.bar_time());
  }
  backtest::v1::SpanEvent* event = span_.add_events();
  event->set_name("exception");
  event->set_time_unix_nanos(NowUnixNanos());
  backtest::v1::SpanAttribute* type = event->add_attributes();
  type->set_key("exception.type");
  type->set_string_value(error.reason());
  backtest::v1::SpanAttribute* message = event->add_attributes();
  message->set_key("exception.message");
  message->set_string_value(error.message());
}

bool Span::failed() const {
  return span_.status_code() == backtest::v1::SPAN_STATUS_ERROR;
}

TraceContext Span::ChildContext() const {
  if (!recording()) return {};
  return {recorder_, {span_.trace_id(), span_.span_id()}, span_.service()};
}

void Span::End() {
  if (recorder_ != nullptr && deferred_) {
    std::exchange(recorder_, nullptr)->CountDropped();
    return;
  }
  if (!recording()) return;
  span_.set_end_unix_nanos(NowUnixNanos());
  TraceRecorder* recorder = std::exchange(recorder_, nullptr);
  recorder->Add(std::move(span_));
}

}  // namespace seed::tracing
