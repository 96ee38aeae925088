// bt montecarlo RUN and bt factors SPEC: analyses that run no backtest. The
// Monte Carlo reads one stored run's trades from the results stage, the
// factor study a spec's bars from the data stage (docs/research.md).
#include <iostream>

#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/montecarlo_view.h"
#include "cli/stage_access.h"

namespace seed::cli {
namespace {

constexpr char kMonteCarloUsage[] =
    "usage: bt montecarlo RUN [--paths N] [--seed S] [--method "
    "reshuffle|bootstrap]\n"
    "                [--basis pnl|return] [--percentiles 5,25,50,75,95] "
    "[--ruin F]\n"
    "                [--json] [--db FILE | --results-addr HOST:PORT]\n"
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
    "  --json           the result as JSON, with histograms and the fan\n";

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

int Fail(const absl::Status& status, int code) {
  PrintError(status);
  return code;
}

}  // namespace

int MonteCarloCommand(const Args& args) {
  absl::StatusOr<Flags> flags =
      ParseOrUsage(args, kMonteCarloFlags, {"json"}, 1, kMonteCarloUsage);
  if (!flags.ok()) return kExitUsage;
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
  return kExitOk;
}

}  // namespace seed::cli
