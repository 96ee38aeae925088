#include "common/bounded_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace seed {

std::string Bounded(absl::string_view text, size_t max_bytes) {
  std::string out;
  size_t used = 0;
  for (; used < text.size(); ++used) {
    const unsigned char c = static_cast<unsigned char>(text[used]);
    const bool printable = c >= 0x20 && c < 0x7f && c != '\\';
    const size_t width = printable ? 1 : 4;
    if (out.size() + width > max_bytes) break;
    if (printable) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    }
  }
  if (used < text.size()) {
    absl::StrAppend(&out, " ...(", text.size() - used, " more bytes)");
  }
  return out;
}

}  // namespace seed
