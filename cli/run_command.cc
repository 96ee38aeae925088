// bt run SPEC [--remote ADDR] [--export DIR]: runs a backtest in this process
// (default) or on a running coordinator, with progress, a summary and exports.
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backtest/v1/coordinator.grpc.pb.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/spec_file.h"
#include "cli/stage_access.h"
#include "common/grpc_status.h"
#include "common/run_state.h"
#include "common/server.h"
#include "common/stage_error.h"
#include "services/coordinator/run_manager.h"
#include "services/results/export.h"

namespace seed::cli {
namespace {

// How often the waiting client looks at progress and at Ctrl-C.
constexpr absl::Duration kPollInterval = absl::Milliseconds(100);

// Once the run exists, the first Ctrl-C or SIGTERM asks it to cancel (it
// ends CANCELLED, with what it recorded) and a second one ends bt at once,
// whatever the run is doing. Before it exists (the spec is being checked and
// the stages started, which may wait on a strategy service that never
// answers) there is nothing to cancel: the signal ends bt at once.
volatile std::sig_atomic_t g_interrupted = 0;
volatile std::sig_atomic_t g_run_submitted = 0;
void OnInterrupt(int signal_number) {
  std::signal(signal_number, SIG_DFL);
  if (!g_run_submitted) {
    std::raise(signal_number);
    return;
  }
  g_interrupted = 1;
}

// --export DIR exists as a writable directory (made when missing).
absl::Status PrepareExportDir(const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error || !std::filesystem::is_directory(directory) ||
      access(directory.c_str(), W_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("--export ", directory, " is not a writable directory",
                     error ? absl::StrCat(" (", error.message(), ")") : "",
                     ": choose a directory you can write before running"));
  }
  return absl::OkStatus();
}

// Exports, prints the outcome and returns the exit code.
int Conclude(const v1::RunProgress& progress, const Flags& flags,
             coordinator::ResultsStage& results) {
  for (const std::string& notice : progress.notices()) {
    std::cerr << "note: " << notice << "\n";
  }
  std::cout << FormatSummary(progress.summary());
  if (!progress.results_location().empty()) {
    std::cout << "\nresults stored in " << progress.results_location()
              << "  (bt show " << progress.run_id() << ")\n";
  }
  if (const auto directory = flags.Get("export")) {
    const absl::StatusOr<v1::GetRunResponse> run =
        FetchRun(results, progress.run_id(), /*include_records=*/true);
    const absl::Status status =
        run.ok() ? results::ExportRun(*run, *directory) : run.status();
    if (!status.ok()) {
      PrintError(status);
      return kExitFailed;
    }
    std::cout << "exported to " << *directory << "\n";
  }
  return progress.state() == v1::SUCCEEDED ? kExitOk : kExitFailed;
}

int RunEmbedded(const std::string& spec_text, const Flags& flags) {
  absl::StatusOr<StageOptions> options = ReadStageOptions(flags);
  if (!options.ok()) {
    PrintError(options.status());
    return kExitUsage;
  }
  absl::StatusOr<coordinator::Stages> stages = OpenStages(*options);
  if (!stages.ok()) {
    PrintError(stages.status());
    return kExitFailed;
  }
  coordinator::RunManager runs(*std::move(stages));
  absl::StatusOr<std::string> run_id =
      runs.Submit(spec_text, std::filesystem::current_path().string());
  g_run_submitted = 1;
  if (!run_id.ok()) {
    PrintError(run_id.status());
    return absl::IsInvalidArgument(run_id.status()) ? kExitUsage : kExitFailed;
  }
  ProgressBar bar;
  int64_t version = 0;
  bool cancel_sent = false;
  for (;;) {
    absl::StatusOr<v1::RunProgress> progress =
        runs.WaitForUpdate(*run_id, &version, kPollInterval);
    if (!progress.ok()) {
      PrintError(progress.status());
      return kExitFailed;
    }
    if (g_interrupted && !cancel_sent) {
      runs.Cancel(*run_id).IgnoreError();  // the final state reports it
      cancel_sent = true;
    }
    if (IsFinalRunState(progress->state())) {
      bar.Finish();
      return Conclude(*progress, flags, *runs.stages().results);
    }
    bar.Update(*progress);
  }
}

int RunRemote(const std::string& spec_text, const Flags& flags) {
  absl::StatusOr<StageOptions> options = ReadStageOptions(flags);
  if (!options.ok()) {
    PrintError(options.status());
    return kExitUsage;
  }
  const std::string address = *flags.Get("remote");
  auto stub = v1::CoordinatorService::NewStub(
      MakeChannel(address, options->remote_options.security));
  v1::SubmitRunRequest submit;
  submit.set_spec_yaml(spec_text);
  submit.set_base_dir(std::filesystem::current_path().string());
  v1::SubmitRunResponse submitted;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    const absl::Status status = FromGrpcStatus(
        stub->SubmitRun(&context, submit, &submitted), "coordinator", address);
    if (!status.ok()) {
      PrintError(status);
      return absl::IsInvalidArgument(status) ? kExitUsage : kExitFailed;
    }
  }
  std::cerr << "submitted run " << submitted.run_id() << " to " << address
            << "\n";
  grpc::ClientContext watch_context;
  v1::WatchRunRequest watch;
  watch.set_run_id(submitted.run_id());
  auto reader = stub->WatchRun(&watch_context, watch);
  ProgressBar bar;
  v1::RunProgress progress;
  v1::RunProgress last;
  while (reader->Read(&progress)) {
    if (g_interrupted) {
      grpc::ClientContext cancel_context;
      cancel_context.set_deadline(
          absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      v1::CancelRunRequest cancel;
      cancel.set_run_id(submitted.run_id());
      v1::CancelRunResponse cancelled;
      stub->CancelRun(&cancel_context, cancel, &cancelled);
      g_interrupted = 0;
    }
    bar.Update(progress);
    last = progress;
  }
  bar.Finish();
  const absl::Status status =
      FromGrpcStatus(reader->Finish(), "coordinator", address);
  if (!status.ok()) {
    PrintError(status);
    std::cerr << "the run may still be going: bt show " << submitted.run_id()
              << " --results-addr=ADDR\n";
    return kExitFailed;
  }
  // The run is read back from the results service the coordinator stored
  // it in, unless this command was told another one.
  if (options->remote_services.count("results") == 0 &&
      !last.results_address().empty()) {
    options->addresses.results = last.results_address();
  }
  coordinator::Stages stages = coordinator::MakeRemoteStages(
      options->addresses, options->remote_options);
  return Conclude(last, flags, *stages.results);
}

}  // namespace

int RunCommand(const Args& args) {
  std::set<std::string> valued = kStageFlags;
  valued.insert({"remote", "export"});
  absl::StatusOr<Flags> flags = Flags::Parse(args, valued, {});
  if (!flags.ok() || flags->positional().size() != 1) {
    if (!flags.ok()) PrintError(flags.status());
    std::cerr << "usage: bt run SPEC.yaml [--export DIR] [--db FILE] "
                 "[--step-deadline DURATION]\n"
                 "       bt run SPEC.yaml --remote HOST:PORT [--results-addr "
                 "HOST:PORT] [--export DIR]\n";
    return kExitUsage;
  }
  absl::StatusOr<std::string> spec_text = ReadSpecFile(flags->positional()[0]);
  if (!spec_text.ok()) {
    PrintError(spec_text.status());
    return kExitUsage;
  }
  // Before the run, not after it: a run whose export cannot be written is
  // time lost.
  if (const auto directory = flags->Get("export")) {
    if (absl::Status status = PrepareExportDir(*directory); !status.ok()) {
      PrintError(status);
      return kExitUsage;
    }
  }
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  return flags->Has("remote") ? RunRemote(*spec_text, *flags)
                              : RunEmbedded(*spec_text, *flags);
}

}  // namespace seed::cli
