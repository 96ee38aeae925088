// bt runs, bt show RUN, bt trace RUN, bt compare, bt diff, bt strategies and
// bt data validate|synth: commands that read from the stages rather than run
// a backtest.
#include <fstream>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/job_sensitivity.h"
#include "cli/job_view.h"
#include "cli/report.h"
#include "cli/run_activity.h"
#include "cli/run_diff.h"
#include "cli/stage_access.h"
#include "cli/trace_tree.h"
#include "common/otlp.h"
#include "common/stage_error.h"
#include "common/version.h"
#include "google/protobuf/util/json_util.h"
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
  const std::set<std::string> own = valued;
  valued.insert(kStageFlags.begin(), kStageFlags.end());
  Session session{Flags::Parse(args, valued, switches)};
  if (!session.flags.ok()) return session;
  absl::StatusOr<StageOptions> options = ReadStageOptions(*session.flags, own);
  if (!options.ok()) {
    // A bad --step-deadline, address or --config is bad usage (exit 2).
    session.flags = options.status();
    return session;
  }
  session.stages = OpenStages(*options);
  return session;
}

}  // namespace

int Fail(const absl::Status& status, int code) {
  PrintError(status);
  return code;
}

int RunLookupExitCode(const absl::Status& status) {
  return absl::IsNotFound(status) || absl::IsInvalidArgument(status)
             ? kExitUsage
             : kExitFailed;
}

int RunsCommand(const Args& args) {
  Session session = Open(
      args, {"limit", "strategy", "state", "symbol", "since", "until",
             "parent"},
      {});
  if (!session.flags.ok()) return Fail(session.flags.status(), kExitUsage);
  if (!session.stages.ok()) return Fail(session.stages.status());
  v1::ListRunsRequest request;
  int limit = 0;
  if (const auto text = session.flags->Get("limit")) {
    if (!absl::SimpleAtoi(*text, &limit) || limit <= 0) {
      return Fail(
          absl::InvalidArgumentError("--limit must be a positive number"),
          kExitUsage);
    }
  }
  request.set_limit(limit);
  request.set_strategy(session.flags->GetOr("strategy", ""));
  request.set_state(session.flags->GetOr("state", ""));
  request.set_symbol(session.flags->GetOr("symbol", ""));
  request.set_since(session.flags->GetOr("since", ""));
  request.set_until(session.flags->GetOr("until", ""));
  request.set_parent(session.flags->GetOr("parent", ""));
  v1::ListRunsResponse response;
  const absl::Status status =
      session.stages->results->ListRuns(request, &response);
  // A filter the results stage cannot read is bad usage.
  if (!status.ok()) {
    return Fail(status, status.code() == absl::StatusCode::kInvalidArgument
                            ? kExitUsage
                            : kExitFailed);
  }
  const bool filtered = !request.strategy().empty() ||
                        !request.state().empty() || !request.symbol().empty() ||
                        !request.since().empty() || !request.until().empty() ||
                        !request.parent().empty();
  std::cout << (filtered && response.runs().empty()
                    ? "no stored runs match these filters\n"
                    : FormatRunList(response));
  return kExitOk;
}

// bt show JOB: a research job with its children, best first.
int ShowJob(Session& session, const std::string& job_id) {
  const bool json = session.flags->Has("json");
  const bool all = json || session.flags->Has("all") ||
                   session.flags->Has("export");
  absl::StatusOr<JobView> view =
      FetchJob(*session.stages->results, job_id, all ? 0 : 20,
               v1::CHILD_ORDER_UNSPECIFIED);
  if (!view.ok()) return Fail(view.status());
  // The sensitivity view needs every child; a sweep of up to 10,000 is read
  // whole (about 0.07 s per 1,000 children), a larger one shows none.
  constexpr int64_t kMostChildrenForSensitivity = 10'000;
  if (!json && !view->complete && view->job.kind() == v1::SWEEP &&
      view->job.children_stored() <= kMostChildrenForSensitivity) {
    view = FetchJob(*session.stages->results, view->job.job_id(), 0,
                    v1::CHILD_ORDER_UNSPECIFIED);
    if (!view.ok()) return Fail(view.status());
  }
  const int exit_code =
      view->job.state() == v1::SUCCEEDED ? kExitOk : kExitFailed;
  if (json) {
    absl::StatusOr<std::string> text = JobJson(*view);
    if (!text.ok()) return Fail(text.status());
    std::cout << *text << "\n";
    return exit_code;
  }
  std::cout << FormatJob(*view, all ? view->children.size() : 20);
  std::cout << FormatSensitivity(*view);
  if (const auto directory = session.flags->Get("export")) {
    const absl::Status status = ExportJob(*view, *directory);
    if (!status.ok()) return Fail(status);
    std::cout << "exported to " << *directory << "\n";
  }
  return exit_code;
}

int ShowCommand(const Args& args) {
  Session session = Open(args, {"export"}, {"json", "records", "all"});
  if (session.flags.ok() && session.flags->positional().size() == 1 &&
      !session.flags->Has("records")) {
    if (!session.stages.ok()) return Fail(session.stages.status());
    const std::string& id = session.flags->positional()[0];
    absl::StatusOr<bool> job = IsStoredJob(*session.stages->results, id);
    if (!job.ok()) return Fail(job.status(), RunLookupExitCode(job.status()));
    if (*job) return ShowJob(session, id);
  }
  const bool json = session.flags.ok() && session.flags->Has("json");
  if (!session.flags.ok() || session.flags->positional().size() != 1 ||
      (json && session.flags->Has("export")) ||
      (!json && session.flags->Has("records")) ||
      session.flags->Has("all")) {
    if (!session.flags.ok()) PrintError(session.flags.status());
    std::cerr
        << "usage: bt show RUN [--export DIR] [--db FILE | --results-addr "
           "HOST:PORT]\n"
           "       bt show RUN --json [--records]   the run as JSON "
           "(GetRunResponse)\n"
           "       bt show JOB [--all] [--export DIR] | --json   a research "
           "job and its children\n";
    return kExitUsage;
  }
  if (!session.stages.ok()) return Fail(session.stages.status());
  absl::StatusOr<v1::GetRunResponse> run =
      FetchRun(*session.stages->results, session.flags->positional()[0],
               /*include_records=*/!json || session.flags->Has("records"));
  if (!run.ok()) return Fail(run.status(), RunLookupExitCode(run.status()));
  const int exit_code =
      run->run().state() == v1::SUCCEEDED ? kExitOk : kExitFailed;
  if (json) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    std::string text;
    const auto status =
        google::protobuf::util::MessageToJsonString(*run, &text, options);
    if (!status.ok()) {
      return Fail(absl::InternalError(
          absl::StrCat("cannot print the run as JSON: ", status.ToString())));
    }
    std::cout << text << "\n";
    return exit_code;
  }
  std::cout << FormatRunDetails(*run) << ExplainRunActivity(*run);
  if (const auto directory = session.flags->Get("export")) {
    const absl::Status status = results::ExportRun(*run, *directory);
    if (!status.ok()) return Fail(status);
    std::cout << "exported to " << *directory << "\n";
  }
  return exit_code;
}

int TraceCommand(const Args& args) {
  Session session = Open(args, {"otlp", "otlp-endpoint"}, {"all"});
  if (!session.flags.ok() || session.flags->positional().size() != 1) {
    if (!session.flags.ok()) PrintError(session.flags.status());
    std::cerr << "usage: bt trace RUN [--all] [--otlp FILE] [--otlp-endpoint "
                 "URL] [--db FILE | --results-addr HOST:PORT]\n"
                 "  --all             every span, no folding of repeated ones\n"
                 "  --otlp FILE       write the trace as OTLP JSON\n"
                 "  --otlp-endpoint URL  post it to an OpenTelemetry collector "
                 "(OTLP/HTTP, e.g. http://127.0.0.1:4318)\n";
    return kExitUsage;
  }
  if (!session.stages.ok()) return Fail(session.stages.status());
  v1::GetTraceRequest request;
  request.set_run_id(session.flags->positional()[0]);
  v1::GetTraceResponse response;
  absl::Status status = CheckRunId(request.run_id());
  if (status.ok())
    status = session.stages->results->GetTrace(request, &response);
  if (!status.ok()) return Fail(status, RunLookupExitCode(status));
  const auto file = session.flags->Get("otlp");
  const auto endpoint = session.flags->Get("otlp-endpoint");
  if (!file && !endpoint) {
    std::cout << "run " << response.run_id() << "\n"
              << FormatTraceTree(response.trace(),
                                 {.every_span = session.flags->Has("all")});
    return kExitOk;
  }
  const std::string json =
      otlp::TraceToJson(response.trace(), EngineVersion()) + "\n";
  if (file) {
    std::ofstream out(*file, std::ios::binary | std::ios::trunc);
    out << json;
    out.close();
    if (out.fail()) {
      return Fail(absl::FailedPreconditionError(
          absl::StrCat("cannot write ", *file,
                       ": check the directory exists "
                       "and is writable")));
    }
    std::cout << "wrote the trace of run " << response.run_id() << " ("
              << response.trace().spans_size() << " spans) to " << *file
              << "\n";
  }
  if (endpoint) {
    const absl::Status posted = otlp::PostJson(*endpoint, json);
    if (!posted.ok()) return Fail(posted);
    std::cout << "exported the trace of run " << response.run_id() << " ("
              << response.trace().spans_size() << " spans) to " << *endpoint
              << "\n";
  }
  return kExitOk;
}

int CompareCommand(const Args& args) {
  Session session = Open(args, {}, {});
  if (!session.flags.ok() || session.flags->positional().size() < 2) {
    if (!session.flags.ok()) PrintError(session.flags.status());
    std::cerr << "usage: bt compare RUN RUN... [--db FILE | --results-addr "
                 "HOST:PORT]\n";
    return kExitUsage;
  }
  if (!session.stages.ok()) return Fail(session.stages.status());
  std::vector<v1::RunSummary> runs;
  for (const std::string& run_id : session.flags->positional()) {
    absl::StatusOr<v1::GetRunResponse> run =
        FetchRun(*session.stages->results, run_id, /*include_records=*/false);
    if (!run.ok()) return Fail(run.status(), RunLookupExitCode(run.status()));
    runs.push_back(run->run());
  }
  std::cout << FormatComparison(runs);
  return kExitOk;
}

int DiffCommand(const Args& args) {
  // Exit codes as diff(1)'s: a run that cannot be read is trouble (2), not
  // a difference (1).
  constexpr int kExitSame = kExitOk;
  constexpr int kExitDifferent = 1;
  constexpr int kExitTrouble = kExitUsage;
  Session session = Open(args, {}, {});
  if (!session.flags.ok() || session.flags->positional().size() != 2) {
    if (!session.flags.ok()) PrintError(session.flags.status());
    std::cerr << "usage: bt diff RUN_A RUN_B [--db FILE | --results-addr "
                 "HOST:PORT]\n";
    return kExitUsage;
  }
  if (!session.stages.ok()) return Fail(session.stages.status(), kExitTrouble);
  std::vector<v1::GetRunResponse> runs;
  for (const std::string& run_id : session.flags->positional()) {
    absl::StatusOr<v1::GetRunResponse> run =
        FetchRun(*session.stages->results, run_id, /*include_records=*/true);
    if (!run.ok()) return Fail(run.status(), RunLookupExitCode(run.status()));
    runs.push_back(*std::move(run));
  }
  absl::StatusOr<RunDiff> diff = DiffRuns(runs[0], runs[1]);
  if (!diff.ok()) return Fail(diff.status(), kExitTrouble);
  std::cout << FormatRunDiff(*diff, runs[0], runs[1]);
  return diff->identical() ? kExitSame : kExitDifferent;
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
              << options.trading_days << " days to " << options.output_dir
              << "\n";
    return kExitOk;
  }
  std::cerr << usage;
  return kExitUsage;
}

}  // namespace seed::cli
