// Structured logs of the services and the coordinator: one JSON object per
// line on stderr for each event (run start and end, a stage failure, a
// service starting or stopping), carrying the current trace's trace_id and
// span_id so logs and traces join. Off until EnableJsonLogs(): a command such
// as `bt run` keeps its stderr for people. On from the start in a process
// whose environment has BT_JSON_LOGS=1 (`bt serve` sets it for its service
// processes, whose stderr is its own JSON stream). Thread-safe: lines never
// mix.
#ifndef SEED_COMMON_LOGGING_H_
#define SEED_COMMON_LOGGING_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace seed {

enum class LogLevel { kInfo, kWarning, kError };

struct LogFields {
  std::string run_id;
  // More "key": "value" pairs, in this order (e.g. {"stage", "data"}).
  std::vector<std::pair<std::string, std::string>> extra;
};

// Turns JSON log lines on (servers call it at start) or off.
void EnableJsonLogs(bool enabled);
bool JsonLogsEnabled();

// The line LogEvent writes, without the newline:
// {"time":"2026-11-23T08:10:07.123456Z","level":"INFO","message":"...",
//  "run_id":"...","trace_id":"...","span_id":"...", extra...}
// run_id, trace_id and span_id are empty strings when unknown.
std::string FormatLogLine(LogLevel level, absl::string_view message,
                          const LogFields& fields);

// Writes FormatLogLine(...) and a newline to stderr when enabled.
void LogEvent(LogLevel level, absl::string_view message,
              const LogFields& fields = {});

}  // namespace seed

#endif  // SEED_COMMON_LOGGING_H_
