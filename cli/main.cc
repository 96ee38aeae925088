// bt: the command-line client of the backtester.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cli/commands.h"
#include "common/text.h"
#include "common/version.h"

namespace {

using seed::cli::Args;

struct Command {
  const char* name;
  int (*run)(const Args& args);
  // Every form and every flag of the command, as `bt CMD --help` prints it.
  const char* usage;
};

const Command kCommands[] = {
    {"run", seed::cli::RunCommand,
     R"(  bt run SPEC.yaml [--export DIR] [--db FILE]     run in this process
         [--step-deadline DURATION]               (remote stages: a step's
                                                  longest wait, e.g. 30s)
  bt run SPEC.yaml --remote HOST:PORT              run on a coordinator
         [--results-addr HOST:PORT] [--export DIR]
)"},
    {"runs", seed::cli::RunsCommand,
     R"(  bt runs [--limit N] [--strategy NAME]            list stored runs, newest first
          [--state S] [--symbol SYM]               (--strategy filters by strategy
          [--since DATE] [--until DATE]             name; the service address is
          [--parent JOB]                            --strategy-addr; --parent: a
                                                   research job's children)
)"},
    {"show", seed::cli::ShowCommand,
     R"(  bt show RUN [--export DIR]                       one run (a unique id prefix works)
  bt show RUN --json [--records]                   the run as JSON, for programs
  bt show JOB [--all] [--export DIR] | --json      a research job and its children,
                                                   best first
)"},
    {"trace", seed::cli::TraceCommand,
     R"(  bt trace RUN [--all]                             the run's trace as a tree,
                                                   the failing span marked
  bt trace RUN --otlp FILE | --otlp-endpoint URL   as OTLP JSON, to a file or
                                                   an OpenTelemetry collector
)"},
    {"compare", seed::cli::CompareCommand,
     R"(  bt compare RUN RUN...                            metrics side by side
)"},
    {"diff", seed::cli::DiffCommand,
     R"(  bt diff RUN_A RUN_B                              spec, data, code and results
                                                   that differ (exit 1 if any)
)"},
    {"strategies", seed::cli::StrategiesCommand,
     R"(  bt strategies                                    strategies and their parameters
)"},
    {"data", seed::cli::DataCommand,
     R"(  bt data validate PATH                            data-quality report of CSV files
                                                   (exit 1 if any file is bad)
  bt data synth --out DIR [--symbols N] [--seed S] [--days N]
                                                   a synthetic market
)"},
    {"indicators", seed::cli::IndicatorsCommand,
     R"(  bt indicators --data FILE.csv --out FILE.csv     TTR indicators of one symbol
                 [--symbol SYM]                   (--data DIR --symbol SYM: that
                                                   symbol's file in DIR)
)"},
    {"report", seed::cli::ReportCommand,
     R"(  bt report RUN [--out FILE.html]                  one self-contained HTML report
                                                   (default ./report-RUN.html; the
                                                   path written is printed)
  bt report JOB [--out FILE.html]                  a research job's page: a sweep's
                                                   objective heatmap and ranking, a
                                                   walk-forward's stitched equity
                                                   with its windows
)"},
    {"check", seed::cli::CheckCommand,
     R"(  bt check lookahead SPEC.yaml [--cuts N]          decisions must not change when
                                                   the data is cut (exit 1 if any)
)"},
    {"sweep", seed::cli::SweepCommand,
     R"(  bt sweep SPEC.yaml [--workers N] [--shard I/N]   a parameter sweep: one child run
           [--job ID] [--export DIR]               per point, ranked (docs/research.md)
           [--results-addr HOST:PORT]              (a shared results service; the
                                                   backtests run here)
  bt sweep --resume JOB                            run only what a job is missing
)"},
    {"walkforward", seed::cli::WalkForwardCommand,
     R"(  bt walkforward SPEC.yaml [--workers N] ...       walk-forward analysis: a sweep per
  bt walkforward --resume JOB                      in-sample window, the best point
                                                   run out of sample, stitched
)"},
    {"montecarlo", seed::cli::MonteCarloCommand,
     R"(  bt montecarlo RUN [--paths N] [--seed S]         a run's trades reshuffled or
         [--method reshuffle|bootstrap]            bootstrapped: percentiles of
         [--basis pnl|return] [--json]             final equity and drawdowns,
         [--percentiles 5,50,95] [--ruin F]        probability of ruin
         [--report FILE.html]                      (--report: also a page with the
                                                   fan chart and histograms)
)"},
    {"factors", seed::cli::FactorsCommand,
     R"(  bt factors SPEC.yaml [--horizon H]               rank IC of factors across the
         [--quantiles Q] [--json]                  spec's symbols (all built-ins
         [--export DIR] [--report FILE.html]       without a factors block;
                                                   --report: also a page with IC
                                                   bars and IC series)
)"},
    {"serve", seed::cli::ServeCommand,
     R"(  bt serve [--config FILE] [--db FILE]             every service as its own process
           [--only NAME] [--otlp-endpoint URL]     (--only: one service: data,
           [--step-deadline DURATION]              strategy, portfolio, execution,
           [--data-addr HOST:PORT ...]             results or coordinator)
)"},
};

constexpr char kHeading[] = "bt - event-driven backtests on gRPC services\n";

constexpr char kCommonFlags[] = R"(
Results go to --db FILE, else $BT_RESULTS_DB, else
~/.local/share/seed-backtester/results.db. With --config FILE (a services
file, e.g. deploy/services.yaml) or --data-addr, --strategy-addr,
--portfolio-addr, --execution-addr, --results-addr, --coordinator-addr
HOST:PORT, commands use running services instead (the older --data=ADDR
... spellings still work, except --strategy in bt runs, which filters).
Exit codes: 0 success, 1 a run or check that failed, 2 bad usage, an
invalid spec or an unknown run. bt --version prints the engine version and
the source revision.
)";

void PrintUsage(std::ostream& out) {
  out << kHeading << "\nusage:\n";
  for (const Command& command : kCommands) out << command.usage;
  out << kCommonFlags;
}

// Levenshtein distance, for "did you mean".
size_t Distance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool IsHelp(absl::string_view arg) {
  return arg == "--help" || arg == "-h" || arg == "help";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace seed::cli;
  const Args all(argv + 1, argv + argc);
  if (all.empty()) {
    PrintUsage(std::cerr);
    return kExitUsage;
  }
  const std::string& command = all[0];
  if (IsHelp(command)) {
    PrintUsage(std::cout);
    return kExitOk;
  }
  if (command == "--version" || command == "version") {
    std::cout << "bt " << seed::EngineVersion() << "\n";
    return kExitOk;
  }
  const Args args(all.begin() + 1, all.end());
  for (const Command& known : kCommands) {
    if (command != known.name) continue;
    // --help or -h anywhere: the command's usage, not a run.
    if (std::any_of(args.begin(), args.end(), [](const std::string& arg) {
          return arg == "--help" || arg == "-h";
        })) {
      std::cout << "usage:\n" << known.usage << kCommonFlags;
      return kExitOk;
    }
    return known.run(args);
  }
  std::cerr << "bt: unknown command '" << seed::EscapeForTerminal(command)
            << "'";
  const Command* closest = nullptr;
  size_t best = 3;  // at most two edits away
  for (const Command& known : kCommands) {
    const size_t distance = Distance(command, known.name);
    if (distance < best) {
      best = distance;
      closest = &known;
    }
  }
  if (closest != nullptr)
    std::cerr << "; did you mean " << closest->name << "?";
  std::cerr << "\n\n";
  PrintUsage(std::cerr);
  return kExitUsage;
}
