// Reading a spec file for the commands that take one (bt run, bt check).
#ifndef SEED_CLI_SPEC_FILE_H_
#define SEED_CLI_SPEC_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace seed::cli {

// The file's text; NOT_FOUND naming the path when it cannot be read.
absl::StatusOr<std::string> ReadSpecFile(const std::string& path);

}  // namespace seed::cli

#endif  // SEED_CLI_SPEC_FILE_H_
