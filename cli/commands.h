// The bt subcommands. Each takes the arguments after its name, prints for a
// person, and returns the process exit code: 0 success, 1 a run or check that
// failed, 2 bad usage or an invalid spec.
#ifndef SEED_CLI_COMMANDS_H_
#define SEED_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace seed::cli {

using Args = std::vector<std::string>;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// The exit code for a run that could not be looked up: kExitUsage for an
// unknown, ambiguous or malformed run id, kExitFailed for anything else (a
// store that cannot be read). The same for every command that takes a RUN.
int RunLookupExitCode(const absl::Status& status);

int RunCommand(const Args& args);         // bt run SPEC
int RunsCommand(const Args& args);        // bt runs
int ShowCommand(const Args& args);        // bt show RUN
int TraceCommand(const Args& args);       // bt trace RUN [--otlp FILE]
int CompareCommand(const Args& args);     // bt compare RUN RUN...
int DiffCommand(const Args& args);        // bt diff RUN_A RUN_B (0 same, 1 not)
int StrategiesCommand(const Args& args);  // bt strategies
int DataCommand(const Args& args);        // bt data validate|synth
int ServeCommand(const Args& args);       // bt serve
int IndicatorsCommand(const Args& args);  // bt indicators --data FILE --out F
int ReportCommand(const Args& args);      // bt report RUN [--out FILE.html]
int CheckCommand(const Args& args);  // bt check lookahead SPEC (1: differs)

}  // namespace seed::cli

#endif  // SEED_CLI_COMMANDS_H_
