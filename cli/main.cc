// bt: the command-line client of the backtester.
#include <iostream>
#include <string>

#include "cli/commands.h"

namespace {

constexpr char kUsage[] = R"(bt - event-driven backtests on gRPC services

usage:
  bt run SPEC.yaml [--export DIR] [--db FILE]     run in this process
  bt run SPEC.yaml --remote HOST:PORT              run on a coordinator
  bt runs [--limit N] [--strategy S] [--state S]   list stored runs
          [--symbol SYM] [--since DATE] [--until DATE]
  bt show RUN [--export DIR]                       one run (a unique id prefix works)
  bt show RUN --json [--records]                   the run as JSON, for programs
  bt trace RUN [--all]                             the run's trace as a tree,
                                                   the failing span marked
  bt trace RUN --otlp FILE | --otlp-endpoint URL   as OTLP JSON, to a file or
                                                   an OpenTelemetry collector
  bt compare RUN RUN...                            metrics side by side
  bt diff RUN_A RUN_B                              spec, data, code and results
                                                   that differ (exit 1 if any)
  bt strategies                                    strategies and their parameters
  bt data validate PATH                            data-quality report of CSV files
  bt data synth --out DIR [--symbols N] [--seed S] [--days N]
  bt indicators --data FILE.csv --out FILE.csv     TTR indicators of one symbol
  bt report RUN [--out FILE.html]                  one self-contained HTML report
  bt serve [--config FILE]                         every service as its own process

Results go to --db FILE, else $BT_RESULTS_DB, else
~/.local/share/seed-backtester/results.db. With --config FILE or
--data=ADDR, --results=ADDR ... commands use running services instead.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace seed::cli;
  if (argc < 2 || std::string(argv[1]) == "help" ||
      std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << kUsage;
    return argc < 2 ? kExitUsage : kExitOk;
  }
  const std::string command = argv[1];
  const Args args(argv + 2, argv + argc);
  if (command == "run") return RunCommand(args);
  if (command == "runs") return RunsCommand(args);
  if (command == "show") return ShowCommand(args);
  if (command == "trace") return TraceCommand(args);
  if (command == "compare") return CompareCommand(args);
  if (command == "diff") return DiffCommand(args);
  if (command == "strategies") return StrategiesCommand(args);
  if (command == "data") return DataCommand(args);
  if (command == "serve") return ServeCommand(args);
  if (command == "indicators") return IndicatorsCommand(args);
  if (command == "report") return ReportCommand(args);
  std::cerr << "unknown command '" << command << "'\n\n" << kUsage;
  return kExitUsage;
}
