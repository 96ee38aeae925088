#include "common/csv_text.h"

#include <charconv>
#include <cmath>
#include <system_error>

#include "absl/strings/str_format.h"

namespace seed {

std::string PlainDecimal(double value) {
  if (!std::isfinite(value)) return absl::StrFormat("%g", value);
  // Longest fixed form of a double: 309 integer digits, or "0." and 324
  // fraction digits for the smallest subnormal.
  char buffer[400];
  const std::to_chars_result result = std::to_chars(
      buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  if (result.ec != std::errc()) return absl::StrFormat("%.17g", value);
  return std::string(buffer, result.ptr);
}

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) {
    return std::string(text);
  }
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace seed
