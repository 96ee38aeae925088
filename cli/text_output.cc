#include "cli/text_output.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"

namespace seed::cli {

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      absl::StrAppend(
          &line, c == 0 ? "" : "  ", row[c],
          std::string(c + 1 < row.size() ? widths[c] - row[c].size() : 0, ' '));
    }
    out += line + "\n";
  }
  return out;
}

absl::Status WriteExportFiles(
    const std::string& directory,
    const std::vector<std::pair<std::string, std::string>>& files) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return StageFailure(
        absl::StatusCode::kUnavailable, "bt", "EXPORT_FAILED",
        absl::StrCat("cannot create ", directory, ": ", error.message()));
  }
  for (const auto& [name, text] : files) {
    const std::filesystem::path path = std::filesystem::path(directory) / name;
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    if (!out.good()) {
      return StageFailure(absl::StatusCode::kUnavailable, "bt", "EXPORT_FAILED",
                          absl::StrCat("cannot write ", path.string()));
    }
  }
  return absl::OkStatus();
}

}  // namespace seed::cli
