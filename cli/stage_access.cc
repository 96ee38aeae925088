#include "cli/stage_access.h"

#include <iostream>

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
  for (const std::string& name : kStageFlags) {
    std::string* address = coordinator::AddressOf(options.addresses, name);
    if (address != nullptr && flags.Has(name) && own_flags.count(name) == 0) {
      *address = *flags.Get(name);
      options.remote = true;
    }
  }
  return options;
}

absl::StatusOr<coordinator::Stages> OpenStages(const StageOptions& options) {
  if (options.remote) return coordinator::MakeRemoteStages(options.addresses);
  return coordinator::MakeEmbeddedStages(options.database);
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

}  // namespace seed::cli
