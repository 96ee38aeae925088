// bt report JOB: the HTML page of a stored research job. A sweep shows a
// heatmap of its objective over its first two swept parameters (a bar chart
// with one; with more, each cell the best over the others) and its ranking
// table; a walk-forward its stitched out-of-sample equity with the window
// boundaries, its windows (dates, chosen parameters, objectives, annualized
// returns, efficiency), the overall efficiency and the stitched metrics.
// The page frame is services/results/html_page.h. Thread-safe: pure
// functions, apart from FetchStitchedCurve's calls to the results stage.
#ifndef SEED_CLI_JOB_REPORT_H_
#define SEED_CLI_JOB_REPORT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/research.pb.h"
#include "backtest/v1/run.pb.h"
#include "cli/job_view.h"
#include "services/coordinator/stages.h"

namespace seed::cli {

// The children a report's ranking table lists.
inline constexpr size_t kReportRankingRows = 50;

// A walk-forward's out-of-sample equity, stitched.
struct StitchedCurve {
  std::vector<backtest::v1::EquityPoint> equity;
  // Index into `equity` of each window's first point, and that window's
  // number (WalkForwardWindow.window), in window order.
  std::vector<size_t> boundaries;
  std::vector<int> windows;
};

// The out-of-sample runs the result names (each window's
// out_of_sample_run, in order) fetched with their records and stitched
// (research::StitchRuns, from the first run's initial equity). The results
// stage's errors as they are; FAILED_PRECONDITION when no window has an
// out-of-sample run yet, or Stitch's own.
absl::StatusOr<StitchedCurve> FetchStitchedCurve(
    coordinator::ResultsStage& results,
    const backtest::v1::WalkForwardResult& result);

struct JobReport {
  JobView view;  // the job with every child, best first
  // A walk-forward's curve, or why there is none (shown on the page).
  std::optional<StitchedCurve> stitched;
  std::string stitched_note;
};

// The whole page (see services/results/html_page.h for its frame and
// checks). Every text from the job (names, params, reasons) is escaped.
std::string RenderJobReport(const JobReport& report,
                            absl::string_view charts_library);

}  // namespace seed::cli

#endif  // SEED_CLI_JOB_REPORT_H_
