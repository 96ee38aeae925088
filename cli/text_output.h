// What bt commands print and export, in one shape: tables with columns
// padded to their widest cell, and files written into an export directory
// (created) with errors that name the file. Thread-safe: pure functions,
// apart from the files written.
#ifndef SEED_CLI_TEXT_OUTPUT_H_
#define SEED_CLI_TEXT_OUTPUT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace seed::cli {

// Rows as lines, each column padded to its widest cell, two spaces apart
// (the last column unpadded). Example: {{"a", "bb"}, {"ccc", "d"}} gives
// "a    bb\nccc  d\n".
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// Creates `directory` (and its parents) and writes each (file name, text)
// into it; UNAVAILABLE EXPORT_FAILED naming the directory or file that could
// not be written.
absl::Status WriteExportFiles(
    const std::string& directory,
    const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace seed::cli

#endif  // SEED_CLI_TEXT_OUTPUT_H_
