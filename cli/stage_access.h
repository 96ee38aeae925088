// How a bt command reaches the stages: in this process (the default, results
// in the local SQLite file) or over gRPC at the addresses of a services
// config and --data-addr=ADDR style flags. Not thread-safe.
#ifndef SEED_CLI_STAGE_ACCESS_H_
#define SEED_CLI_STAGE_ACCESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cli/flags.h"
#include "services/coordinator/remote_stages.h"
#include "services/coordinator/services_config.h"
#include "services/coordinator/stages.h"

namespace seed::cli {

// A service's address flag: --data-addr, --strategy-addr, ... The bare
// --data, --strategy, ... spellings are older and still read, except where a
// command gives the name a meaning of its own (bt runs --strategy NAME).
inline std::string AddressFlag(absl::string_view service) {
  return absl::StrCat(service, "-addr");
}

// Options every command that touches stages accepts.
inline const std::set<std::string> kStageFlags = [] {
  std::set<std::string> flags = {"db",        "config",   "step-deadline",
                                 "tls-ca",    "tls-cert", "tls-key",
                                 "token-file"};
  for (const absl::string_view name : coordinator::kServiceNames) {
    flags.emplace(name);
    flags.emplace(AddressFlag(name));
  }
  return flags;
}();

struct StageOptions {
  std::string database;  // --db, else the results library's default path
  coordinator::ServiceAddresses addresses;
  // The services whose address was given (--config gives them all): those
  // are reached over gRPC, the others run in this process. So `--results
  // ADDR` alone runs backtests here and stores them in a shared results
  // service (what a research shard does).
  std::set<std::string> remote_services;
  // --step-deadline: how long a stage may take over one call of the step
  // loop (a strategy service that never answers fails the run after it).
  // The credentials of --tls-ca, --tls-cert, --tls-key and --token-file (or
  // $BT_TOKEN_FILE) are its `security`.
  coordinator::RemoteOptions remote_options;
};

// Reads --db, --config=FILE, --step-deadline=DURATION ("30s", "500ms"),
// --<service>-addr=ADDR (or the older --<service>=ADDR) and the credential
// flags from the flag values. A bearer token without --tls-ca is refused
// unless every address it would go to (the services' and --remote's) is
// loopback.
// `own_flags` are the command's own meanings of those names (bt runs
// --strategy NAME filters by strategy), never addresses.
absl::StatusOr<StageOptions> ReadStageOptions(
    const Flags& flags, const std::set<std::string>& own_flags = {});

// The stages: embedded, remote, or each as StageOptions.remote_services
// says.
absl::StatusOr<coordinator::Stages> OpenStages(const StageOptions& options);

// INVALID_ARGUMENT INVALID_RUN_ID unless `run_id` looks like a run id or a
// prefix of one: letters, digits and '-', at most limits::kMaxRunIdBytes.
absl::Status CheckRunId(absl::string_view run_id);

// One stored run, by id or unique prefix, with its records (trades,
// rejections, equity) when `include_records`; INVALID_RUN_ID (CheckRunId),
// or the results stage's error as it is otherwise.
absl::StatusOr<backtest::v1::GetRunResponse> FetchRun(
    coordinator::ResultsStage& results, const std::string& run_id,
    bool include_records);

// Prints a failed status for a person: stage, reason, field problems, hint.
void PrintError(const absl::Status& status);

}  // namespace seed::cli

#endif  // SEED_CLI_STAGE_ACCESS_H_
