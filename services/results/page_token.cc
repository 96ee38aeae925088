#include "services/results/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/stage_error.h"

namespace seed::results {
namespace {

// Tokens start with it, so a later layout can be told apart.
constexpr absl::string_view kVersion = "1";
// Hex digits of the query's SHA-256 a token keeps: 64 bits tell queries
// apart well enough for a check against mistakes.
constexpr size_t kQueryDigits = 16;

}  // namespace

absl::Status InvalidPageToken(absl::string_view why) {
  return InvalidFields(
      "results", "INVALID_PAGE_TOKEN",
      {{"page_token", absl::StrCat(why,
                                   "; give the next_page_token of the "
                                   "previous page of the same call, with "
                                   "the same filters, or none to start "
                                   "again")}});
}

std::string EncodePageToken(absl::string_view query,
                            const std::vector<std::string>& position) {
  // The query's digest, then each part as <length>:<bytes>.
  std::string text =
      absl::StrCat(kVersion, Sha256Hex(query).substr(0, kQueryDigits));
  for (const std::string& part : position) {
    absl::StrAppend(&text, part.size(), ":", part);
  }
  return absl::WebSafeBase64Escape(text);
}

absl::StatusOr<std::vector<std::string>> DecodePageToken(
    absl::string_view token, absl::string_view query, size_t parts) {
  std::string text;
  if (!absl::WebSafeBase64Unescape(token, &text) ||
      text.size() < kVersion.size() + kQueryDigits ||
      absl::string_view(text).substr(0, kVersion.size()) != kVersion) {
    return InvalidPageToken("is not a page token of this service");
  }
  absl::string_view rest(text);
  rest.remove_prefix(kVersion.size());
  if (rest.substr(0, kQueryDigits) !=
      Sha256Hex(query).substr(0, kQueryDigits)) {
    return InvalidPageToken("belongs to another call or other filters");
  }
  rest.remove_prefix(kQueryDigits);
  std::vector<std::string> position;
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    size_t length = 0;
    if (colon == absl::string_view::npos ||
        !absl::SimpleAtoi(rest.substr(0, colon), &length) ||
        length > rest.size() - colon - 1) {
      return InvalidPageToken("is damaged");
    }
    position.emplace_back(rest.substr(colon + 1, length));
    rest.remove_prefix(colon + 1 + length);
  }
  if (position.size() != parts) return InvalidPageToken("is damaged");
  return position;
}

std::string EncodePageToken(absl::string_view query,
                            const std::vector<int64_t>& position) {
  std::vector<std::string> parts;
  for (const int64_t value : position) parts.push_back(absl::StrCat(value));
  return EncodePageToken(query, parts);
}

absl::StatusOr<std::vector<int64_t>> DecodeIntPageToken(absl::string_view token,
                                                        absl::string_view query,
                                                        size_t parts) {
  absl::StatusOr<std::vector<std::string>> text =
      DecodePageToken(token, query, parts);
  if (!text.ok()) return text.status();
  std::vector<int64_t> position;
  for (const std::string& part : *text) {
    if (!absl::SimpleAtoi(part, &position.emplace_back())) {
      return InvalidPageToken("is damaged");
    }
  }
  return position;
}

}  // namespace seed::results
