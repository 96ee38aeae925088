// One backtest run: validates its spec against every stage, then drives the
// step cycle of DESIGN.md section 2 over the merged clock, recording results
// as it goes. A failure or a cancel ends the run with everything recorded so
// far kept, and its error names the stage, symbol and bar. Execute() runs on
// one thread; Cancel() may be called from any thread.
#ifndef SEED_SERVICES_COORDINATOR_RUN_H_
#define SEED_SERVICES_COORDINATOR_RUN_H_

#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backtest/v1/coordinator.pb.h"
#include "backtest/v1/execution.pb.h"
#include "backtest/v1/portfolio.pb.h"
#include "backtest/v1/research.pb.h"
#include "backtest/v1/spec.pb.h"
#include "common/tracing.h"
#include "services/coordinator/record_buffer.h"
#include "services/coordinator/stages.h"
#include "services/coordinator/timeframe.h"

namespace seed::coordinator {

// How a run is driven; the defaults are what every run uses. Tests set
// max_steps_per_call to 1 to compare against one step at a time.
struct RunOptions {
  // Steps offered to the stages per call: runs grow while nothing happens and
  // shrink when the strategy acts, up to this bound (a few hundred KB).
  int max_steps_per_call = 4096;
  // Record the run's trace (docs/tracing.md); off only to measure its cost.
  bool tracing = true;
  // When set, every finished run's trace is also posted there as OTLP/HTTP
  // JSON (http://HOST:PORT[/PATH]); a failed export becomes a notice.
  std::string otlp_endpoint;
  // How often progress is published while the run goes.
  absl::Duration progress_interval = absl::Milliseconds(200);
  // When records go to the results stage.
  RecordBufferLimits record_batches;
  // The principal that submitted the run, stored as RunSummary.owner.
  std::string owner;
  // The results service's address when it is remote, reported to clients
  // in RunProgress.results_address.
  std::string results_address;
  // The run's lease in the results stage (BeginRunRequest.lease_seconds):
  // a run not renewed for this long reads as ABANDONED. Records renew it as
  // they are stored; RunManager renews queued and running runs every third
  // of it.
  absl::Duration lease = absl::Seconds(60);
};

class Run {
 public:
  using ProgressCallback = std::function<void(const v1::RunProgress&)>;

  // Starts the strategy, portfolio and execution stages for this run, which
  // check their parts of the spec. Every problem of every stage comes back at
  // once (seed::FieldProblems of the status); nothing has run yet.
  // The run's trace is a child of `trace_parent` when it is valid (a
  // client's traceparent), else a new trace.
  static absl::StatusOr<std::unique_ptr<Run>> Prepare(
      Stages& stages, const backtest::v1::BacktestSpec& spec,
      std::string run_id, const RunOptions& options = {},
      const tracing::SpanContext& trace_parent = {});

  ~Run();

  const std::string& run_id() const { return run_id_; }
  // The spec with every default filled in, as canonical JSON.
  const std::string& canonical_spec() const { return canonical_spec_; }

  // Runs to the end and returns the final progress (SUCCEEDED, FAILED or
  // CANCELLED, with the summary). on_progress is called from this thread
  // every RunOptions.progress_interval and at the end.
  v1::RunProgress Execute(const ProgressCallback& on_progress);

  // Stores the run in the results stage as QUEUED (BeginRun, with its spec
  // and lease; the data identity follows once the data is loaded), so that
  // a run id is never handed out for a run that is not stored. Execute does
  // it first when it was not done. The results stage's error otherwise (the
  // run is then not stored and should be dropped).
  absl::Status Record();

  void Cancel() { cancel_requested_ = true; }

  // Makes the run a research job's child (stored with it at BeginRun).
  void set_job(backtest::v1::JobMembership job) { job_ = std::move(job); }

 private:
  Run(Stages& stages, backtest::v1::BacktestSpec spec, std::string run_id,
      const RunOptions& options);

  // What the run's summary, span and log call its strategy: its name, or
  // the ids of several joined by "+".
  static std::string StrategyLabel(const backtest::v1::BacktestSpec& spec);
  // The summary stored at BeginRun: ids, name, strategy, symbols, the time
  // of submission, fingerprint, engine and owner.
  void InitSummary();
  // Stores the loaded data's identity with the run and marks it RUNNING
  // (UpdateRun).
  absl::Status RecordDataIdentity(const v1::OpenDatasetResponse& dataset);
  absl::Status StepLoop(const v1::OpenDatasetResponse& dataset,
                        const ProgressCallback& on_progress);
  // Reads metrics.benchmark's bars over the run's range into benchmark_.
  absl::Status LoadBenchmark();
  absl::Status Finish(v1::RunState state, const v1::StageError* error);
  // Ends the per-run state of the stages started by Prepare; the first
  // failure. With `finish`, the open trades go into it and unfilled orders
  // become a notice. A stage that did not answer during the run (its
  // deadline passed, or it was unreachable) is not asked: the run ends at
  // once rather than wait for it again.
  absl::Status EndStages(v1::FinishRunRequest* finish);
  // The step loop failed with `status`: remembers a stage that did not
  // answer, so that ending the run does not wait for it.
  void NoteUnresponsiveStage(const absl::Status& status);
  // The portfolio could not end the run: the positions of the last view it
  // gave, as open trades marked to their last close.
  void OpenTradesFromLastView(v1::FinishRunRequest* finish);
  // For a run that will not execute (invalid spec, destroyed unrun).
  void EndStagesOfDiscardedRun();
  void Notice(std::string text);
  // Ends the run span with the run's outcome, stores the trace with the run
  // and exports it when RunOptions.otlp_endpoint is set.
  void FinishTrace(const absl::Status& status);

  // One of the run's strategies: the stage that runs it (the built-in one,
  // or `own` when the spec names a strategy service of its own by address)
  // and its id in a run of several (empty in a run of one).
  struct StrategySlot {
    StrategyStage* stage;
    std::unique_ptr<StrategyStage> own;
    std::string id;
  };

  // What the strategies have not heard of yet: the fills and events of the
  // last close (fill timing close) and the rejections made after their hook
  // (at sizing, at that close).
  struct Untold {
    google::protobuf::RepeatedPtrField<v1::Fill> fills;
    google::protobuf::RepeatedPtrField<v1::OrderEvent> events;
    google::protobuf::RepeatedPtrField<v1::Rejection> rejections;
  };

  // 3. of the cycle: every strategy hears of its fills, events and
  // rejections (the untold ones first) and sees the window's steps with its
  // own views, up to the first step where it acts; its intents, tagged with
  // its index, go to `intents`. Returns the steps used (in a run of several
  // strategies the window is one step, so every strategy uses it).
  absl::StatusOr<int> CallStrategies(
      google::protobuf::RepeatedPtrField<v1::TimeStep>& window,
      v1::ExecuteStepsResponse& executed, v1::ApplyStepsResponse& applied,
      Untold& untold, google::protobuf::RepeatedPtrField<v1::Intent>& intents);

  // Fill timing close: the orders and amendments accepted at `step` go to
  // execution's close of that step (with the buying power and marks of
  // `view`, the portfolio at its close), and its fills to the portfolio's.
  // *view becomes the portfolio after them.
  absl::Status FillAtClose(
      const v1::TimeStep& step,
      google::protobuf::RepeatedPtrField<v1::Order>& orders,
      google::protobuf::RepeatedPtrField<v1::OrderAmendment>& amendments,
      v1::PortfolioView& view, v1::ExecuteStepsResponse& executed,
      v1::ApplyStepsResponse& applied);

  Stages& stages_;
  std::vector<StrategySlot> strategies_;
  const RunOptions options_;
  backtest::v1::BacktestSpec spec_;
  std::string run_id_;
  backtest::v1::JobMembership job_;
  std::string canonical_spec_;
  std::string spec_hash_;
  std::atomic<bool> cancel_requested_{false};
  bool stages_started_ = false;
  // The execution stage asked to see every step (its models follow bars).
  bool execution_every_step_ = false;
  // The higher timeframes the strategies asked for: every step carries their
  // bars that closed by then.
  std::vector<Timeframe> timeframes_;
  bool run_recorded_ = false;  // results.BeginRun succeeded
  // As stored, without the outcome: InitSummary, then the data identity.
  v1::RunSummary summary_;
  std::string dataset_id_;
  v1::RunProgress progress_;
  RecordBuffer records_;
  // The portfolio as of the last consumed step's close.
  v1::PortfolioView last_view_;
  // Stages that did not answer during the run: "execution", ...
  std::vector<std::string> unresponsive_stages_;
  v1::BarSeries benchmark_;
  // Times of the first and last step being processed, for error context.
  static constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();
  int64_t chunk_first_time_ = kNoTime;
  int64_t chunk_last_time_ = kNoTime;
  // The run's trace: every span of every stage, and its root span (unset
  // with RunOptions.tracing off).
  tracing::TraceRecorder trace_;
  std::optional<tracing::Span> run_span_;
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_RUN_H_
