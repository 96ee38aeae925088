// bt report RUN|JOB [--out FILE.html]: one self-contained HTML report of a
// stored run or research job. The run or job comes from the results stage,
// the bars of a run's price charts from the data stage (the run's canonical
// spec says which), the chart library from the file scripts/setup.sh
// installs.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "backtest/v1/spec.pb.h"
#include "cli/commands.h"
#include "cli/dataset_bars.h"
#include "cli/job_report.h"
#include "cli/job_view.h"
#include "cli/report_file.h"
#include "cli/stage_access.h"
#include "google/protobuf/util/json_util.h"
#include "services/results/report.h"

namespace seed::cli {
namespace {

namespace v1 = ::backtest::v1;

constexpr char kUsage[] =
    "usage: bt report RUN|JOB [--out FILE.html] [--db FILE | --results-addr "
    "HOST:PORT ...]\n";

// The bars of the run's symbols over the run's range, as its spec asked; when
// they cannot be read, no series and a note saying why. A symbol whose data
// changed since the run is still charted, with a note.
results::PriceData ReadPrices(coordinator::DataStage& data,
                              const v1::GetRunResponse& run) {
  results::PriceData prices;
  v1::BacktestSpec spec;
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(run.canonical_spec(), &spec);
  if (!parsed.ok()) {
    prices.notes.push_back(
        absl::StrCat("The run's stored spec could not be read (",
                     parsed.ToString(), "), so its data is unknown."));
    return prices;
  }
  absl::StatusOr<DatasetBars> bars = ReadDatasetBars(
      data, spec.data(), absl::StrCat("report-", run.run().run_id()));
  if (!bars.ok()) {
    prices.notes.push_back(
        absl::StrCat("The data cannot be read now: ", bars.status().message()));
    return prices;
  }
  for (const v1::SymbolSummary& symbol : bars->dataset.symbols()) {
    const auto stored = run.symbol_hashes().find(symbol.symbol());
    if (stored != run.symbol_hashes().end() &&
        stored->second != symbol.content_hash()) {
      prices.notes.push_back(absl::StrCat(
          symbol.symbol(), ": the data changed since the run (content hash ",
          symbol.content_hash(), ", the run used ", stored->second,
          "); the chart shows the data as it is now."));
    }
  }
  prices.series = std::move(bars->series);
  return prices;
}

// The job with every child; a walk-forward's stitched curve when its
// out-of-sample runs can be read (else the page says why).
int ReportJob(coordinator::ResultsStage& results, const std::string& id,
              const Flags& flags, const std::string& library) {
  absl::StatusOr<JobView> view =
      FetchJob(results, id, /*limit=*/0, v1::CHILD_ORDER_UNSPECIFIED);
  if (!view.ok()) {
    PrintError(view.status());
    return RunLookupExitCode(view.status());
  }
  JobReport report{.view = *std::move(view)};
  const v1::Job& job = report.view.job;
  if (job.kind() == v1::WALK_FORWARD) {
    absl::StatusOr<StitchedCurve> curve =
        FetchStitchedCurve(results, job.result().walk_forward());
    if (curve.ok()) {
      report.stitched = *std::move(curve);
    } else {
      report.stitched_note = std::string(curve.status().message());
      std::cerr << "note: no stitched curve: " << report.stitched_note << "\n";
    }
  }
  const absl::Status written = WritePage(
      flags.GetOr("out", absl::StrCat("report-", job.job_id(), ".html")),
      RenderJobReport(report, library), "--out");
  if (!written.ok()) {
    PrintError(written);
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

int ReportCommand(const Args& args) {
  std::set<std::string> valued = {"out"};
  valued.insert(kStageFlags.begin(), kStageFlags.end());
  const absl::StatusOr<Flags> flags = Flags::Parse(args, valued, {});
  if (!flags.ok() || flags->positional().size() != 1) {
    if (!flags.ok()) PrintError(flags.status());
    std::cerr << kUsage;
    return kExitUsage;
  }
  // Before any work: without the library there is no report to write.
  const absl::StatusOr<std::string> library = LoadChartsLibrary();
  if (!library.ok()) {
    PrintError(library.status());
    return kExitFailed;
  }
  const absl::StatusOr<StageOptions> options = ReadStageOptions(*flags);
  if (!options.ok()) {
    PrintError(options.status());
    return kExitUsage;
  }
  absl::StatusOr<coordinator::Stages> stages = OpenStages(*options);
  if (!stages.ok()) {
    PrintError(stages.status());
    return kExitFailed;
  }
  const std::string& id = flags->positional()[0];
  // A job first, as bt show: a job's children have ids that start with its.
  const absl::StatusOr<bool> is_job = IsStoredJob(*stages->results, id);
  if (!is_job.ok()) {
    PrintError(is_job.status());
    return RunLookupExitCode(is_job.status());
  }
  if (*is_job) return ReportJob(*stages->results, id, *flags, *library);
  const absl::StatusOr<v1::GetRunResponse> fetched =
      FetchRun(*stages->results, id,
               /*include_records=*/true);
  if (!fetched.ok()) {
    PrintError(fetched.status());
    return RunLookupExitCode(fetched.status());
  }
  const v1::GetRunResponse& run = *fetched;
  const results::PriceData prices = ReadPrices(*stages->data, run);
  for (const std::string& note : prices.notes) {
    std::cerr << "note: " << note << "\n";
  }
  const absl::Status written = WritePage(
      flags->GetOr("out", absl::StrCat("report-", run.run().run_id(), ".html")),
      results::RenderHtmlReport(run, prices, *library), "--out");
  if (!written.ok()) {
    PrintError(written);
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace seed::cli
