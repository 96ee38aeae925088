// How bt shows things to a person: the summary table of a run, run lists,
// run details, data-quality reports and a progress bar. Pure formatting of
// protobuf messages; the progress bar writes to a terminal. Not thread-safe.
#ifndef SEED_CLI_REPORT_H_
#define SEED_CLI_REPORT_H_

#include <string>

#include "absl/time/time.h"
#include "backtest/v1/coordinator.pb.h"
#include "backtest/v1/data.pb.h"
#include "backtest/v1/results.pb.h"

namespace seed::cli {

namespace v1 = ::backtest::v1;

// Return, CAGR, Sharpe, max drawdown, trades, win rate, profit factor, final
// equity; for a failed run the stage error first.
std::string FormatSummary(const v1::RunSummary& run);

std::string FormatRunList(const v1::ListRunsResponse& runs);

// One line: symbol, side, entry and exit (or "(open)"), quantity, net P&L
// and exit reason; in a run of several strategies, "[id]" of the trade's.
std::string FormatTrade(const v1::Trade& trade);

// Summary, more metrics, each strategy's part in a run of several,
// fingerprint, trade list and rejected orders of one run.
std::string FormatRunDetails(const v1::GetRunResponse& run);

std::string FormatQualityReport(const v1::DataQualityReport& report);

// A one-line progress bar on stderr, shown only on a terminal and only once a
// run has taken longer than a second.
class ProgressBar {
 public:
  ProgressBar();
  void Update(const v1::RunProgress& progress);
  // Clears the line if anything was drawn.
  void Finish();

 private:
  bool enabled_;
  bool drawn_ = false;
  absl::Time started_;
};

}  // namespace seed::cli

#endif  // SEED_CLI_REPORT_H_
