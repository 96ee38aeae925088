#include "cli/stage_access.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/stage_error.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/services_config.h"
#include "services/results/run_store.h"

namespace seed::cli {

absl::StatusOr<StageOptions> ReadStageOptions(
    const Flags& flags, const std::set<std::string>& own_flags) {
  StageOptions options;
  options.database = flags.GetOr("db", results::DefaultDatabasePath());
  if (const auto config = flags.Get("config")) {
    absl::StatusOr<coordinator::ServiceAddresses> loaded =
        coordinator::LoadServiceAddresses(*config);
    if (!loaded.ok()) return loaded.status();
    options.addresses = *loaded;
    options.remote = true;
  }
  if (const auto deadline = flags.Get("step-deadline")) {
    absl::Duration parsed;
    if (!absl::ParseDuration(*deadline, &parsed) ||
        parsed <= absl::ZeroDuration()) {
      return InvalidFields(
          "bt", "INVALID_FLAG",
          {{"--step-deadline",
            absl::StrCat(
                "must be a positive duration like 30s or 500ms, got \"",
                *deadline, "\"")}});
    }
    options.remote_options.step_deadline = parsed;
  }
  for (const std::string& name : kStageFlags) {
    std::string* address = coordinator::AddressOf(options.addresses, name);
    if (address != nullptr && flags.Has(name) && own_flags.count(name) == 0) {
      *address = *flags.Get(name);
      options.remote = true;
    }
  }
  absl::StatusOr<ChannelSecurity> security =
      ReadClientSecurity([&](const std::string& name) {
        return own_flags.count(name) == 0 ? flags.Get(name) : std::nullopt;
      });
  if (!security.ok()) return security.status();
  options.remote_options.security = *std::move(security);
  std::vector<std::string> destinations = {flags.GetOr("remote", "")};
  for (const absl::string_view name : coordinator::kServiceNames) {
    destinations.push_back(
        *coordinator::AddressOf(options.addresses, std::string(name)));
  }
  for (const std::string& address : destinations) {
    if (address.empty()) continue;
    absl::Status status =
        CheckChannelSecurity(address, options.remote_options.security);
    if (!status.ok()) return status;
  }
  return options;
}

absl::StatusOr<coordinator::Stages> OpenStages(const StageOptions& options) {
  if (options.remote) {
    return coordinator::MakeRemoteStages(options.addresses,
                                         options.remote_options);
  }
  return coordinator::MakeEmbeddedStages(options.database,
                                         options.remote_options);
}

void PrintError(const absl::Status& status) {
  const backtest::v1::StageError error = ToStageError(status, "bt");
  std::cerr << "error";
  if (!error.stage().empty() && error.stage() != "bt") {
    std::cerr << " in " << error.stage();
  }
  if (!error.symbol().empty()) std::cerr << " at " << error.symbol();
  if (!error.bar_time().empty()) std::cerr << " " << error.bar_time();
  std::cerr << ": " << status.message();
  if (error.reason() != "UNCLASSIFIED")
    std::cerr << " [" << error.reason() << "]";
  std::cerr << "\n";
  if (!error.hint().empty()) std::cerr << "hint: " << error.hint() << "\n";
}

absl::StatusOr<backtest::v1::GetRunResponse> FetchRun(
    coordinator::ResultsStage& results, const std::string& run_id,
    bool include_records) {
  backtest::v1::GetRunRequest request;
  request.set_run_id(run_id);
  request.set_include_records(include_records);
  backtest::v1::GetRunResponse run;
  const absl::Status status = results.GetRun(request, &run);
  if (!status.ok()) return status;
  return run;
}

}  // namespace seed::cli
