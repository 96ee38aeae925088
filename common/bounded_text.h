// Quoting untrusted text (a CSV cell, a header line, a path or method name
// from a request) into errors, logs, the results database and traces without
// letting it grow them or carry control characters: at most a fixed number
// of bytes, non-printable bytes escaped. Thread-safe: pure functions.
#ifndef SEED_COMMON_BOUNDED_TEXT_H_
#define SEED_COMMON_BOUNDED_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace seed {

// How much of an untrusted value a message quotes: a CSV row or a path fits.
inline constexpr size_t kMaxQuotedBytes = 200;

// `text` with bytes outside printable ASCII written as \xNN, cut after
// `max_bytes` of output with " ...(N more bytes)" saying how much was left.
// Example: Bounded("ab\ncd", 200) == "ab\\x0acd".
std::string Bounded(absl::string_view text, size_t max_bytes = kMaxQuotedBytes);

}  // namespace seed

#endif  // SEED_COMMON_BOUNDED_TEXT_H_
