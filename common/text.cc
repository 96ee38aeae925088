#include "common/text.h"

#include <cstdint>

#include "absl/strings/str_format.h"

namespace seed {
namespace {

// The length of the well-formed UTF-8 sequence at text[i], or 0 (RFC 3629,
// table 3-7 of the Unicode standard).
size_t SequenceLength(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[i + k]); };
  const uint8_t lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint8_t low = 0x80, high = 0xBF;  // range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(k) < 0x80 || byte(k) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

std::optional<size_t> FirstInvalidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceLength(text, i);
    if (length == 0) return i;
    i += length;
  }
  return std::nullopt;
}

std::string EscapeForTerminal(absl::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceLength(text, i);
    const uint8_t lead = static_cast<uint8_t>(text[i]);
    if (length == 1 && lead == '\t') {
      out += "\\t";
    } else if (length == 1 && lead == '\n') {
      out += keep_newlines ? "\n" : "\\n";
    } else if (length == 0 || (length == 1 && (lead < 0x20 || lead == 0x7F)) ||
               // C1 controls (U+0080..U+009F) are C2 80..C2 9F.
               (length == 2 && lead == 0xC2 &&
                static_cast<uint8_t>(text[i + 1]) < 0xA0)) {
      const size_t bytes = length == 0 ? 1 : length;
      for (size_t k = 0; k < bytes; ++k) {
        absl::StrAppendFormat(&out, "\\x%02X",
                              static_cast<uint8_t>(text[i + k]));
      }
      i += bytes;
      continue;
    } else {
      out.append(text.data() + i, length);
    }
    i += length;
  }
  return out;
}

std::string DescribeInvalidByte(absl::string_view text, size_t offset) {
  return absl::StrFormat("byte 0x%02X at byte offset %d is not valid UTF-8",
                         static_cast<uint8_t>(text[offset]), offset);
}

}  // namespace seed
