// bt montecarlo RUN: the Monte Carlo analysis (research/monte_carlo.h) of
// one stored run's closed trades, with its options read from bt's flags, and
// the result as a table for a person or as JSON for programs
// (docs/research.md, "bt montecarlo"). Thread-safe: pure functions, apart
// from AnalyseRun's calls to the results stage.
#ifndef SEED_CLI_MONTECARLO_VIEW_H_
#define SEED_CLI_MONTECARLO_VIEW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/flags.h"
#include "research/monte_carlo.h"
#include "services/coordinator/stages.h"

namespace seed::cli {

// The flags MonteCarloSpecFromFlags reads.
inline const std::set<std::string> kMonteCarloFlags = {
    "paths", "seed", "method", "basis", "percentiles", "ruin"};

// The analysis the flags ask for: --paths N (1..100000), --seed S (a whole
// number >= 0), --method reshuffle|bootstrap, --basis pnl|return,
// --percentiles P,P,... (each in [0, 100]), --ruin F (in [0, 1]); what is
// not given keeps research::MonteCarloSpec's default. INVALID_ARGUMENT
// INVALID_FLAG listing every flag that is wrong and what it allows.
absl::StatusOr<research::MonteCarloSpec> MonteCarloSpecFromFlags(
    const Flags& flags);

struct MonteCarloReport {
  std::string run_id;  // the full id
  double initial_equity = 0;
  int64_t trades = 0;  // closed trades analysed
  research::MonteCarloSpec spec;
  research::MonteCarloResult result;
  // The run's own path: the equity after k closed trades, k = 0..trades.
  std::vector<double> original_equity;
};

// The run (id or unique prefix) fetched with every trade, its closed trades
// analysed from its initial equity. Errors: INVALID_RUN_ID (CheckRunId) and
// the results stage's own (NOT_FOUND for an unknown run) as they are;
// FAILED_PRECONDITION RUN_NOT_SUCCEEDED for a run that did not succeed (its
// trades stop where it failed); FAILED_PRECONDITION NO_CLOSED_TRADES; and
// RunMonteCarlo's errors.
absl::StatusOr<MonteCarloReport> AnalyseRun(
    coordinator::ResultsStage& results, const std::string& run_id,
    const research::MonteCarloSpec& spec);

// "Monte Carlo of run R: N closed trades from E, P reshuffle paths (pnl
// basis, seed S)": FormatMonteCarlo's first line.
std::string MonteCarloHeading(const MonteCarloReport& report);

// The table FormatMonteCarlo prints, heading row first: final equity, max
// drawdown and longest drawdown, the original order's then each
// percentile's.
std::vector<std::vector<std::string>> MonteCarloRows(
    const MonteCarloReport& report);

// A heading line, then a table with the original order's value and each
// percentile of final equity, max drawdown and longest drawdown, then the
// probabilities of ruin and of ending below the initial equity.
std::string FormatMonteCarlo(const MonteCarloReport& report);

// The report as one JSON object: run_id, trades, initial_equity, spec,
// original, final_equity / max_drawdown / longest_drawdown (percentiles,
// mean, min, max, histogram), probability_of_ruin,
// probability_below_initial, fan.
std::string MonteCarloJson(const MonteCarloReport& report);

}  // namespace seed::cli

#endif  // SEED_CLI_MONTECARLO_VIEW_H_
