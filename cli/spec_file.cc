#include "cli/spec_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace seed::cli {

absl::StatusOr<std::string> ReadSpecFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("cannot read spec file ", path,
                     ": it does not exist or is not readable"));
  }
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace seed::cli
