// bt sweep SPEC and bt walkforward SPEC: research jobs (docs/research.md).
// The job is stored in the results stage, its children run here on a pool of
// workers (the shard's share of them, on a cluster), and what is already
// stored is reused, so `--resume JOB` or a re-run shard does only what is
// missing.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/commands.h"
#include "cli/dataset_bars.h"
#include "cli/job_view.h"
#include "cli/spec_file.h"
#include "cli/stage_access.h"
#include "cli/stored_spec.h"
#include "common/ids.h"
#include "common/stage_error.h"
#include "common/version.h"
#include "research/job_runner.h"
#include "research/shard.h"
#include "research/sweep_plan.h"
#include "research/walk_forward_job.h"
#include "services/coordinator/data_identity.h"
#include "services/coordinator/run_manager.h"
#include "services/coordinator/spec.h"

namespace seed::cli {
namespace {

namespace v1 = ::backtest::v1;

constexpr char kJobUsage[] =
    "usage: bt %1$s SPEC.yaml [--workers N] [--shard I/N] [--job ID]\n"
    "                [--export DIR] [--db FILE | --results-addr HOST:PORT]\n"
    "       bt %1$s --resume JOB [--workers N] [--shard I/N] ...\n"
    "  --workers N   children run at once (default: $SLURM_CPUS_PER_TASK, "
    "else the cores)\n"
    "  --shard I/N   run only shard I of N (default: from a Slurm array or a\n"
    "                Kubernetes Indexed Job, else the whole job)\n"
    "  --job ID      create the job under ID, or go on with it if it exists\n"
    "  --resume JOB  go on with a stored job: run only its missing children\n"
    "  --export DIR  write DIR/children.csv and DIR/job.json at the end\n";

std::optional<std::string> Getenv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// --workers, else the Slurm task's CPUs, else the machine's cores.
absl::StatusOr<int> Workers(const Flags& flags) {
  int workers = 0;
  if (const auto text = flags.Get("workers")) {
    if (!absl::SimpleAtoi(*text, &workers) || workers < 1) {
      return InvalidFields("bt", "INVALID_FLAG",
                           {{"--workers", absl::StrCat("must be a whole "
                                                       "number >= 1, got '",
                                                       *text, "'")}});
    }
    return workers;
  }
  if (const auto cpus = Getenv("SLURM_CPUS_PER_TASK");
      cpus.has_value() && absl::SimpleAtoi(*cpus, &workers) && workers > 0) {
    return workers;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

// The declared params of the strategy the sweep varies, from the stage that
// would run it (a plug-in at strategy.address answers for its own).
absl::StatusOr<strategy::ParamSchemas> SweptSchema(
    coordinator::Stages& stages, const v1::BacktestSpec& spec) {
  absl::StatusOr<const v1::StrategySpec*> swept = research::SweptStrategy(spec);
  if (!swept.ok()) return swept.status();
  std::unique_ptr<coordinator::StrategyStage> own;
  coordinator::StrategyStage* stage = stages.strategy.get();
  if (!(*swept)->address().empty()) {
    own = stages.connect_strategy((*swept)->address());
    stage = own.get();
  }
  v1::ListStrategiesResponse listed;
  const absl::Status status =
      stage->ListStrategies(v1::ListStrategiesRequest(), &listed);
  if (!status.ok()) return status;
  std::vector<std::string> names;
  for (const v1::StrategyInfo& info : listed.strategies()) {
    if (info.name() == (*swept)->name()) return info.params();
    names.push_back(info.name());
  }
  return InvalidFields(
      "coordinator", "INVALID_SPEC",
      {{"strategy.name", absl::StrCat("unknown strategy '", (*swept)->name(),
                                      "'; the strategy stage has: ",
                                      absl::StrJoin(names, ", "))}});
}

// The spec of a stored job of `kind`, to go on with it.
absl::StatusOr<v1::BacktestSpec> StoredJobSpec(
    coordinator::ResultsStage& results, const std::string& job_id,
    v1::JobKind kind) {
  absl::StatusOr<JobView> view =
      FetchJob(results, job_id, /*limit=*/1, v1::BY_INDEX);
  if (!view.ok()) return view.status();
  if (view->job.kind() != kind) {
    return InvalidFields(
        "bt", "INVALID_FLAG",
        {{"--resume", absl::StrCat(view->job.job_id(), " is a ",
                                   v1::JobKind_Name(view->job.kind()),
                                   " job, not a ", v1::JobKind_Name(kind))}});
  }
  absl::StatusOr<v1::BacktestSpec> spec =
      ParseStoredSpec(view->job.canonical_spec());
  if (!spec.ok()) {
    return StageFailure(
        absl::StatusCode::kDataLoss, "results", "DATABASE_CORRUPT",
        absl::StrCat("job ", view->job.job_id(), ": ", spec.status().message()),
        {.hint = "the job cannot be resumed; start it again from its spec"});
  }
  return spec;
}

// One line of progress on stderr, rewritten in place on a terminal.
class ChildProgressLine {
 public:
  ChildProgressLine(std::string command, std::string job_id,
                    const research::Shard& shard)
      : command_(std::move(command)),
        job_id_(std::move(job_id)),
        shard_(shard),
        terminal_(isatty(STDERR_FILENO)),
        start_(absl::Now()) {}

  void Update(const research::RunnerProgress& progress) {
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    const std::string line = absl::StrFormat(
        "%s %s%s: %d/%d children done (%d reused, %d failed)%s", command_,
        job_id_,
        shard_.count > 1
            ? absl::StrFormat(" shard %d/%d", shard_.index, shard_.count)
            : "",
        progress.reused + progress.finished, progress.owned, progress.reused,
        progress.failed,
        progress.finished > 0 && seconds > 0
            ? absl::StrFormat(", %.2f children/s", progress.finished / seconds)
            : "");
    if (terminal_) {
      std::cerr << "\r" << line << "\x1b[K" << std::flush;
    } else if (absl::Now() - last_printed_ >= absl::Seconds(5) ||
               progress.reused + progress.finished == progress.owned) {
      std::cerr << line << "\n";
      last_printed_ = absl::Now();
    }
  }

  void Finish() {
    if (terminal_) std::cerr << "\n";
  }

 private:
  const std::string command_;
  const std::string job_id_;
  const research::Shard shard_;
  const bool terminal_;
  const absl::Time start_;
  absl::Time last_printed_ = absl::InfinitePast();
};

// What a job command sets up before its children run: flags, the stages
// (embedded, with any service given an address reached over gRPC), the
// spec, the job id, the shard and the pool of workers.
struct JobSetup {
  std::string command;  // "sweep", "walkforward"
  Flags flags;
  research::Shard shard;
  int workers = 1;
  std::unique_ptr<coordinator::RunManager> runs;
  v1::BacktestSpec spec;
  std::string job_id;
  strategy::ParamSchemas schema;
};

// Sets up `command` of `kind` from its arguments; the exit code when it
// cannot (the problem printed).
absl::StatusOr<JobSetup> SetUpJob(const std::string& command, v1::JobKind kind,
                                  const Args& args, int* exit_code) {
  const auto fail = [exit_code](const absl::Status& status, int code) {
    PrintError(status);
    *exit_code = code;
    return status;
  };
  std::set<std::string> valued = kStageFlags;
  valued.insert({"workers", "shard", "job", "resume", "export"});
  absl::StatusOr<Flags> flags = Flags::Parse(args, valued, {});
  const bool resume = flags.ok() && flags->Has("resume");
  if (!flags.ok() || flags->positional().size() != (resume ? 0u : 1u) ||
      (resume && flags->Has("job"))) {
    if (!flags.ok()) PrintError(flags.status());
    std::cerr << absl::StrFormat(kJobUsage, command);
    *exit_code = kExitUsage;
    return absl::InvalidArgumentError("usage");
  }
  JobSetup setup{command, *std::move(flags)};
  absl::StatusOr<StageOptions> options = ReadStageOptions(setup.flags);
  if (!options.ok()) return fail(options.status(), kExitUsage);
  absl::StatusOr<int> workers = Workers(setup.flags);
  if (!workers.ok()) return fail(workers.status(), kExitUsage);
  setup.workers = *workers;
  absl::StatusOr<research::Shard> shard =
      research::ChooseShard(setup.flags.Get("shard"), Getenv);
  if (!shard.ok()) {
    return fail(shard.status(), absl::IsInvalidArgument(shard.status())
                                    ? kExitUsage
                                    : kExitFailed);
  }
  setup.shard = *shard;
  absl::StatusOr<coordinator::Stages> stages = OpenStages(*options);
  if (!stages.ok()) return fail(stages.status(), kExitFailed);
  setup.runs = std::make_unique<coordinator::RunManager>(
      *std::move(stages), coordinator::RunOptions{},
      coordinator::RunManagerOptions{.max_concurrent_runs = setup.workers,
                                     .kept_ended_runs = 2 * setup.workers});
  coordinator::Stages& used = setup.runs->stages();
  if (resume) {
    setup.job_id = *setup.flags.Get("resume");
    absl::StatusOr<v1::BacktestSpec> spec =
        StoredJobSpec(*used.results, setup.job_id, kind);
    if (!spec.ok()) return fail(spec.status(), kExitFailed);
    setup.spec = *std::move(spec);
  } else {
    absl::StatusOr<std::string> text =
        ReadSpecFile(setup.flags.positional()[0]);
    if (!text.ok()) return fail(text.status(), kExitUsage);
    absl::StatusOr<v1::BacktestSpec> spec =
        coordinator::ParseSpec(*text, std::filesystem::current_path().string());
    if (!spec.ok()) return fail(spec.status(), kExitUsage);
    const bool walk = kind == v1::WALK_FORWARD;
    if (!spec->has_sweep() || spec->has_walk_forward() != walk) {
      const std::string field = !spec->has_sweep() ? "sweep" : "walk_forward";
      const std::string why =
          !spec->has_sweep()
              ? absl::StrCat("bt ", command,
                             " needs a sweep block (docs/research.md)")
          : walk ? "bt walkforward needs a walk_forward block"
                 : "a walk-forward spec runs with bt walkforward SPEC";
      return fail(InvalidFields("bt", "INVALID_SPEC", {{field, why}}),
                  kExitUsage);
    }
    setup.spec = *std::move(spec);
    setup.job_id =
        setup.flags.GetOr("job", NewTimeSortableId(absl::StrCat(command, "-")));
  }
  absl::StatusOr<strategy::ParamSchemas> schema = SweptSchema(used, setup.spec);
  if (!schema.ok()) {
    return fail(schema.status(), absl::IsInvalidArgument(schema.status())
                                     ? kExitUsage
                                     : kExitFailed);
  }
  setup.schema = *std::move(schema);
  return setup;
}

// Stores the job (idempotent: every shard does) and says what will run.
absl::Status CreateJob(JobSetup& setup, const v1::Job& job, int64_t children,
                       int64_t excluded) {
  v1::CreateJobRequest create;
  *create.mutable_job() = job;
  v1::CreateJobResponse created;
  const absl::Status status =
      setup.runs->stages().results->CreateJob(create, &created);
  if (!status.ok()) return status;
  std::cerr << setup.command << " " << setup.job_id << ": " << children
            << " children"
            << (excluded > 0 ? absl::StrCat(" (", excluded,
                                            " points left out by the "
                                            "constraints)")
                             : "")
            << "; " << setup.shard.source << " " << setup.shard.index << " of "
            << setup.shard.count << ", " << setup.workers << " workers\n";
  return absl::OkStatus();
}

// Prints the failed children; how many.
int ReportFailures(const std::vector<research::ChildOutcome>& outcomes) {
  int failed = 0;
  for (const research::ChildOutcome& outcome : outcomes) {
    if (outcome.state == v1::SUCCEEDED) continue;
    ++failed;
    std::cerr << "child " << outcome.run_id << " "
              << v1::RunState_Name(outcome.state) << " in "
              << outcome.error.stage() << ": " << outcome.error.message()
              << " [" << outcome.error.reason() << "]\n";
  }
  return failed;
}

// Prints the job as stored and exports it when asked.
int ShowJobAtEnd(JobSetup& setup, int failed) {
  const bool export_all = setup.flags.Has("export");
  absl::StatusOr<JobView> view =
      FetchJob(*setup.runs->stages().results, setup.job_id, export_all ? 0 : 20,
               v1::CHILD_ORDER_UNSPECIFIED);
  if (!view.ok()) return Fail(view.status());
  std::cout << FormatJob(*view);
  if (const auto directory = setup.flags.Get("export")) {
    const absl::Status status = ExportJob(*view, *directory);
    if (!status.ok()) return Fail(status);
    std::cout << "exported to " << *directory << "\n";
  }
  return failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace

int SweepCommand(const Args& args) {
  int exit_code = kExitFailed;
  absl::StatusOr<JobSetup> setup =
      SetUpJob("sweep", v1::SWEEP, args, &exit_code);
  if (!setup.ok()) return exit_code;
  absl::StatusOr<research::SweepPlan> plan = research::PlanSweep(
      setup->spec, setup->schema, setup->job_id, EngineVersion());
  if (!plan.ok()) return Fail(plan.status(), kExitUsage);
  absl::Status status =
      CreateJob(*setup, plan->job, plan->children.size(), plan->excluded);
  if (!status.ok()) return Fail(status);

  ChildProgressLine line("sweep", setup->job_id, setup->shard);
  research::JobRunner runner(*setup->runs, 2 * setup->workers);
  absl::StatusOr<std::vector<research::ChildOutcome>> outcomes =
      runner.Run(plan->job, plan->children, setup->shard,
                 [&line](const research::RunnerProgress& progress) {
                   line.Update(progress);
                 });
  line.Finish();
  if (!outcomes.ok()) return Fail(outcomes.status());
  return ShowJobAtEnd(*setup, ReportFailures(*outcomes));
}

int WalkForwardCommand(const Args& args) {
  int exit_code = kExitFailed;
  absl::StatusOr<JobSetup> setup =
      SetUpJob("walkforward", v1::WALK_FORWARD, args, &exit_code);
  if (!setup.ok()) return exit_code;
  absl::StatusOr<DatasetClock> clock = ReadDatasetClock(
      *setup->runs->stages().data, setup->spec.data(), "walk-forward-clock");
  if (!clock.ok()) return Fail(clock.status());
  absl::StatusOr<research::WalkForwardPlan> plan = research::PlanWalkForward(
      setup->spec, setup->schema, clock->times, clock->interval_seconds,
      setup->job_id, EngineVersion());
  if (!plan.ok()) return Fail(plan.status(), kExitUsage);
  absl::Status status = CreateJob(*setup, plan->job, plan->children, 0);
  if (!status.ok()) return Fail(status);
  std::cerr << plan->windows.size() << " windows x " << plan->points.size()
            << " points in sample, then " << plan->windows.size()
            << " out-of-sample runs\n";

  ChildProgressLine line("walkforward", setup->job_id, setup->shard);
  research::JobRunner runner(*setup->runs, 2 * setup->workers);
  absl::StatusOr<research::WalkForwardOutcome> outcome =
      research::RunWalkForward(
          *plan, setup->shard, runner, *setup->runs->stages().results,
          [&line](const research::RunnerProgress& progress) {
            line.Update(progress);
          });
  line.Finish();
  if (!outcome.ok()) return Fail(outcome.status());
  const int failed = ReportFailures(outcome->children);
  if (outcome->waiting > 0) {
    std::cout << "this shard's in-sample children are done; "
              << outcome->waiting
              << " of other shards are not yet stored, so the out-of-sample "
                 "chain has not run: bt walkforward --resume "
              << setup->job_id << " once they are\n";
    return failed == 0 ? kExitOk : kExitFailed;
  }
  std::cout << FormatWalkForward(*outcome->result);
  return ShowJobAtEnd(*setup, failed);
}

}  // namespace seed::cli
