// bt factors SPEC: a factor study (research/factor_ic.h) of a spec's
// universe. The spec's bars are read through the data stage as a run would
// read them, aligned into one panel, each factor of the spec's `factors:`
// block (every built-in without one) computed on it and its rank IC against
// forward returns evaluated; then shown as a table, as JSON, or exported as
// CSV (docs/research.md, "bt factors"). Thread-safe: pure functions, apart
// from RunFactorStudy's calls to the data stage and ExportFactorStudy's
// files.
#ifndef SEED_CLI_FACTOR_STUDY_H_
#define SEED_CLI_FACTOR_STUDY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "backtest/v1/market.pb.h"
#include "backtest/v1/spec.pb.h"
#include "cli/flags.h"
#include "research/factor_ic.h"
#include "research/factors.h"
#include "research/panel.h"
#include "services/coordinator/stages.h"

namespace seed::cli {

// The study's options: the spec's factors block (0 meaning the library's
// default), then --horizon H (a whole number >= 1) and --quantiles Q (>= 2)
// over it. INVALID_ARGUMENT INVALID_FLAG naming a bad flag and its range.
absl::StatusOr<research::IcOptions> IcOptionsFor(
    const backtest::v1::FactorStudySpec& study, const Flags& flags);

// The factors `study.evaluate` lists, or every built-in with its defaults
// when it lists none; MakeFactor's errors on "factors.evaluate[i]".
absl::StatusOr<std::vector<research::Factor>> FactorsFor(
    const backtest::v1::FactorStudySpec& study);

// The data stage's series as the panel's input, symbol by symbol.
std::vector<research::SymbolBars> ToSymbolBars(
    absl::Span<const backtest::v1::BarSeries> series);

struct FactorStudy {
  std::vector<std::string> symbols;
  int64_t times = 0;  // the panel's clock
  research::IcOptions options;
  std::vector<research::FactorIc> factors;  // in the order asked
};

// The study of `factors` on the bars of `data`: the data stage's errors as
// they are, AlignPanel's and EvaluateFactors' (INVALID_ARGUMENT: too few
// symbols, bad options).
absl::StatusOr<FactorStudy> RunFactorStudy(
    coordinator::DataStage& stage, const backtest::v1::DataSpec& data,
    absl::Span<const research::Factor> factors,
    const research::IcOptions& options);

// "factor study of N symbols (A, B, C) over T dates: rank IC against
// H-bar forward returns, ...": FormatFactorStudy's first line.
std::string FactorStudyHeading(const FactorStudy& study);

// One row per factor under a heading row: factor, windows, mean IC,
// t-stat, positive share, mean top-bottom spread, and "ok" or
// "UNRELIABLE (N windows < MIN)".
std::vector<std::vector<std::string>> FactorRows(const FactorStudy& study);

// A heading (symbols, dates, horizon) and one block per factor: windows,
// mean IC, t-statistic, positive share, mean top-bottom spread, the
// quantiles' mean forward returns, and "UNRELIABLE (N windows < MIN)" when
// flagged.
std::string FormatFactorStudy(const FactorStudy& study);

// The study as one JSON object: symbols, options, and per factor its
// summary and IC series.
std::string FactorStudyJson(const FactorStudy& study);

// factors.csv: one row per factor (factor, windows, skipped, mean_ic,
// ic_std_dev, t_stat, positive_share, mean_spread, unreliable, then q1..qQ
// the quantiles' mean forward returns, bottom first); empty cells where
// undefined.
std::string FactorsCsv(const FactorStudy& study);

// ic_series.csv: factor, date, ic, symbols; one row per factor and date with
// an IC.
std::string IcSeriesCsv(const FactorStudy& study);

// Writes factors.csv and ic_series.csv into `directory` (created).
absl::Status ExportFactorStudy(const FactorStudy& study,
                               const std::string& directory);

}  // namespace seed::cli

#endif  // SEED_CLI_FACTOR_STUDY_H_
