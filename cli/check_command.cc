// bt check lookahead SPEC [--cuts N]: the look-ahead guard
// (services/coordinator/lookahead_check.h, docs/lookahead.md). Runs in this
// process and stores no run.
#include <stdlib.h>

#include <filesystem>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/spec_file.h"
#include "cli/stage_access.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/lookahead_check.h"
#include "services/coordinator/spec.h"

namespace seed::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kUsage[] =
    "usage: bt check lookahead SPEC.yaml [--cuts N]\n"
    "  runs SPEC on its full data and cut at N step times (default 5); exit\n"
    "  1 when a decision at or before a cut differs\n";

// A private directory for the cut copies of the data, removed when done.
class ScratchDir {
 public:
  static absl::StatusOr<ScratchDir> Create() {
    std::string pattern =
        (fs::temp_directory_path() / "bt-lookahead-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError(absl::StrCat(
          "cannot create a scratch directory like ", pattern,
          " for the cut data; set TMPDIR to a writable directory"));
    }
    return ScratchDir(pattern);
  }
  ScratchDir(ScratchDir&& other) : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  ~ScratchDir() {
    std::error_code ignored;  // a leftover temporary directory harms nobody
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

void PrintCut(int number, const coordinator::CutResult& cut) {
  std::cout << "cut " << number << " at " << FormatTime(cut.cut_time) << ": "
            << cut.steps << " steps, ";
  if (!cut.divergence) {
    std::cout << cut.decisions << " decisions identical\n";
    return;
  }
  const coordinator::Divergence& difference = *cut.divergence;
  std::cout << "DIFFERS at " << FormatTime(difference.time);
  if (!difference.symbol.empty()) std::cout << " " << difference.symbol;
  std::cout << " (" << difference.kind << ")\n"
            << "  full run: " << difference.full << "\n"
            << "  cut run:  " << difference.cut << "\n";
}

int CheckLookahead(const Args& args) {
  absl::StatusOr<Flags> flags = Flags::Parse(args, {"cuts"}, {});
  if (!flags.ok() || flags->positional().size() != 1) {
    if (!flags.ok()) PrintError(flags.status());
    std::cerr << kUsage;
    return kExitUsage;
  }
  coordinator::LookaheadOptions options;
  if (const auto text = flags->Get("cuts")) {
    if (!absl::SimpleAtoi(*text, &options.cuts) || options.cuts < 1) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
                      "--cuts must be a positive number, got '", *text, "'")),
                  kExitUsage);
    }
  }
  absl::StatusOr<std::string> text = ReadSpecFile(flags->positional()[0]);
  if (!text.ok()) return Fail(text.status(), kExitUsage);
  absl::StatusOr<backtest::v1::BacktestSpec> spec =
      coordinator::ParseSpec(*text, fs::current_path().string());
  if (!spec.ok()) return Fail(spec.status(), kExitUsage);
  absl::StatusOr<ScratchDir> scratch = ScratchDir::Create();
  if (!scratch.ok()) return Fail(scratch.status(), kExitFailed);
  options.scratch_dir = scratch->path();
  // The check records runs itself; this results file is never written to.
  absl::StatusOr<coordinator::Stages> stages = coordinator::MakeEmbeddedStages(
      (fs::path(scratch->path()) / "unused-results.db").string());
  if (!stages.ok()) return Fail(stages.status(), kExitFailed);

  absl::StatusOr<coordinator::LookaheadReport> report =
      coordinator::CheckLookahead(*std::move(stages), *spec, options);
  if (!report.ok()) {
    return Fail(report.status(), absl::IsInvalidArgument(report.status())
                                     ? kExitUsage
                                     : kExitFailed);
  }
  std::cout << "full run: " << report->steps << " steps, " << report->decisions
            << " decisions\n";
  int differing = 0;
  for (size_t i = 0; i < report->cuts.size(); ++i) {
    PrintCut(static_cast<int>(i) + 1, report->cuts[i]);
    if (report->cuts[i].divergence) ++differing;
  }
  if (differing > 0) {
    std::cout << "LOOK-AHEAD: " << differing << " of " << report->cuts.size()
              << " cuts decided differently without the later data\n";
    return kExitFailed;
  }
  std::cout << "no look-ahead: every decision at or before each of "
            << report->cuts.size() << " cuts is the same without later data\n";
  return kExitOk;
}

}  // namespace

int CheckCommand(const Args& args) {
  if (args.empty() || args[0] != "lookahead") {
    std::cerr << (args.empty() ? std::string("bt check needs a check name")
                               : absl::StrCat("unknown check '", args[0], "'"))
              << "\n"
              << kUsage;
    return kExitUsage;
  }
  return CheckLookahead(Args(args.begin() + 1, args.end()));
}

}  // namespace seed::cli
