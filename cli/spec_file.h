// Reading a spec file for the commands that take one (bt run, bt check).
#ifndef SEED_CLI_SPEC_FILE_H_
#define SEED_CLI_SPEC_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace seed::cli {

// The file's text. Fails naming the path when it does not exist (NOT_FOUND),
// is not a regular file (a directory, a FIFO: FAILED_PRECONDITION, without
// blocking), is larger than limits::kMaxSpecBytes (OUT_OF_RANGE) or is
// empty (INVALID_ARGUMENT). A binary file is refused by ParseSpec (not
// UTF-8).
absl::StatusOr<std::string> ReadSpecFile(const std::string& path);

}  // namespace seed::cli

#endif  // SEED_CLI_SPEC_FILE_H_
