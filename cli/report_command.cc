// bt report RUN [--out FILE.html]: one self-contained HTML report of a stored
// run. The run comes from the results stage, the bars of its price charts
// from the data stage (the run's canonical spec says which), the chart
// library from the file scripts/setup.sh installs.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "backtest/v1/spec.pb.h"
#include "cli/commands.h"
#include "cli/stage_access.h"
#include "google/protobuf/util/json_util.h"
#include "services/coordinator/series_reader.h"
#include "services/results/report.h"

namespace seed::cli {
namespace {

namespace v1 = ::backtest::v1;

constexpr char kUsage[] =
    "usage: bt report RUN [--out FILE.html] [--db FILE | --results-addr "
    "HOST:PORT ...]\n";

// $BT_CHARTS_JS, else the installed file under $BT_HOME (which ./bt sets to
// the repository), else under the current directory.
std::string ChartsLibraryPath() {
  if (const char* path = std::getenv("BT_CHARTS_JS"); path && *path) {
    return path;
  }
  const char* home = std::getenv("BT_HOME");
  return (std::filesystem::path(home && *home ? home : ".") /
          results::kChartsLibraryPath)
      .lexically_normal()
      .string();
}

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
  v1::OpenDatasetRequest open;
  open.set_run_id(absl::StrCat("report-", run.run().run_id()));
  *open.mutable_data() = spec.data();
  v1::OpenDatasetResponse dataset;
  absl::Status status = data.OpenDataset(open, &dataset);
  if (!status.ok()) {
    prices.notes.push_back(
        absl::StrCat("The data cannot be read now: ", status.message()));
    return prices;
  }
  for (int i = 0; i < dataset.symbols_size() && status.ok(); ++i) {
    const v1::SymbolSummary& symbol = dataset.symbols(i);
    v1::BarSeries& series = prices.series.emplace_back();
    series.set_symbol(symbol.symbol());
    status =
        coordinator::AppendSymbolBars(data, dataset.dataset_id(), i, &series);
    const auto stored = run.symbol_hashes().find(symbol.symbol());
    if (stored != run.symbol_hashes().end() &&
        stored->second != symbol.content_hash()) {
      prices.notes.push_back(absl::StrCat(
          symbol.symbol(), ": the data changed since the run (content hash ",
          symbol.content_hash(), ", the run used ", stored->second,
          "); the chart shows the data as it is now."));
    }
  }
  if (!status.ok()) {
    prices.series.clear();
    prices.notes.push_back(
        absl::StrCat("The bars could not be read: ", status.message()));
  }
  v1::CloseDatasetRequest close;
  close.set_dataset_id(dataset.dataset_id());
  v1::CloseDatasetResponse closed;
  // The bars are read; a dataset left open only holds memory of this process
  // (or of a data service, which frees it with the run), so the report goes on.
  data.CloseDataset(close, &closed).IgnoreError();
  return prices;
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
  const absl::StatusOr<std::string> library =
      results::ReadChartsLibrary(ChartsLibraryPath());
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
  const absl::StatusOr<v1::GetRunResponse> fetched =
      FetchRun(*stages->results, flags->positional()[0],
               /*include_records=*/true);
  if (!fetched.ok()) {
    PrintError(fetched.status());
    return RunLookupExitCode(fetched.status());
  }
  const v1::GetRunResponse& run = *fetched;
  const results::PriceData prices = ReadPrices(*stages->data, run);
  const std::string path =
      flags->GetOr("out", absl::StrCat("report-", run.run().run_id(), ".html"));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << results::RenderHtmlReport(run, prices, *library);
  out.close();
  if (out.fail()) {
    PrintError(absl::FailedPreconditionError(
        absl::StrCat("cannot write the report to ", path,
                     ": choose a writable path with --out FILE.html")));
    return kExitFailed;
  }
  for (const std::string& note : prices.notes) {
    std::cerr << "note: " << note << "\n";
  }
  // Without --out the report lands in the current directory: say where.
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error);
  std::cout << "wrote " << (error ? path : absolute.string()) << "\n";
  return kExitOk;
}

}  // namespace seed::cli
