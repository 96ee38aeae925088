// Where bt finds the chart library its HTML pages inline, and how it writes
// a page: shared by bt report (runs and jobs), bt montecarlo --report and
// bt factors --report. Not thread-safe: reads the environment.
#ifndef SEED_CLI_REPORT_FILE_H_
#define SEED_CLI_REPORT_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seed::cli {

// The chart library's text: from $BT_CHARTS_JS, else the installed file
// under $BT_HOME (which ./bt sets to the repository), else under the
// current directory. results::ReadChartsLibrary's error (naming the path
// and scripts/setup.sh) when it cannot be read.
absl::StatusOr<std::string> LoadChartsLibrary();

// Writes `page` to `path` and prints "wrote ABSOLUTE-PATH" on stdout;
// FAILED_PRECONDITION naming the path and `flag` (the option that chooses
// another) when the file cannot be written.
absl::Status WritePage(const std::string& path, absl::string_view page,
                       absl::string_view flag);

}  // namespace seed::cli

#endif  // SEED_CLI_REPORT_FILE_H_
