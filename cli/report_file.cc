#include "cli/report_file.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "services/results/report.h"

namespace seed::cli {

absl::StatusOr<std::string> LoadChartsLibrary() {
  if (const char* path = std::getenv("BT_CHARTS_JS"); path && *path) {
    return results::ReadChartsLibrary(path);
  }
  const char* home = std::getenv("BT_HOME");
  return results::ReadChartsLibrary(
      (std::filesystem::path(home && *home ? home : ".") /
       results::kChartsLibraryPath)
          .lexically_normal()
          .string());
}

absl::Status WritePage(const std::string& path, absl::string_view page,
                       absl::string_view flag) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << page;
  out.close();
  if (out.fail()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write the report to ", path,
                     ": choose a writable path with ", flag, " FILE.html"));
  }
  // Without a path the report lands in the current directory: say where.
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error);
  std::cout << "wrote " << (error ? path : absolute.string()) << "\n";
  return absl::OkStatus();
}

}  // namespace seed::cli
