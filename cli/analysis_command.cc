// bt montecarlo RUN and bt factors SPEC: analyses that run no backtest. The
// Monte Carlo reads one stored run's trades from the results stage, the
// factor study a spec's bars from the data stage (docs/research.md).
#include <filesystem>
#include <iostream>

#include "absl/strings/str_format.h"
#include "cli/analysis_report.h"
#include "cli/commands.h"
#include "cli/factor_study.h"
#include "cli/montecarlo_view.h"
#include "cli/report_file.h"
#include "cli/spec_file.h"
#include "cli/stage_access.h"
#include "services/coordinator/spec.h"

namespace seed::cli {
namespace {

namespace v1 = ::backtest::v1;

constexpr char kMonteCarloUsage[] =
    "usage: bt montecarlo RUN [--paths N] [--seed S] [--method "
    "reshuffle|bootstrap]\n"
    "                [--basis pnl|return] [--percentiles 5,25,50,75,95] "
    "[--ruin F]\n"
    "                [--json | --report FILE.html] [--db FILE | --results-addr "
    "HOST:PORT]\n"
    "  --paths N        resampled paths, 1..100000 (default 1000)\n"
    "  --seed S         the random stream's seed (default 0)\n"
    "  --method M       reshuffle: the trades in another order (default);\n"
    "                   bootstrap: drawn again with replacement\n"
    "  --basis B        pnl: each trade adds its P&L (fixed size, default);\n"
    "                   return: each compounds its return (sizing by "
    "equity)\n"
    "  --percentiles P  levels in [0, 100] (default 5,25,50,75,95)\n"
    "  --ruin F         ruined at equity <= F x initial, F in [0, 1] "
    "(default 0.5)\n"
    "  --json           the result as JSON, with histograms and the fan\n"
    "  --report F       also write F, a page with the fan chart and "
    "histograms\n";

// Parses the command's flags (its own and the stages'), or prints the usage.
absl::StatusOr<Flags> ParseOrUsage(const Args& args,
                                   std::set<std::string> valued,
                                   const std::set<std::string>& switches,
                                   size_t positionals, const char* usage) {
  valued.insert(kStageFlags.begin(), kStageFlags.end());
  absl::StatusOr<Flags> flags = Flags::Parse(args, valued, switches);
  if (!flags.ok() || flags->positional().size() != positionals) {
    if (!flags.ok()) PrintError(flags.status());
    std::cerr << usage;
    return absl::InvalidArgumentError("usage");
  }
  return flags;
}

constexpr char kFactorsUsage[] =
    "usage: bt factors SPEC.yaml [--horizon H] [--quantiles Q]\n"
    "                [--json | [--export DIR] [--report FILE.html]]\n"
    "                [--data-addr HOST:PORT]\n"
    "  SPEC.yaml      its data section gives the universe (at least 3 "
    "symbols),\n"
    "                 its factors block what to evaluate (every built-in "
    "without one)\n"
    "  --horizon H    forward-return bars and window length, >= 1 (default: "
    "the\n"
    "                 spec's factors.horizon, else 21)\n"
    "  --quantiles Q  groups by factor value, >= 2 (default: the spec's, else "
    "5)\n"
    "  --json         the study as JSON, with each factor's IC series\n"
    "  --export DIR   also write DIR/factors.csv and DIR/ic_series.csv\n"
    "  --report F     also write F, a page with IC bars and IC series\n";

// The chart library, before any work: without it there is no page to write.
absl::StatusOr<std::string> LibraryIfReport(const Flags& flags) {
  if (!flags.Has("report")) return std::string();
  return LoadChartsLibrary();
}

}  // namespace

int MonteCarloCommand(const Args& args) {
  std::set<std::string> valued = kMonteCarloFlags;
  valued.insert("report");
  absl::StatusOr<Flags> flags =
      ParseOrUsage(args, valued, {"json"}, 1, kMonteCarloUsage);
  if (!flags.ok()) return kExitUsage;
  if (flags->Has("json") && flags->Has("report")) {
    std::cerr << kMonteCarloUsage;
    return kExitUsage;
  }
  const absl::StatusOr<std::string> library = LibraryIfReport(*flags);
  if (!library.ok()) return Fail(library.status(), kExitFailed);
  absl::StatusOr<research::MonteCarloSpec> spec =
      MonteCarloSpecFromFlags(*flags);
  if (!spec.ok()) return Fail(spec.status(), kExitUsage);
  absl::StatusOr<StageOptions> options = ReadStageOptions(*flags);
  if (!options.ok()) return Fail(options.status(), kExitUsage);
  absl::StatusOr<coordinator::Stages> stages = OpenStages(*options);
  if (!stages.ok()) return Fail(stages.status(), kExitFailed);
  const std::string& run_id = flags->positional()[0];
  absl::StatusOr<MonteCarloReport> report =
      AnalyseRun(*stages->results, run_id, *spec);
  if (!report.ok()) {
    const absl::Status& status = report.status();
    // A lookup failure exits as bt show's; a run that cannot be analysed
    // (no closed trades, not succeeded) as a failed check.
    return Fail(status, absl::IsFailedPrecondition(status)
                            ? kExitFailed
                            : RunLookupExitCode(status));
  }
  std::cout << (flags->Has("json") ? MonteCarloJson(*report) + "\n"
                                   : FormatMonteCarlo(*report));
  if (const auto path = flags->Get("report")) {
    const absl::Status written =
        WritePage(*path, RenderMonteCarloReport(*report, *library), "--report");
    if (!written.ok()) return Fail(written, kExitFailed);
  }
  return kExitOk;
}

int FactorsCommand(const Args& args) {
  absl::StatusOr<Flags> flags =
      ParseOrUsage(args, {"horizon", "quantiles", "export", "report"}, {"json"},
                   1, kFactorsUsage);
  if (!flags.ok()) return kExitUsage;
  if (flags->Has("json") && (flags->Has("export") || flags->Has("report"))) {
    std::cerr << kFactorsUsage;
    return kExitUsage;
  }
  const absl::StatusOr<std::string> library = LibraryIfReport(*flags);
  if (!library.ok()) return Fail(library.status(), kExitFailed);
  absl::StatusOr<std::string> text = ReadSpecFile(flags->positional()[0]);
  if (!text.ok()) return Fail(text.status(), kExitUsage);
  absl::StatusOr<v1::BacktestSpec> spec =
      coordinator::ParseSpec(*text, std::filesystem::current_path().string());
  if (!spec.ok()) return Fail(spec.status(), kExitUsage);
  absl::StatusOr<research::IcOptions> options =
      IcOptionsFor(spec->factors(), *flags);
  if (!options.ok()) return Fail(options.status(), kExitUsage);
  absl::StatusOr<std::vector<research::Factor>> factors =
      FactorsFor(spec->factors());
  if (!factors.ok()) return Fail(factors.status(), kExitUsage);
  absl::StatusOr<StageOptions> stage_options = ReadStageOptions(*flags);
  if (!stage_options.ok()) return Fail(stage_options.status(), kExitUsage);
  absl::StatusOr<coordinator::Stages> stages = OpenStages(*stage_options);
  if (!stages.ok()) return Fail(stages.status(), kExitFailed);
  absl::StatusOr<FactorStudy> study =
      RunFactorStudy(*stages->data, spec->data(), *factors, *options);
  // Too few symbols or bad options are the spec's fault; unreadable data is
  // a failure.
  if (!study.ok()) {
    return Fail(study.status(), absl::IsInvalidArgument(study.status())
                                    ? kExitUsage
                                    : kExitFailed);
  }
  if (flags->Has("json")) {
    std::cout << FactorStudyJson(*study) << "\n";
    return kExitOk;
  }
  std::cout << FormatFactorStudy(*study);
  if (const auto directory = flags->Get("export")) {
    const absl::Status status = ExportFactorStudy(*study, *directory);
    if (!status.ok()) return Fail(status, kExitFailed);
    std::cout << "exported to " << *directory << "\n";
  }
  if (const auto path = flags->Get("report")) {
    const absl::Status written =
        WritePage(*path, RenderFactorReport(*study, *library), "--report");
    if (!written.ok()) return Fail(written, kExitFailed);
  }
  return kExitOk;
}

}  // namespace seed::cli
