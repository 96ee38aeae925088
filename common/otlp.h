// A run's trace in the OpenTelemetry protocol's JSON encoding (OTLP/JSON,
// opentelemetry-proto ExportTraceServiceRequest), and its export to a
// collector over OTLP/HTTP. Thread-safe: no shared state.
#ifndef SEED_COMMON_OTLP_H_
#define SEED_COMMON_OTLP_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/trace.pb.h"

namespace seed::otlp {

// The instrumentation scope every span is reported under.
inline constexpr char kScopeName[] = "seed-backtester";

// {"resourceSpans":[...]} with one resourceSpans per service (resource
// attribute service.name), one scopeSpans each. As the OTLP/JSON mapping
// requires: lowerCamelCase keys, trace and span ids as hex strings, kind and
// status code as integers, unix-nano times as decimal strings, attribute
// values as {"stringValue"|"intValue" (a decimal string)|"doubleValue"|
// "boolValue"}. Fields at their default (empty parent, no attributes) are
// left out, which OTLP receivers read as the default.
std::string TraceToJson(const backtest::v1::Trace& trace,
                        absl::string_view engine_version);

// POSTs `json` to an OTLP/HTTP endpoint with Content-Type application/json.
// `endpoint` is http://HOST:PORT[/PATH]; without a path (or "/") the signal
// path /v1/traces is used, as OTEL_EXPORTER_OTLP_ENDPOINT does. Fails
// UNAVAILABLE when the collector cannot be reached or answers other than
// 2xx (the status line in the message), INVALID_ARGUMENT for another
// scheme or a malformed URL. Waits at most `timeout_seconds` per step.
absl::Status PostJson(absl::string_view endpoint, const std::string& json,
                      int timeout_seconds = 10);

}  // namespace seed::otlp

#endif  // SEED_COMMON_OTLP_H_
