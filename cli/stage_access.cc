#include "cli/stage_access.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/limits.h"
#include "common/stage_error.h"
#include "common/text.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/services_config.h"
#include "services/coordinator/spec.h"
#include "services/coordinator/stored_records.h"
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
    options.remote_services.insert(std::begin(coordinator::kServiceNames),
                                   std::end(coordinator::kServiceNames));
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
  for (const absl::string_view service : coordinator::kServiceNames) {
    const std::string name(service);
    std::string* address = coordinator::AddressOf(options.addresses, name);
    std::optional<std::string> value = flags.Get(AddressFlag(name));
    if (!value.has_value() && own_flags.count(name) == 0) {
      value = flags.Get(name);
    }
    if (address != nullptr && value.has_value()) {
      if (!coordinator::IsHostPort(*value)) {
        return InvalidFields(
            "bt", "INVALID_FLAG",
            {{absl::StrCat("--", AddressFlag(name)),
              absl::StrCat("must be host:port with a port in 1..65535, got \"",
                           EscapeForTerminal(*value), "\"")}});
      }
      *address = *value;
      options.remote_services.insert(name);
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
  const auto remote = [&options](const char* name) {
    return options.remote_services.count(name) > 0;
  };
  if (remote("data") && remote("strategy") && remote("portfolio") &&
      remote("execution") && remote("results")) {
    return coordinator::MakeRemoteStages(options.addresses,
                                         options.remote_options);
  }
  // Embedded, with the services given an address swapped for clients of
  // them. The embedded results database is opened only when it is used.
  coordinator::Stages remote_stages =
      coordinator::MakeRemoteStages(options.addresses, options.remote_options);
  absl::StatusOr<coordinator::Stages> stages = coordinator::MakeEmbeddedStages(
      remote("results") ? "" : options.database, options.remote_options);
  if (!stages.ok()) return stages.status();
  if (remote("data")) stages->data = std::move(remote_stages.data);
  if (remote("strategy")) stages->strategy = std::move(remote_stages.strategy);
  if (remote("portfolio")) {
    stages->portfolio = std::move(remote_stages.portfolio);
  }
  if (remote("execution")) {
    stages->execution = std::move(remote_stages.execution);
  }
  if (remote("results")) stages->results = std::move(remote_stages.results);
  return stages;
}

void PrintError(const absl::Status& status) {
  const backtest::v1::StageError error = ToStageError(status, "bt");
  std::cerr << "error";
  if (!error.stage().empty() && error.stage() != "bt") {
    std::cerr << " in " << error.stage();
  }
  if (!error.symbol().empty()) {
    std::cerr << " at " << EscapeForTerminal(error.symbol());
  }
  if (!error.bar_time().empty()) std::cerr << " " << error.bar_time();
  // Messages may quote names and paths: nothing in them acts on the
  // terminal.
  std::cerr << ": "
            << EscapeForTerminal(status.message(), /*keep_newlines=*/true);
  if (error.reason() != "UNCLASSIFIED")
    std::cerr << " [" << error.reason() << "]";
  std::cerr << "\n";
  if (!error.hint().empty()) {
    std::cerr << "hint: " << EscapeForTerminal(error.hint()) << "\n";
  }
}

absl::Status CheckRunId(absl::string_view run_id) {
  const bool well_formed =
      !run_id.empty() &&
      static_cast<int64_t>(run_id.size()) <= limits::kMaxRunIdBytes &&
      std::all_of(run_id.begin(), run_id.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
      });
  if (well_formed) return absl::OkStatus();
  return StageFailure(
      absl::StatusCode::kInvalidArgument, "bt", "INVALID_RUN_ID",
      absl::StrCat(
          "'", EscapeForTerminal(run_id.substr(0, limits::kMaxRunIdBytes)),
          run_id.size() > limits::kMaxRunIdBytes ? "...'" : "'",
          " is not a run id: letters, digits and '-', at most ",
          limits::kMaxRunIdBytes, " characters (", run_id.size(), " given)"),
      {.hint = "bt runs lists the stored runs; an id prefix works"});
}

absl::StatusOr<backtest::v1::GetRunResponse> FetchRun(
    coordinator::ResultsStage& results, const std::string& run_id,
    bool include_records) {
  if (absl::Status status = CheckRunId(run_id); !status.ok()) return status;
  if (include_records) {
    // Every page of every kind of record, however large the run.
    absl::StatusOr<backtest::v1::GetRunResponse> run =
        coordinator::FetchRunWithRecords(results, run_id);
    if (!absl::IsUnimplemented(run.status())) return run;
    // An older results service, without ListRunRecords: one message.
  }
  backtest::v1::GetRunRequest request;
  request.set_run_id(run_id);
  request.set_include_records(include_records);
  backtest::v1::GetRunResponse run;
  const absl::Status status = results.GetRun(request, &run);
  if (!status.ok()) return status;
  return run;
}

}  // namespace seed::cli
