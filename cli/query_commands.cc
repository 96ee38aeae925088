// bt runs, bt show RUN, bt strategies and bt data validate|synth: commands
// that read from the stages rather than run a backtest.
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/stage_access.h"
#include "common/stage_error.h"
#include "services/data/synthetic_market.h"
#include "services/results/export.h"

namespace seed::cli {
namespace {

// Parses flags and opens the stages, or prints why not.
struct Session {
  absl::StatusOr<Flags> flags;
  absl::StatusOr<coordinator::Stages> stages = absl::UnknownError("unopened");
};

Session Open(const Args& args, std::set<std::string> valued,
             const std::set<std::string>& switches) {
  valued.insert(kStageFlags.begin(), kStageFlags.end());
  Session session{Flags::Parse(args, valued, switches)};
  if (!session.flags.ok()) return session;
  absl::StatusOr<StageOptions> options = ReadStageOptions(*session.flags);
  if (!options.ok()) {
    session.stages = options.status();
    return session;
  }
  session.stages = OpenStages(*options);
  return session;
}

int Fail(const absl::Status& status, int code = kExitFailed) {
  PrintError(status);
  return code;
}

}  // namespace

int RunsCommand(const Args& args) {
  Session session = Open(args, {"limit", "strategy", "state"}, {});
  if (!session.flags.ok()) return Fail(session.flags.status(), kExitUsage);
  if (!session.stages.ok()) return Fail(session.stages.status());
  v1::ListRunsRequest request;
  int limit = 0;
  if (const auto text = session.flags->Get("limit")) {
    if (!absl::SimpleAtoi(*text, &limit) || limit <= 0) {
      return Fail(absl::InvalidArgumentError("--limit must be a positive number"),
                  kExitUsage);
    }
  }
  request.set_limit(limit);
  request.set_strategy(session.flags->GetOr("strategy", ""));
  request.set_state(session.flags->GetOr("state", ""));
  v1::ListRunsResponse response;
  const absl::Status status = session.stages->results->ListRuns(request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << FormatRunList(response);
  return kExitOk;
}

int ShowCommand(const Args& args) {
  Session session = Open(args, {"export"}, {});
  if (!session.flags.ok() || session.flags->positional().size() != 1) {
    std::cerr << "usage: bt show RUN [--export DIR] [--db FILE | --results "
                 "HOST:PORT]\n";
    return kExitUsage;
  }
  if (!session.stages.ok()) return Fail(session.stages.status());
  v1::GetRunRequest request;
  request.set_run_id(session.flags->positional()[0]);
  request.set_include_records(true);
  v1::GetRunResponse run;
  absl::Status status = session.stages->results->GetRun(request, &run);
  if (!status.ok()) return Fail(status);
  std::cout << FormatRunDetails(run);
  if (const auto directory = session.flags->Get("export")) {
    status = results::ExportRun(run, *directory);
    if (!status.ok()) return Fail(status);
    std::cout << "exported to " << *directory << "\n";
  }
  return run.run().state() == v1::SUCCEEDED ? kExitOk : kExitFailed;
}

int StrategiesCommand(const Args& args) {
  Session session = Open(args, {}, {});
  if (!session.flags.ok()) return Fail(session.flags.status(), kExitUsage);
  if (!session.stages.ok()) return Fail(session.stages.status());
  v1::ListStrategiesResponse response;
  const absl::Status status =
      session.stages->strategy->ListStrategies({}, &response);
  if (!status.ok()) return Fail(status);
  for (const v1::StrategyInfo& info : response.strategies()) {
    std::cout << info.name() << "  " << info.description() << "\n";
    for (const v1::ParamSchema& param : info.params()) {
      std::cout << "    " << param.name() << " (" << param.type();
      if (param.has_min() || param.has_max()) {
        std::cout << ", " << (param.has_min() ? absl::StrCat(param.min()) : "")
                  << ".." << (param.has_max() ? absl::StrCat(param.max()) : "");
      }
      const v1::ParamValue& value = param.default_value();
      std::cout << ", default "
                << (value.has_number() ? absl::StrCat(value.number())
                    : value.has_flag() ? (value.flag() ? "true" : "false")
                                       : value.text())
                << ")  " << param.description() << "\n";
    }
  }
  return kExitOk;
}

int DataCommand(const Args& args) {
  const std::string usage =
      "usage: bt data validate PATH            (a CSV file or a directory)\n"
      "       bt data synth --out DIR [--symbols N] [--seed S] [--days N]\n";
  if (args.empty()) {
    std::cerr << usage;
    return kExitUsage;
  }
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "validate") {
    Session session = Open(rest, {}, {});
    if (!session.flags.ok() || session.flags->positional().size() != 1) {
      std::cerr << usage;
      return kExitUsage;
    }
    if (!session.stages.ok()) return Fail(session.stages.status());
    v1::ValidateFilesRequest request;
    request.set_path(session.flags->positional()[0]);
    v1::ValidateFilesResponse response;
    const absl::Status status =
        session.stages->data->ValidateFiles(request, &response);
    if (!status.ok()) return Fail(status);
    std::cout << FormatQualityReport(response.quality());
    for (const v1::FileReport& file : response.quality().files()) {
      for (const auto& [kind, count] : file.issue_counts()) {
        if (kind != "gap" && count > 0) return kExitFailed;
      }
    }
    return kExitOk;
  }
  if (args[0] == "synth") {
    absl::StatusOr<Flags> flags =
        Flags::Parse(rest, {"out", "symbols", "seed", "days"}, {});
    if (!flags.ok() || !flags->Has("out")) {
      if (!flags.ok()) PrintError(flags.status());
      std::cerr << usage;
      return kExitUsage;
    }
    data::SyntheticMarketOptions options;
    options.output_dir = *flags->Get("out");
    const std::pair<const char*, int*> numbers[] = {
        {"symbols", &options.symbols}, {"days", &options.trading_days}};
    for (const auto& [name, target] : numbers) {
      if (flags->Has(name) && !absl::SimpleAtoi(*flags->Get(name), target)) {
        return Fail(absl::InvalidArgumentError(
                        absl::StrCat("--", name, " must be a whole number")),
                    kExitUsage);
      }
    }
    if (flags->Has("seed") &&
        !absl::SimpleAtoi(*flags->Get("seed"), &options.seed)) {
      return Fail(absl::InvalidArgumentError("--seed must be a whole number"),
                  kExitUsage);
    }
    const absl::Status status = data::WriteSyntheticMarket(options);
    if (!status.ok()) return Fail(status);
    std::cout << "wrote " << options.symbols << " symbols x "
              << options.trading_days << " days to "
              << options.output_dir << "\n";
    return kExitOk;
  }
  std::cerr << usage;
  return kExitUsage;
}

}  // namespace seed::cli
