// Text for JSON documents written by hand (OTLP export, JSON log lines):
// a quoted, escaped string. Thread-safe: a pure function.
#ifndef SEED_COMMON_JSON_TEXT_H_
#define SEED_COMMON_JSON_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace seed {

// `text` as a JSON string literal: quotes, backslashes and control characters
// escaped (RFC 8259); other bytes, UTF-8 included, kept as they are.
std::string JsonQuote(absl::string_view text);

}  // namespace seed

#endif  // SEED_COMMON_JSON_TEXT_H_
