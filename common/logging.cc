#include "common/logging.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/json_text.h"
#include "common/tracing.h"

namespace seed {
namespace {

// BT_JSON_LOGS=1 turns them on from the start.
bool JsonLogsFromEnvironment() {
  const char* value = std::getenv("BT_JSON_LOGS");
  return value != nullptr && absl::string_view(value) == "1";
}

std::atomic<bool> json_logs_enabled{JsonLogsFromEnvironment()};

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

}  // namespace

void EnableJsonLogs(bool enabled) { json_logs_enabled = enabled; }
bool JsonLogsEnabled() { return json_logs_enabled; }

std::string FormatLogLine(LogLevel level, absl::string_view message,
                          const LogFields& fields) {
  const tracing::TraceContext& context = tracing::CurrentContext();
  std::string line = absl::StrCat(
      "{\"time\":",
      JsonQuote(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(),
                                 absl::UTCTimeZone())),
      ",\"level\":", JsonQuote(LevelName(level)),
      ",\"message\":", JsonQuote(message),
      ",\"run_id\":", JsonQuote(fields.run_id),
      ",\"trace_id\":", JsonQuote(context.parent.trace_id),
      ",\"span_id\":", JsonQuote(context.parent.span_id));
  for (const auto& [key, value] : fields.extra) {
    absl::StrAppend(&line, ",", JsonQuote(key), ":", JsonQuote(value));
  }
  line += "}";
  return line;
}

void LogEvent(LogLevel level, absl::string_view message,
              const LogFields& fields) {
  if (!json_logs_enabled) return;
  const std::string line = FormatLogLine(level, message, fields) + "\n";
  static absl::Mutex mutex(absl::kConstInit);
  absl::MutexLock lock(&mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace seed
