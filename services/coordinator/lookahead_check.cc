#include "services/coordinator/lookahead_check.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "services/coordinator/forwarding_stages.h"
#include "services/coordinator/run.h"

namespace seed::coordinator {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kStage = "coordinator";
constexpr absl::string_view kNoDecision = "(none)";

// The decisions and step times of the run going on; the recording stages
// below add to it.
class Recorder {
 public:
  explicit Recorder(std::vector<std::string> symbols)
      : symbols_(std::move(symbols)) {
    Clear();
  }

  void Clear() {
    decisions_.clear();
    step_times_.clear();
    first_bar_.assign(symbols_.size(), std::nullopt);
    symbols_seen_ = 0;
  }

  template <typename Message>
  void Add(int64_t time, Decision::Kind kind, const Message& message) {
    Message without_symbol = message;
    without_symbol.clear_symbol();
    decisions_.push_back({time, kind, SymbolName(message.symbol()),
                          without_symbol.ShortDebugString()});
  }

  void AddStep(const v1::TimeStep& step) {
    // Several strategies each see the same step: it counts once.
    if (!step_times_.empty() && step.time() <= step_times_.back()) return;
    step_times_.push_back(step.time());
    for (const v1::Bar& bar : step.bars()) {
      if (bar.symbol() >= 0 &&
          bar.symbol() < static_cast<int>(symbols_.size()) &&
          !first_bar_[bar.symbol()]) {
        first_bar_[bar.symbol()] = step.time();
        ++symbols_seen_;
      }
    }
  }

  // In step order; within a step, in the order of DESIGN.md section 2 (the
  // stages report them at different moments).
  std::vector<Decision> TakeDecisions() {
    std::stable_sort(decisions_.begin(), decisions_.end(),
                     [](const Decision& a, const Decision& b) {
                       return std::make_pair(a.time, a.kind) <
                              std::make_pair(b.time, b.kind);
                     });
    return std::move(decisions_);
  }
  std::vector<int64_t> TakeStepTimes() { return std::move(step_times_); }
  // The time from which every symbol has had a bar; none when one never had.
  std::optional<int64_t> AllListedTime() const {
    if (symbols_seen_ < symbols_.size()) return std::nullopt;
    return **std::max_element(first_bar_.begin(), first_bar_.end());
  }

 private:
  std::string SymbolName(int32_t index) const {
    if (index >= 0 && index < static_cast<int>(symbols_.size())) {
      return symbols_[index];
    }
    return absl::StrCat("#", index);
  }

  const std::vector<std::string> symbols_;
  std::vector<Decision> decisions_;
  std::vector<int64_t> step_times_;
  std::vector<std::optional<int64_t>> first_bar_;
  size_t symbols_seen_ = 0;
};

// The strategy's intents, at the step it made them; and the steps it saw.
class RecordingStrategy final : public ForwardingStrategyStage {
 public:
  RecordingStrategy(std::unique_ptr<StrategyStage> inner, Recorder& recorder)
      : ForwardingStrategyStage(std::move(inner)), recorder_(recorder) {}

  absl::Status OnSteps(const v1::StrategyStepsRequest& request,
                       v1::StrategyStepsResponse* response) override {
    const absl::Status status = inner().OnSteps(request, response);
    const int used = response->steps_used();
    // A bad count fails the run in the coordinator; nothing to record.
    if (!status.ok() || used < 1 || used > request.steps_size()) return status;
    for (int i = 0; i < used; ++i) recorder_.AddStep(request.steps(i));
    const int64_t time = request.steps(used - 1).time();
    for (const v1::Intent& intent : response->intents()) {
      recorder_.Add(time, Decision::Kind::kIntent, intent);
    }
    return status;
  }

 private:
  Recorder& recorder_;
};

// The orders the portfolio made of the intents (its rejections reach the
// results stage).
class RecordingPortfolio final : public ForwardingPortfolioStage {
 public:
  RecordingPortfolio(std::unique_ptr<PortfolioStage> inner, Recorder& recorder)
      : ForwardingPortfolioStage(std::move(inner)), recorder_(recorder) {}

  absl::Status SizeIntents(const v1::SizeIntentsRequest& request,
                           v1::SizeIntentsResponse* response) override {
    const absl::Status status = inner().SizeIntents(request, response);
    if (!status.ok()) return status;
    for (const v1::Order& order : response->orders()) {
      recorder_.Add(request.time(), Decision::Kind::kOrder, order);
    }
    return status;
  }

 private:
  Recorder& recorder_;
};

// Stands in for the results stage: records the fills and rejections the
// coordinator keeps (only those of steps it consumed) and stores nothing.
class RecordingResults final : public ResultsStage {
 public:
  explicit RecordingResults(Recorder& recorder) : recorder_(recorder) {}

  absl::Status BeginRun(const v1::BeginRunRequest& request,
                        v1::BeginRunResponse* response) override {
    response->Clear();
    summary_ = request.run();
    return absl::OkStatus();
  }
  absl::Status AppendRecords(const v1::AppendRecordsRequest& request,
                             v1::AppendRecordsResponse* response) override {
    response->Clear();
    for (const v1::Fill& fill : request.fills()) {
      // Closing at the last close (close_at_end) is where the data ends by
      // definition: in a cut run it happens at the cut.
      if (fill.role() == v1::END_OF_DATA) continue;
      recorder_.Add(fill.time(), Decision::Kind::kFill, fill);
    }
    for (const v1::Rejection& rejection : request.rejections()) {
      recorder_.Add(rejection.time(), Decision::Kind::kRejection, rejection);
    }
    return absl::OkStatus();
  }
  absl::Status FinishRun(const v1::FinishRunRequest& request,
                         v1::FinishRunResponse* response) override {
    response->Clear();
    *response->mutable_run() = summary_;
    response->mutable_run()->set_state(request.state());
    *response->mutable_run()->mutable_error() = request.error();
    return absl::OkStatus();
  }
  absl::Status ListRuns(const v1::ListRunsRequest&,
                        v1::ListRunsResponse*) override {
    return NotStored();
  }
  absl::Status GetRun(const v1::GetRunRequest&, v1::GetRunResponse*) override {
    return NotStored();
  }
  absl::Status StoreTrace(const v1::StoreTraceRequest&,
                          v1::StoreTraceResponse* response) override {
    response->Clear();  // the check's runs are not kept, nor their traces
    return absl::OkStatus();
  }
  absl::Status GetTrace(const v1::GetTraceRequest&,
                        v1::GetTraceResponse*) override {
    return NotStored();
  }
  absl::Status UpdateRun(const v1::UpdateRunRequest& request,
                         v1::UpdateRunResponse* response) override {
    response->Clear();  // nothing of the check's runs is kept but in memory
    if (!request.data_hash().empty()) {
      summary_.set_data_hash(request.data_hash());
      summary_.set_first_time(request.first_time());
      summary_.set_last_time(request.last_time());
    }
    return absl::OkStatus();
  }
  absl::Status ListRunRecords(const v1::ListRunRecordsRequest&,
                              v1::ListRunRecordsResponse*) override {
    return NotStored();
  }
  absl::Status CreateJob(const v1::CreateJobRequest&,
                         v1::CreateJobResponse*) override {
    return NotStored();
  }
  absl::Status GetJob(const v1::GetJobRequest&, v1::GetJobResponse*) override {
    return NotStored();
  }
  absl::Status ListJobs(const v1::ListJobsRequest&,
                        v1::ListJobsResponse*) override {
    return NotStored();
  }
  absl::Status StoreJobResult(const v1::StoreJobResultRequest&,
                              v1::StoreJobResultResponse*) override {
    return NotStored();
  }

 private:
  static absl::Status NotStored() {
    return StageFailure(absl::StatusCode::kUnimplemented, kStage, "NOT_STORED",
                        "the look-ahead check stores no runs");
  }

  Recorder& recorder_;
  v1::RunSummary summary_;
};

struct RunRecord {
  std::vector<Decision> decisions;
  std::vector<int64_t> step_times;
  std::optional<int64_t> all_listed_time;
  std::optional<v1::StageError> failure;
};

absl::StatusOr<RunRecord> RunOnce(Stages& stages,
                                  const backtest::v1::BacktestSpec& spec,
                                  const std::string& run_id,
                                  Recorder& recorder) {
  recorder.Clear();
  absl::StatusOr<std::unique_ptr<Run>> run = Run::Prepare(stages, spec, run_id);
  if (!run.ok()) return run.status();
  const v1::RunProgress progress =
      (*run)->Execute([](const v1::RunProgress&) {});
  RunRecord record;
  record.decisions = recorder.TakeDecisions();
  record.step_times = recorder.TakeStepTimes();
  record.all_listed_time = recorder.AllListedTime();
  if (progress.state() != v1::SUCCEEDED) {
    record.failure = progress.summary().error();
  }
  return record;
}

// data.end for a cut at `time`: always a date-time, so that a cut at
// midnight does not take in the rest of an intraday day.
std::string CutEnd(int64_t time) {
  std::string text = FormatTime(time);
  if (time % kSecondsPerDay == 0) absl::StrAppend(&text, "T00:00:00");
  return text;
}

bool SamePath(absl::string_view a, absl::string_view b) {
  const auto normal = [](absl::string_view path) {
    std::string text = fs::path(std::string(path)).lexically_normal().string();
    while (text.size() > 1 && text.back() == '/') text.pop_back();
    return text;
  };
  return normal(a) == normal(b);
}

// The spec of the run cut at `time`, reading the cut copies in `cut_dir`.
// A strategy parameter naming the data directory names the copies too, so
// a strategy that reads the files itself sees the cut data.
backtest::v1::BacktestSpec CutSpec(const backtest::v1::BacktestSpec& spec,
                                   int64_t time, const std::string& cut_dir) {
  backtest::v1::BacktestSpec cut = spec;
  cut.mutable_data()->set_path(cut_dir);
  cut.mutable_data()->set_end(CutEnd(time));
  const auto point_at_cut = [&](backtest::v1::StrategySpec& strategy) {
    for (auto& [name, value] : *strategy.mutable_params()) {
      if (value.has_text() && SamePath(value.text(), spec.data().path())) {
        value.set_text(cut_dir);
      }
    }
  };
  point_at_cut(*cut.mutable_strategy());
  for (backtest::v1::StrategySpec& strategy : *cut.mutable_strategies()) {
    point_at_cut(strategy);
  }
  return cut;
}

// The failure of a run that did start, with its stage, reason and place; not
// INVALID_ARGUMENT whatever its code was, since the spec itself was valid.
absl::Status FailedRun(const v1::StageError& error, absl::string_view what) {
  return StageFailure(absl::StatusCode::kFailedPrecondition, error.stage(),
                      error.reason(), absl::StrCat(what, ": ", error.message()),
                      {.symbol = error.symbol(),
                       .bar_time = error.bar_time(),
                       .hint = error.hint()});
}

}  // namespace

absl::string_view KindName(Decision::Kind kind) {
  switch (kind) {
    case Decision::Kind::kFill:
      return "fill";
    case Decision::Kind::kIntent:
      return "intent";
    case Decision::Kind::kOrder:
      return "order";
    case Decision::Kind::kRejection:
      return "rejection";
  }
  return "decision";
}

bool LookaheadReport::passed() const {
  return std::none_of(cuts.begin(), cuts.end(), [](const CutResult& cut) {
    return cut.divergence.has_value();
  });
}

std::vector<int64_t> ChooseCutTimes(const std::vector<int64_t>& step_times,
                                    int64_t earliest, int cuts) {
  std::vector<int64_t> times;
  const int64_t steps = static_cast<int64_t>(step_times.size());
  const int64_t first =
      std::lower_bound(step_times.begin(), step_times.end(), earliest) -
      step_times.begin();
  // Never the last step: a cut there is the full run.
  if (first > steps - 2) return times;
  const int64_t span = steps - first;
  for (int64_t k = 1; k <= cuts; ++k) {
    // The (k * span / (cuts + 1))-th step from `first`, counting from 1.
    const int64_t index = std::clamp<int64_t>(first + k * span / (cuts + 1) - 1,
                                              first, steps - 2);
    if (times.empty() || step_times[index] > times.back()) {
      times.push_back(step_times[index]);
    }
  }
  return times;
}

std::optional<Divergence> FirstDivergence(const std::vector<Decision>& full,
                                          const std::vector<Decision>& cut,
                                          int64_t cut_time) {
  const auto before_cut = [cut_time](const std::vector<Decision>& decisions,
                                     size_t i) {
    return i < decisions.size() && decisions[i].time <= cut_time;
  };
  // A decision one run made and the other did not.
  const auto one_sided = [](const Decision& decision, bool in_full) {
    Divergence divergence{decision.time, decision.symbol,
                          std::string(KindName(decision.kind)),
                          std::string(kNoDecision), std::string(kNoDecision)};
    (in_full ? divergence.full : divergence.cut) = decision.text;
    return divergence;
  };
  for (size_t i = 0;; ++i) {
    const bool in_full = before_cut(full, i);
    const bool in_cut = before_cut(cut, i);
    if (!in_full && !in_cut) return std::nullopt;
    if (!in_cut) return one_sided(full[i], true);
    if (!in_full) return one_sided(cut[i], false);
    const Decision& a = full[i];
    const Decision& b = cut[i];
    const auto a_key = std::make_pair(a.time, a.kind);
    const auto b_key = std::make_pair(b.time, b.kind);
    if (a_key < b_key) return one_sided(a, true);
    if (b_key < a_key) return one_sided(b, false);
    if (a.symbol == b.symbol && a.text == b.text) continue;
    // The same kind at the same step: the full run's decision, and what the
    // cut run made in its place (with its symbol when that is another).
    Divergence divergence{a.time, a.symbol, std::string(KindName(a.kind)),
                          a.text, b.text};
    if (a.symbol != b.symbol) {
      divergence.cut = absl::StrCat(b.symbol, ": ", b.text);
    }
    return divergence;
  }
}

absl::Status WriteCutData(const std::string& from_dir,
                          const std::vector<std::string>& symbols,
                          int64_t cut_time, const std::string& to_dir) {
  const auto failure = [&](absl::string_view what, const std::string& path) {
    return StageFailure(
        absl::StatusCode::kInternal, kStage, "CUT_DATA_FAILED",
        absl::StrCat("cannot ", what, " ", path, " for the look-ahead check"));
  };
  std::error_code error;
  fs::create_directories(to_dir, error);
  if (error) return failure("create", to_dir);
  const fs::directory_iterator entries(from_dir, error);
  if (error) return failure("list", from_dir);
  for (const fs::directory_entry& entry : entries) {
    const std::string name = entry.path().filename().string();
    const fs::path target = fs::path(to_dir) / name;
    const bool cut = entry.path().extension() == ".csv" &&
                     std::find(symbols.begin(), symbols.end(),
                               entry.path().stem().string()) != symbols.end();
    if (!cut) {
      fs::create_symlink(fs::absolute(entry.path()), target, error);
      if (error) return failure("link", target.string());
      continue;
    }
    std::ifstream in(entry.path());
    std::ofstream out(target);
    if (!in) return failure("read", entry.path().string());
    if (!out) return failure("write", target.string());
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      if (!header) {
        absl::string_view date(line);
        date = date.substr(0, date.find(','));
        date = absl::StripAsciiWhitespace(date);
        absl::ConsumePrefix(&date, "\"");
        absl::ConsumeSuffix(&date, "\"");
        const absl::StatusOr<int64_t> time = ParseTime(date);
        if (time.ok() && *time > cut_time) continue;
      }
      header = false;
      out << line << '\n';
    }
    if (!out.flush()) return failure("write", target.string());
  }
  return absl::OkStatus();
}

absl::StatusOr<LookaheadReport> CheckLookahead(
    Stages stages, const backtest::v1::BacktestSpec& spec,
    const LookaheadOptions& options) {
  if (options.cuts < 1) {
    return InvalidFields(
        kStage, "INVALID_CHECK",
        {{"cuts", absl::StrCat("must be at least 1, got ", options.cuts)}});
  }
  std::vector<std::string> symbols(spec.data().symbols().begin(),
                                   spec.data().symbols().end());
  Recorder recorder(symbols);
  if (!spec.metrics().benchmark().empty()) {
    symbols.push_back(spec.metrics().benchmark());
  }
  Stages recording;
  recording.data = std::move(stages.data);
  recording.execution = std::move(stages.execution);
  recording.strategy =
      std::make_unique<RecordingStrategy>(std::move(stages.strategy), recorder);
  recording.portfolio = std::make_unique<RecordingPortfolio>(
      std::move(stages.portfolio), recorder);
  recording.results = std::make_unique<RecordingResults>(recorder);
  if (stages.connect_strategy) {
    recording.connect_strategy =
        [connect = std::move(stages.connect_strategy), &recorder](
            const std::string& address) -> std::unique_ptr<StrategyStage> {
      return std::make_unique<RecordingStrategy>(connect(address), recorder);
    };
  }

  // Run ids of their own, so runs of two checks never meet in a shared
  // strategy service.
  const std::string run_prefix =
      absl::StrCat("lookahead-", absl::Hex(absl::GetCurrentTimeNanos()));
  absl::StatusOr<RunRecord> full =
      RunOnce(recording, spec, absl::StrCat(run_prefix, "-full"), recorder);
  if (!full.ok()) return full.status();
  if (full->failure) return FailedRun(*full->failure, "the full run failed");

  LookaheadReport report;
  report.steps = static_cast<int64_t>(full->step_times.size());
  report.decisions = static_cast<int64_t>(full->decisions.size());
  // A run needs bars of every symbol, so cuts come after the last listing.
  const std::vector<int64_t> cut_times =
      full->all_listed_time
          ? ChooseCutTimes(full->step_times, *full->all_listed_time,
                           options.cuts)
          : std::vector<int64_t>();
  if (cut_times.empty()) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "TOO_FEW_STEPS",
        absl::StrCat("the data has ", report.steps,
                     " step(s), and fewer than 2 from the time every symbol "
                     "has a bar; cutting it needs at least 2"));
  }
  for (size_t k = 0; k < cut_times.size(); ++k) {
    const int64_t time = cut_times[k];
    const std::string cut_dir =
        (fs::path(options.scratch_dir) / absl::StrCat("cut-", k + 1)).string();
    absl::Status status =
        WriteCutData(spec.data().path(), symbols, time, cut_dir);
    if (!status.ok()) return status;
    absl::StatusOr<RunRecord> cut =
        RunOnce(recording, CutSpec(spec, time, cut_dir),
                absl::StrCat(run_prefix, "-cut", k + 1), recorder);
    if (!cut.ok()) return cut.status();
    CutResult result;
    result.cut_time = time;
    result.steps = static_cast<int64_t>(cut->step_times.size());
    result.decisions = std::count_if(
        full->decisions.begin(), full->decisions.end(),
        [time](const Decision& decision) { return decision.time <= time; });
    if (cut->failure) {
      const v1::StageError& error = *cut->failure;
      result.divergence = Divergence{
          time, error.symbol(), "run", "succeeded",
          absl::StrCat("the run failed: ", DescribeStageError(error))};
    } else {
      result.divergence =
          FirstDivergence(full->decisions, cut->decisions, time);
    }
    report.cuts.push_back(std::move(result));
  }
  return report;
}

}  // namespace seed::coordinator
