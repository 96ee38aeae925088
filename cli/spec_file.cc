#include "cli/spec_file.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "common/regular_file.h"

namespace seed::cli {

absl::StatusOr<std::string> ReadSpecFile(const std::string& path) {
  absl::StatusOr<std::string> text =
      ReadRegularFile(path, limits::kMaxSpecBytes, "spec file");
  if (!text.ok()) return text.status();
  if (absl::StripAsciiWhitespace(*text).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spec file ", path,
        " is empty; a spec has data, strategy, portfolio and execution "
        "sections (docs/spec.md)"));
  }
  return text;
}

}  // namespace seed::cli
