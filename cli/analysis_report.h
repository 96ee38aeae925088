// The HTML pages of the analyses bt computes without storing a job:
// bt montecarlo RUN --report (the fan of equity percentiles by trade with
// the run's own path on top, histograms of final equity and max drawdown)
// and bt factors SPEC --report (mean IC per factor with its t-statistic,
// unreliable ones greyed, and each factor's IC over time). The page frame
// is services/results/html_page.h. Thread-safe: pure functions.
#ifndef SEED_CLI_ANALYSIS_REPORT_H_
#define SEED_CLI_ANALYSIS_REPORT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "cli/factor_study.h"
#include "cli/montecarlo_view.h"

namespace seed::cli {

std::string RenderMonteCarloReport(const MonteCarloReport& report,
                                   absl::string_view charts_library);

std::string RenderFactorReport(const FactorStudy& study,
                               absl::string_view charts_library);

}  // namespace seed::cli

#endif  // SEED_CLI_ANALYSIS_REPORT_H_
