// How a bt command reaches the stages: in this process (the default, results
// in the local SQLite file) or over gRPC at the addresses of a services
// config and --data=ADDR style flags. Not thread-safe.
#ifndef SEED_CLI_STAGE_ACCESS_H_
#define SEED_CLI_STAGE_ACCESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/flags.h"
#include "services/coordinator/remote_stages.h"
#include "services/coordinator/services_config.h"
#include "services/coordinator/stages.h"

namespace seed::cli {

// Options every command that touches stages accepts.
inline const std::set<std::string> kStageFlags = [] {
  std::set<std::string> flags = {"db",        "config",   "step-deadline",
                                 "tls-ca",    "tls-cert", "tls-key",
                                 "token-file"};
  for (const absl::string_view name : coordinator::kServiceNames) {
    flags.emplace(name);
  }
  return flags;
}();

struct StageOptions {
  std::string database;  // --db, else the results library's default path
  bool remote = false;   // true when any service address was given
  coordinator::ServiceAddresses addresses;
  // --step-deadline: how long a stage may take over one call of the step
  // loop (a strategy service that never answers fails the run after it).
  // The credentials of --tls-ca, --tls-cert, --tls-key and --token-file (or
  // $BT_TOKEN_FILE) are its `security`.
  coordinator::RemoteOptions remote_options;
};

// Reads --db, --config=FILE, --step-deadline=DURATION ("30s", "500ms"),
// --<service>=ADDR and the credential flags from the flag values. A bearer
// token without --tls-ca is refused unless every address it would go to
// (the services' and --remote's) is loopback.
// `own_flags` are the command's own meanings of those names (bt runs
// --strategy NAME filters by strategy), never addresses.
absl::StatusOr<StageOptions> ReadStageOptions(
    const Flags& flags, const std::set<std::string>& own_flags = {});

absl::StatusOr<coordinator::Stages> OpenStages(const StageOptions& options);

// One stored run, by id or unique prefix, with its records (trades,
// rejections, equity) when `include_records`; the results stage's error as it
// is otherwise.
absl::StatusOr<backtest::v1::GetRunResponse> FetchRun(
    coordinator::ResultsStage& results, const std::string& run_id,
    bool include_records);

// Prints a failed status for a person: stage, reason, field problems, hint.
void PrintError(const absl::Status& status);

}  // namespace seed::cli

#endif  // SEED_CLI_STAGE_ACCESS_H_
