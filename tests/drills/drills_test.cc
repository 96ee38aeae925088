// Failure drills (issue 5): every stage is broken on purpose, in distributed
// mode (each service its own `bt serve --only=NAME` process, so one can be
// killed and restarted) and in embedded mode where the fault can happen there.
// Each drill checks that the run ends FAILED or CANCELLED naming the right
// stage (symbol and bar where they apply), that its stored trace marks the
// failing span (CheckTrace), that everything recorded before the failure is
// still stored and equals a healthy reference run's records up to that
// point, and that the coordinator goes on serving other runs.
// docs/failures.md describes what each failure looks like to a user.
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "backtest/v1/coordinator.grpc.pb.h"
#include "common/health_client.h"
#include "common/server.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/remote_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/coordinator/services_config.h"
#include "services/data/synthetic_market.h"
#include "tests/child_process.h"
#include "tests/loopback_services.h"
#include "tests/stored_run.h"

namespace seed {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::backtest::v1;
using ::google::protobuf::util::MessageDifferencer;
using testing::ChildProcess;

// Short, so a strategy that never answers fails its run in about a second.
constexpr char kStepDeadline[] = "1s";
constexpr absl::Duration kStartTimeout = absl::Seconds(60);

fs::path Workspace() { return fs::path(::testing::TempDir()) / "drills"; }

std::string ReadText(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::trunc);
  file << text;
}

// A run as the drills see it: its final progress, what the results stage
// stored of it, and its stored trace (or why none could be read).
struct Outcome : testing::StoredRun {
  absl::StatusOr<v1::Trace> trace = absl::NotFoundError("trace not fetched");
};

// How a drill's run must end. Empty strings are not checked.
struct ExpectedEnd {
  v1::RunState state = v1::FAILED;
  std::string stage;
  std::string reason;
  std::string symbol;
  std::string bar_time;     // the error's bar time, or a range holding it
  std::string message_has;  // the error's message contains this
  // The failing span's name, e.g. "execution.execute_steps"; any when empty.
  std::string failing_span;
  // Calls that failed after the failure and are ERROR besides the failing
  // span and its ancestors (e.g. ending the run on a service that died).
  std::vector<std::string> also_failed;
};

absl::StatusOr<v1::Trace> FetchTrace(coordinator::ResultsStage& results,
                                     const std::string& run_id) {
  v1::GetTraceRequest request;
  request.set_run_id(run_id);
  v1::GetTraceResponse response;
  const absl::Status status = results.GetTrace(request, &response);
  if (!status.ok()) return status;
  return response.trace();
}

Outcome WithTrace(testing::StoredRun run, coordinator::ResultsStage& results) {
  Outcome outcome;
  static_cast<testing::StoredRun&>(outcome) = std::move(run);
  outcome.trace = FetchTrace(results, outcome.run_id);
  return outcome;
}

std::string StringAttribute(const v1::Span& span, absl::string_view key) {
  for (const v1::SpanAttribute& attribute : span.attributes()) {
    if (attribute.key() == key) return attribute.string_value();
  }
  return "";
}

class DrillsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(Workspace());
    fs::create_directories(Workspace());
    // A small market for the quick drills and a long one (one symbol, many
    // steps) for the drills that strike in the middle of a run.
    data::SyntheticMarketOptions market;
    market.output_dir = Market().string();
    market.symbols = 3;
    market.seed = 11;
    market.trading_days = 600;
    ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());
    market.output_dir = LongMarket().string();
    market.symbols = 1;
    market.trading_days = 60000;
    ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());

    addresses_ = testing::WriteLoopbackServicesConfig(
        (Workspace() / "services.yaml").string());
    // The five stages, then the coordinator that needs them.
    for (const absl::string_view name : coordinator::kServiceNames) {
      StartService(std::string(name));
      if (HasFatalFailure()) return;
    }
    StartFaultyStrategy();
  }

  static void TearDownTestSuite() {
    // A hung call keeps the Python server from stopping on SIGTERM.
    if (faulty_strategy_ != nullptr) faulty_strategy_->Signal(SIGKILL);
    delete faulty_strategy_;
    faulty_strategy_ = nullptr;
    for (auto& [name, service] : services_) delete service;
    services_.clear();
  }

  static fs::path Market() { return Workspace() / "market"; }
  static fs::path LongMarket() { return Workspace() / "long_market"; }
  static fs::path DistributedDb() { return Workspace() / "distributed.db"; }

  // `bt serve --only=NAME`, optionally through a shell prefix (a resource
  // limit), with its own database when given. Waits until SERVING.
  static void StartService(const std::string& name,
                           const std::string& shell_prefix = "",
                           const fs::path& database = DistributedDb()) {
    std::vector<std::string> argv = {
        "cli/bt",
        "serve",
        absl::StrCat("--only=", name),
        absl::StrCat("--config=", (Workspace() / "services.yaml").string()),
        absl::StrCat("--db=", database.string()),
        absl::StrCat("--step-deadline=", kStepDeadline)};
    if (!shell_prefix.empty()) {
      argv = {"/bin/bash", "-c",
              absl::StrCat(shell_prefix, "; exec ", absl::StrJoin(argv, " "))};
    }
    absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(
        argv, (Workspace() / absl::StrCat(name, ".log")).string());
    ASSERT_TRUE(process.ok()) << process.status();
    services_[name] = process->release();
    const absl::Status ready = WaitUntilServing(
        *coordinator::AddressOf(addresses_, name), kStartTimeout);
    ASSERT_TRUE(ready.ok()) << ready << "\n" << services_[name]->Log();
  }

  static void StopService(const std::string& name, int signal_number) {
    ChildProcess* service = services_[name];
    service->Signal(signal_number);
    service->Wait();
    delete service;
    services_.erase(name);
  }

  static void StartFaultyStrategy() {
    absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(
        {"/usr/bin/python3", "tests/fixtures/faulty_strategy.py", "--listen",
         "127.0.0.1:0", "--protos", "protos", "--stubs",
         (Workspace() / "stubs").string()},
        (Workspace() / "faulty_strategy.log").string());
    ASSERT_TRUE(process.ok()) << process.status();
    faulty_strategy_ = process->release();
    const std::string kListening = "strategy service listening on ";
    const absl::Time deadline = absl::Now() + kStartTimeout;
    while (absl::Now() < deadline && faulty_strategy_->Running()) {
      const std::string log = faulty_strategy_->Log();
      const size_t at = log.find(kListening);
      if (at != std::string::npos && log.find('\n', at) != std::string::npos) {
        faulty_address_ =
            log.substr(at + kListening.size(),
                       log.find('\n', at) - at - kListening.size());
        return;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    FAIL() << "the faulty strategy server did not start:\n"
           << faulty_strategy_->Log();
  }

  // --- Specs ---------------------------------------------------------------

  static std::string Spec(const std::string& name, const std::string& data,
                          const std::string& strategy) {
    return absl::StrCat(
        "name: ", name, "\n", "data: ", data, "\n", "strategy: ", strategy,
        "\n",
        "portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, "
        "percent: 0.3}}\n"
        "execution: {commission: {model: percent, bps: 10}, slippage: "
        "{model: fixed_bps, bps: 5}}\n");
  }
  static std::string MarketData(const fs::path& dir,
                                const std::string& extra = "") {
    return absl::StrCat("{path: ", dir.string(),
                        ", symbols: [SYNA, SYNB, SYNC]", extra, "}");
  }
  static std::string LongSpec(const std::string& name) {
    return Spec(
        name,
        absl::StrCat("{path: ", LongMarket().string(), ", symbols: [SYNA]}"),
        "{name: sma_cross, params: {fast: 5, slow: 20}}");
  }
  static std::string FaultySpec(const std::string& fault, int at_bar) {
    return Spec(absl::StrCat("faulty-", fault), MarketData(Market()),
                absl::StrCat("{name: faulty, address: ", faulty_address_,
                             ", params: {fast: 5, slow: 20, fault: ", fault,
                             ", at_bar: ", at_bar, "}}"));
  }

  // --- Running -------------------------------------------------------------

  // Embedded mode: the stages in this process, results in their own file.
  static Outcome RunEmbedded(const std::string& spec) {
    coordinator::RemoteOptions options;
    EXPECT_TRUE(absl::ParseDuration(kStepDeadline, &options.step_deadline));
    absl::StatusOr<coordinator::Stages> stages =
        coordinator::MakeEmbeddedStages((Workspace() / "embedded.db").string(),
                                        options);
    EXPECT_TRUE(stages.ok()) << stages.status();
    coordinator::RunManager runs(*std::move(stages));
    return WithTrace(testing::RunToEnd(runs, spec), *runs.stages().results);
  }

  static std::unique_ptr<v1::CoordinatorService::Stub> Coordinator() {
    return v1::CoordinatorService::NewStub(MakeChannel(addresses_.coordinator));
  }

  static std::string Submit(const std::string& spec) {
    return testing::SubmitRemote(addresses_.coordinator, spec);
  }

  // Watches a submitted run; `on_progress` may act on the run while it goes
  // (it is called with each update). Fetches what was stored at the end.
  static Outcome WatchToEnd(
      const std::string& run_id,
      const std::function<void(const v1::RunProgress&)>& on_progress = {}) {
    return WithTrace(testing::WatchRemote(addresses_, run_id, on_progress),
                     *coordinator::MakeRemoteStages(addresses_).results);
  }

  static Outcome RunDistributed(const std::string& spec) {
    return WatchToEnd(Submit(spec));
  }

  // --- Checks --------------------------------------------------------------

  // Whether an error's bar time ("2016-02-25", or the chunk of steps in
  // flight "2016-02-24..2016-02-29") covers `time`; ISO times sort as text.
  static bool BarTimeCovers(const std::string& bar_time,
                            const std::string& time) {
    if (time.empty() || bar_time == time) return true;
    const std::vector<std::string> range = absl::StrSplit(bar_time, "..");
    return range.size() == 2 && range[0] <= time && time <= range[1];
  }

  // How the run ended, in its progress, in what bt show prints (the stored
  // summary) and in its stored trace. One call per drill result.
  static void CheckEnd(const Outcome& outcome, const ExpectedEnd& expected) {
    SCOPED_TRACE(outcome.progress.DebugString());
    ASSERT_EQ(outcome.progress.state(), expected.state);
    for (const v1::RunSummary* summary :
         {&outcome.progress.summary(), &outcome.stored.run()}) {
      EXPECT_EQ(summary->state(), expected.state);
      const v1::StageError& error = summary->error();
      if (!expected.stage.empty()) {
        EXPECT_EQ(error.stage(), expected.stage);
      }
      if (!expected.reason.empty()) {
        EXPECT_EQ(error.reason(), expected.reason);
      }
      if (!expected.symbol.empty()) {
        EXPECT_EQ(error.symbol(), expected.symbol);
      }
      EXPECT_TRUE(BarTimeCovers(error.bar_time(), expected.bar_time))
          << error.bar_time() << " does not cover " << expected.bar_time;
      EXPECT_TRUE(absl::StrContains(error.message(), expected.message_has))
          << error.message() << " lacks " << expected.message_has;
    }
    CheckTrace(outcome, expected);
  }

  // A span's error as SetError records it (docs/tracing.md): status ERROR,
  // error.* attributes and an "exception" event of the reason; the symbol and
  // bar time where the drill names them.
  static void ExpectSpanNamesTheFailure(const v1::Span& span,
                                        const ExpectedEnd& expected) {
    SCOPED_TRACE(span.ShortDebugString());
    EXPECT_EQ(span.status_code(), v1::SPAN_STATUS_ERROR);
    if (!expected.stage.empty()) {
      EXPECT_EQ(StringAttribute(span, "error.stage"), expected.stage);
    }
    const std::string reason = StringAttribute(span, "error.reason");
    if (!expected.reason.empty()) EXPECT_EQ(reason, expected.reason);
    EXPECT_TRUE(absl::StrContains(span.status_message(), reason));
    ASSERT_EQ(span.events_size(), 1);
    EXPECT_EQ(span.events(0).name(), "exception");
    ASSERT_GE(span.events(0).attributes_size(), 1);
    EXPECT_EQ(span.events(0).attributes(0).key(), "exception.type");
    EXPECT_EQ(span.events(0).attributes(0).string_value(), reason);
    if (!expected.symbol.empty()) {
      EXPECT_EQ(StringAttribute(span, "error.symbol"), expected.symbol);
    }
    if (!expected.bar_time.empty()) {
      const std::string bar_time = StringAttribute(span, "error.bar_time");
      EXPECT_TRUE(BarTimeCovers(bar_time, expected.bar_time))
          << "'" << bar_time << "' does not cover " << expected.bar_time;
    }
  }

  // The run's stored trace: one tree under one root, the run span, which
  // says how the run ended. A failed run marks its failing span (the first
  // ERROR span without a failing child), that span's ancestors and the run
  // span, and nothing else but `also_failed`; any other run has no ERROR
  // span at all (a cancel is no error: run.state says CANCELLED).
  static void CheckTrace(const Outcome& outcome, const ExpectedEnd& expected) {
    ASSERT_TRUE(outcome.trace.ok()) << "no trace of run " << outcome.run_id
                                    << ": " << outcome.trace.status();
    const v1::Trace& trace = *outcome.trace;
    std::map<std::string, const v1::Span*> by_id;
    for (const v1::Span& span : trace.spans()) by_id[span.span_id()] = &span;
    std::vector<const v1::Span*> roots;
    std::set<std::string> failing_parents;
    for (const v1::Span& span : trace.spans()) {
      if (by_id.count(span.parent_span_id()) == 0) roots.push_back(&span);
      if (span.status_code() == v1::SPAN_STATUS_ERROR) {
        failing_parents.insert(span.parent_span_id());
      }
    }
    ASSERT_EQ(roots.size(), 1u) << "roots: " << [&roots] {
      std::string names;
      for (const v1::Span* root : roots)
        absl::StrAppend(&names, root->name(), " ");
      return names;
    }();
    const v1::Span& run = *roots[0];
    EXPECT_EQ(run.name(), "run");
    EXPECT_EQ(StringAttribute(run, "run.id"), outcome.run_id);
    EXPECT_EQ(StringAttribute(run, "run.state"),
              v1::RunState_Name(expected.state));
    if (expected.state != v1::FAILED) {
      for (const v1::Span& span : trace.spans()) {
        EXPECT_NE(span.status_code(), v1::SPAN_STATUS_ERROR)
            << span.ShortDebugString();
      }
      return;
    }
    ExpectSpanNamesTheFailure(run, expected);
    const v1::Span* failing = nullptr;
    for (const v1::Span& span : trace.spans()) {
      if (span.status_code() == v1::SPAN_STATUS_ERROR &&
          failing_parents.count(span.span_id()) == 0) {
        failing = &span;
        break;
      }
    }
    ASSERT_NE(failing, nullptr);
    ASSERT_NE(failing, &run) << "no span below the run marks the failure";
    if (!expected.failing_span.empty()) {
      EXPECT_EQ(failing->name(), expected.failing_span);
    }
    ExpectSpanNamesTheFailure(*failing, expected);
    // ERROR: the failing span and its ancestors, and the calls that failed
    // after it, each once.
    std::set<const v1::Span*> marked;
    for (const v1::Span* span = failing; span != nullptr;
         span = by_id.count(span->parent_span_id()) == 0
                    ? nullptr
                    : by_id.at(span->parent_span_id())) {
      marked.insert(span);
    }
    std::multiset<std::string> other_failures;
    for (const v1::Span& span : trace.spans()) {
      if (span.status_code() == v1::SPAN_STATUS_ERROR &&
          marked.count(&span) == 0) {
        other_failures.insert(span.name());
      }
    }
    EXPECT_EQ(other_failures,
              std::multiset<std::string>(expected.also_failed.begin(),
                                         expected.also_failed.end()));
  }

  template <typename Repeated>
  static void ExpectPrefix(const Repeated& kept, const Repeated& reference,
                           const std::string& what) {
    ASSERT_LE(kept.size(), reference.size()) << what;
    for (int i = 0; i < kept.size(); ++i) {
      ASSERT_TRUE(MessageDifferencer::Equals(kept[i], reference[i]))
          << what << " #" << i << "\nkept:      " << kept[i].ShortDebugString()
          << "\nreference: " << reference[i].ShortDebugString();
    }
  }

  // Everything the interrupted run stored equals the reference run's records
  // up to the failure: equity (at least `min_equity` points of it), fills,
  // rejections and closed trades. Trades still open at the failure are
  // stored as open, so they are compared by entry only.
  static void ExpectRecordsKept(const Outcome& failed, const Outcome& reference,
                                int min_equity) {
    EXPECT_GE(failed.stored.equity_size(), min_equity);
    ExpectPrefix(failed.stored.equity(), reference.stored.equity(), "equity");
    ExpectPrefix(failed.stored.fills(), reference.stored.fills(), "fill");
    ExpectPrefix(failed.stored.rejections(), reference.stored.rejections(),
                 "rejection");
    google::protobuf::RepeatedPtrField<v1::Trade> closed, reference_closed;
    for (const v1::Trade& trade : failed.stored.trades()) {
      if (trade.exit_time() != 0) *closed.Add() = trade;
    }
    for (const v1::Trade& trade : reference.stored.trades()) {
      if (trade.exit_time() != 0) *reference_closed.Add() = trade;
    }
    ExpectPrefix(closed, reference_closed, "closed trade");
  }

  // The coordinator still runs a healthy spec to the end.
  static void ExpectCoordinatorServes() {
    const Outcome healthy =
        RunDistributed(Spec("healthy", MarketData(Market()),
                            "{name: sma_cross, params: {fast: 5, slow: 20}}"));
    CheckEnd(healthy, {.state = v1::SUCCEEDED});
    EXPECT_GT(healthy.stored.equity_size(), 0);
  }

  // A healthy run can be submitted within `timeout` (the coordinator
  // refuses it while it has not reconnected to a restarted service), and
  // then succeeds.
  static void ExpectCoordinatorServesWithin(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    v1::SubmitRunRequest submit;
    submit.set_spec_yaml(
        Spec("healthy", MarketData(Market()),
             "{name: sma_cross, params: {fast: 5, slow: 20}}"));
    v1::SubmitRunResponse submitted;
    grpc::Status status;
    do {
      grpc::ClientContext context;
      status = Coordinator()->SubmitRun(&context, submit, &submitted);
      if (!status.ok()) absl::SleepFor(absl::Milliseconds(200));
    } while (!status.ok() && absl::Now() < deadline);
    ASSERT_TRUE(status.ok()) << status.error_message();
    CheckEnd(WatchToEnd(submitted.run_id()), {.state = v1::SUCCEEDED});
  }

  // Waits until a run has done at least `steps`, then calls `strike` once.
  static std::function<void(const v1::RunProgress&)> StrikeAfter(
      int64_t steps, std::function<void()> strike) {
    auto done = std::make_shared<bool>(false);
    return [steps, strike, done](const v1::RunProgress& progress) {
      if (*done || progress.state() != v1::RUNNING ||
          progress.steps_done() < steps) {
        return;
      }
      *done = true;
      strike();
    };
  }

  // Polls the results service until the run's stored state satisfies
  // `done` (what a client that is not watching sees); the stored run.
  static v1::GetRunResponse PollStored(
      const std::string& run_id,
      const std::function<bool(const v1::GetRunResponse&)>& done) {
    coordinator::Stages remote = coordinator::MakeRemoteStages(addresses_);
    const absl::Time deadline = absl::Now() + absl::Seconds(120);
    v1::GetRunResponse stored;
    while (absl::Now() < deadline) {
      v1::GetRunRequest request;
      request.set_run_id(run_id);
      request.set_include_records(true);
      stored.Clear();
      if (remote.results->GetRun(request, &stored).ok() && done(stored)) {
        return stored;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    ADD_FAILURE() << "run " << run_id << " did not get there in 120 s";
    return stored;
  }

  // A run nobody here watched, as stored once it ended, with its trace (the
  // coordinator stores the trace just after the outcome: polled for too).
  static Outcome PollEnded(const std::string& run_id) {
    Outcome outcome;
    outcome.run_id = run_id;
    outcome.stored = PollStored(run_id, Ended);
    outcome.progress.set_run_id(run_id);
    outcome.progress.set_state(outcome.stored.run().state());
    *outcome.progress.mutable_summary() = outcome.stored.run();
    coordinator::Stages remote = coordinator::MakeRemoteStages(addresses_);
    const absl::Time deadline = absl::Now() + absl::Seconds(120);
    do {
      outcome.trace = FetchTrace(*remote.results, run_id);
      if (outcome.trace.ok()) break;
      absl::SleepFor(absl::Milliseconds(100));
    } while (absl::Now() < deadline);
    return outcome;
  }

  static bool Ended(const v1::GetRunResponse& stored) {
    const v1::RunState state = stored.run().state();
    return state == v1::SUCCEEDED || state == v1::FAILED ||
           state == v1::CANCELLED;
  }

  static inline std::map<std::string, ChildProcess*> services_;
  static inline ChildProcess* faulty_strategy_ = nullptr;
  static inline std::string faulty_address_;
  static inline coordinator::ServiceAddresses addresses_;
};

// --- 1. data ---------------------------------------------------------------

TEST_F(DrillsTest, DataCorruptRowUnderTheStrictPolicy) {
  const fs::path corrupt = Workspace() / "corrupt";
  fs::remove_all(corrupt);
  fs::copy(Market(), corrupt);
  std::vector<std::string> lines =
      absl::StrSplit(ReadText(corrupt / "SYNB.csv"), '\n');
  ASSERT_GT(lines.size(), 300u);
  // Line 300 of the file (lines[299]): its close becomes text.
  std::vector<std::string> fields = absl::StrSplit(lines[299], ',');
  ASSERT_EQ(fields.size(), 6u) << lines[299];
  const std::string date = fields[0];
  fields[4] = "oops";
  lines[299] = absl::StrJoin(fields, ",");
  WriteText(corrupt / "SYNB.csv", absl::StrJoin(lines, "\n"));

  const std::string spec =
      Spec("corrupt", MarketData(corrupt, ", on_bad_rows: reject"),
           "{name: sma_cross}");
  const ExpectedEnd expected{.stage = "data",
                             .reason = "BAD_ROWS",
                             .symbol = "SYNB",
                             .message_has = "SYNB.csv line 300"};
  const Outcome embedded = RunEmbedded(spec);
  CheckEnd(embedded, expected);
  EXPECT_TRUE(
      absl::StrContains(embedded.progress.summary().error().message(), date));
  const Outcome distributed = RunDistributed(spec);
  CheckEnd(distributed, expected);
  // Nothing ran: the data is checked before the first step.
  EXPECT_EQ(distributed.stored.equity_size(), 0);
  ExpectCoordinatorServes();
}

TEST_F(DrillsTest, DataSymbolWithNoBarsInTheRange) {
  const std::string spec = Spec(
      "no-bars", MarketData(Market(), ", start: 1990-01-01, end: 1990-12-31"),
      "{name: sma_cross}");
  const ExpectedEnd expected{.stage = "data",
                             .reason = "NO_BARS_IN_RANGE",
                             .message_has = "1990-01-01"};
  CheckEnd(RunEmbedded(spec), expected);
  CheckEnd(RunDistributed(spec), expected);
  ExpectCoordinatorServes();
}

// Tests run as root, which reads any file whatever its mode; a directory
// where SYNA.csv should be is a fault root cannot read past.
TEST_F(DrillsTest, DataFileUnreadable) {
  const fs::path broken = Workspace() / "dir_in_place_of_file";
  fs::remove_all(broken);
  fs::copy(Market(), broken);
  fs::remove(broken / "SYNA.csv");
  fs::create_directory(broken / "SYNA.csv");
  const std::string spec =
      Spec("unreadable-file", MarketData(broken), "{name: sma_cross}");
  const ExpectedEnd expected{
      .stage = "data",
      .reason = "NOT_A_REGULAR_FILE",
      .symbol = "SYNA",
      .message_has = absl::StrCat((broken / "SYNA.csv").string(),
                                  " is a directory, not a regular file")};
  CheckEnd(RunEmbedded(spec), expected);
  CheckEnd(RunDistributed(spec), expected);
  ExpectCoordinatorServes();
}

// data.path runs through a regular file: no directory can be read there.
TEST_F(DrillsTest, DataDirectoryUnreadable) {
  const std::string path = (Market() / "SYNA.csv" / "prices").string();
  const std::string spec = Spec(
      "unreadable-dir", absl::StrCat("{path: ", path, ", symbols: [SYNA]}"),
      "{name: sma_cross}");
  const ExpectedEnd expected{
      .stage = "data",
      .reason = "DATA_DIR_UNREADABLE",
      .message_has = absl::StrCat("cannot read data directory ", path,
                                  ": Not a directory")};
  CheckEnd(RunEmbedded(spec), expected);
  CheckEnd(RunDistributed(spec), expected);
  ExpectCoordinatorServes();
}

// --- 2. strategy -------------------------------------------------------------

class StrategyDrillsTest : public DrillsTest {
 protected:
  // The faulty strategy acts up at this step; it trades before, so records
  // exist to be kept.
  static constexpr int kFaultStep = 300;

  // The date of step kFaultStep (every synthetic symbol trades from the
  // first day but the late listing, so steps follow SYNA's rows).
  static std::string FaultDate() {
    std::vector<std::string> lines =
        absl::StrSplit(ReadText(Market() / "SYNA.csv"), '\n');
    return std::vector<std::string>(absl::StrSplit(lines[kFaultStep], ','))[0];
  }

  // Runs the fault in both modes against a reference run of the same
  // strategy without a fault.
  void Drill(const std::string& fault, const ExpectedEnd& expected) {
    const Outcome reference = RunEmbedded(FaultySpec("none", kFaultStep));
    ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED)
        << reference.progress.DebugString();
    ASSERT_GT(reference.stored.fills_size(), 0);
    for (const bool distributed : {false, true}) {
      SCOPED_TRACE(distributed ? "distributed" : "embedded");
      const Outcome failed = distributed
                                 ? RunDistributed(FaultySpec(fault, kFaultStep))
                                 : RunEmbedded(FaultySpec(fault, kFaultStep));
      CheckEnd(failed, expected);
      ExpectRecordsKept(failed, reference, kFaultStep / 2);
      EXPECT_GT(failed.stored.fills_size(), 0);
    }
    ExpectCoordinatorServes();
  }
};

TEST_F(StrategyDrillsTest, StrategyThrowsAtABar) {
  Drill("throw", {.stage = "strategy",
                  .reason = "STRATEGY_EXCEPTION",
                  .bar_time = FaultDate(),
                  .message_has = "deliberate exception at step 300"});
}

TEST_F(StrategyDrillsTest, StrategyNeverAnswers) {
  Drill("hang", {.stage = "strategy",
                 .reason = "DEADLINE_EXCEEDED",
                 .bar_time = FaultDate()});
}

// A malformed intent fails the run as the strategy's fault: the portfolio
// checks every intent with common/intent_check before sizing, whichever
// process made it.
TEST_F(StrategyDrillsTest, StrategyReturnsNegativeQuantity) {
  Drill("negative_quantity", {.stage = "strategy",
                              .reason = "INVALID_INTENT",
                              .symbol = "SYNA",
                              .bar_time = FaultDate()});
}

TEST_F(StrategyDrillsTest, StrategyReturnsStopOnTheWrongSide) {
  Drill("wrong_side_stop", {.stage = "strategy",
                            .reason = "INVALID_INTENT",
                            .symbol = "SYNA",
                            .bar_time = FaultDate()});
}

TEST_F(StrategyDrillsTest, StrategyReturnsUnknownSymbol) {
  Drill("unknown_symbol", {.stage = "strategy",
                           .reason = "INVALID_INTENT",
                           .bar_time = FaultDate()});
}

// --- 3. portfolio
// -------------------------------------------------------------

// portfolio.limits.on_breach: fail, and a margin account's liquidation.
TEST_F(DrillsTest, PortfolioHardLimitInStrictMode) {
  // Each entry is sized at 30% of equity; the cap is 10%.
  const std::string spec = absl::StrCat(
      "name: strict-limit\n", "data: ", MarketData(Market()), "\n",
      "strategy: {name: sma_cross, params: {fast: 5, slow: 20}}\n"
      "portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, "
      "percent: 0.3}, limits: {max_position_percent: 0.1, on_breach: fail}}\n"
      "execution: {commission: {model: none}, slippage: {model: none}}\n");
  const Outcome reference =
      RunEmbedded(Spec("reference", MarketData(Market()),
                       "{name: sma_cross, params: {fast: 5, slow: 20}}"));
  for (const bool distributed : {false, true}) {
    SCOPED_TRACE(distributed ? "distributed" : "embedded");
    const Outcome failed =
        distributed ? RunDistributed(spec) : RunEmbedded(spec);
    CheckEnd(failed,
             {.stage = "portfolio", .message_has = "max_position_percent"});
    EXPECT_FALSE(failed.progress.summary().error().symbol().empty());
    EXPECT_FALSE(failed.progress.summary().error().bar_time().empty());
    // The first entry breaks the cap: the equity before it is kept.
    EXPECT_EQ(failed.stored.fills_size(), 0);
    ExpectPrefix(failed.stored.equity(), reference.stored.equity(), "equity");
  }
  ExpectCoordinatorServes();
}

// A leveraged long position in a symbol that rises (sma_cross buys) and then
// crashes by 70%: the maintenance margin is breached, the position is
// liquidated, and the run completes with the liquidation recorded.
TEST_F(DrillsTest, PortfolioMarginBreachLiquidates) {
  const fs::path dir = Workspace() / "crash";
  fs::create_directories(dir);
  std::string csv = "date,open,high,low,close,volume\n";
  std::vector<double> closes;
  for (int i = 0; i < 10; ++i) closes.push_back(100 - i);     // falling
  for (int i = 0; i < 10; ++i) closes.push_back(92 + 3 * i);  // rising: buy
  for (int i = 0; i < 10; ++i) closes.push_back(36);          // crashed
  absl::CivilDay day(2020, 1, 1);
  for (const double close : closes) {
    while (absl::GetWeekday(day) == absl::Weekday::saturday ||
           absl::GetWeekday(day) == absl::Weekday::sunday) {
      ++day;
    }
    absl::StrAppend(&csv, absl::FormatCivilTime(day), ",", close, ",", close,
                    ",", close, ",", close, ",1000\n");
    ++day;
  }
  WriteText(dir / "CRASH.csv", csv);
  const std::string spec = absl::StrCat(
      "name: margin-call\n", "data: {path: ", dir.string(),
      ", symbols: [CRASH]}\n",
      "strategy: {name: sma_cross, params: {fast: 2, slow: 4}}\n"
      "portfolio: {initial_cash: 100000, sizing: {rule: fixed_quantity, "
      "quantity: 1900}, account: {type: margin, initial_margin: 0.5, "
      "maintenance_margin: 0.25}}\n"
      "execution: {commission: {model: none}, slippage: {model: none}}\n");
  for (const bool distributed : {false, true}) {
    SCOPED_TRACE(distributed ? "distributed" : "embedded");
    const Outcome outcome =
        distributed ? RunDistributed(spec) : RunEmbedded(spec);
    CheckEnd(outcome, {.state = v1::SUCCEEDED});
    bool liquidated = false;
    for (const v1::Trade& trade : outcome.stored.trades()) {
      liquidated = liquidated || trade.exit_reason() == "liquidation";
    }
    EXPECT_TRUE(liquidated) << outcome.stored.DebugString();
    // The trace shows it: the portfolio's call that stopped at the margin
    // call, and the sizing that added the liquidating order.
    ASSERT_TRUE(outcome.trace.ok());
    std::string margin_call;
    bool liquidation_ordered = false;
    for (const v1::Span& span : outcome.trace->spans()) {
      if (span.name() == "portfolio.apply_steps" && margin_call.empty()) {
        margin_call = StringAttribute(span, "margin_call");
      }
      for (const v1::SpanAttribute& attribute : span.attributes()) {
        liquidation_ordered =
            liquidation_ordered || (span.name() == "portfolio.size_intents" &&
                                    attribute.key() == "liquidation_orders" &&
                                    attribute.int_value() == 1);
      }
    }
    EXPECT_TRUE(absl::StrContains(margin_call, "maintenance")) << margin_call;
    EXPECT_TRUE(liquidation_ordered);
  }
}

// --- 4. execution
// -------------------------------------------------------------

// SIGKILL of the execution service in the middle of a run; then it restarts,
// reports SERVING once ready, and the same spec (same fingerprint) runs to
// the end with the records the interrupted run kept as its beginning.
TEST_F(DrillsTest, ExecutionKilledMidRun) {
  const std::string spec = LongSpec("execution-killed");
  const Outcome reference = RunEmbedded(spec);
  ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED);

  const Outcome killed = WatchToEnd(Submit(spec), StrikeAfter(4096, [] {
                                      services_["execution"]->Signal(SIGKILL);
                                    }));
  CheckEnd(killed, {.stage = "execution",
                    .reason = "STAGE_UNAVAILABLE",
                    .message_has = addresses_.execution,
                    .failing_span = "execution.execute_steps",
                    // Ending the run on the dead service fails too.
                    .also_failed = {"execution.end_run"}});
  ExpectRecordsKept(killed, reference, 4096);
  EXPECT_LT(killed.stored.equity_size(), reference.stored.equity_size());

  services_["execution"]->Wait();
  delete services_["execution"];
  services_.erase("execution");
  EXPECT_FALSE(
      WaitUntilServing(addresses_.execution, absl::Milliseconds(300)).ok());
  StartService("execution");
  ASSERT_TRUE(WaitUntilServing(addresses_.execution, absl::Seconds(1)).ok());
  // The coordinator's channel retries the connection every
  // kReconnectBackoffMs; until then its calls fail at once.
  ExpectCoordinatorServesWithin(absl::Seconds(10));

  const Outcome rerun = RunDistributed(spec);
  CheckEnd(rerun, {.state = v1::SUCCEEDED});
  EXPECT_EQ(rerun.stored.equity_size(), reference.stored.equity_size());
  ExpectRecordsKept(killed, rerun, 4096);
  // Same fingerprint: spec, data and code.
  EXPECT_EQ(rerun.stored.run().spec_hash(), killed.stored.run().spec_hash());
  EXPECT_EQ(rerun.stored.run().data_hash(), killed.stored.run().data_hash());
  EXPECT_EQ(rerun.stored.run().engine_version(),
            killed.stored.run().engine_version());
  EXPECT_FALSE(rerun.stored.run().spec_hash().empty());
  ExpectCoordinatorServes();
}

// --- 6. cancel and the client leaving ---------------------------------------

// --- 5. results -------------------------------------------------------------

// The disk fills up while the run writes: the results service runs under a
// file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored, so a write past it
// fails with EFBIG as on a full disk) big enough for the run to start but
// not for its first batch of records. Then the limit goes away (the service
// restarts on the same database) and a retry stores the whole run. The
// failed run's trace cannot reach the full disk either: the coordinator
// keeps it and stores it when the retry ends, so both runs have theirs.
TEST_F(DrillsTest, ResultsDiskFullWhileTheRunWrites) {
  const std::string spec = LongSpec("disk-full");
  const Outcome reference = RunEmbedded(spec);
  ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED);
  const fs::path database = Workspace() / "disk_full.db";
  fs::remove(database);

  StopService("results", SIGTERM);
  StartService("results", "trap '' XFSZ; ulimit -f 256", database);
  if (HasFatalFailure()) return;
  const Outcome failed = RunDistributed(spec);
  const ExpectedEnd expected{.stage = "results",
                             .reason = "DISK_FULL",
                             .message_has = "full",
                             .failing_span = "results.append_records"};
  EXPECT_EQ(failed.progress.state(), v1::FAILED);
  const v1::StageError& error = failed.progress.summary().error();
  EXPECT_EQ(error.stage(), expected.stage) << failed.progress.DebugString();
  EXPECT_EQ(error.reason(), expected.reason) << failed.progress.DebugString();
  EXPECT_TRUE(absl::StrContains(error.message(), expected.message_has))
      << failed.progress.DebugString();
  // Its trace is not stored yet, and the run says where it is.
  EXPECT_TRUE(absl::IsNotFound(failed.trace.status())) << failed.trace.status();
  bool trace_kept = false;
  for (const std::string& notice : failed.progress.notices()) {
    trace_kept = trace_kept ||
                 absl::StrContains(notice, "the coordinator keeps the trace");
  }
  EXPECT_TRUE(trace_kept) << failed.progress.DebugString();

  StopService("results", SIGTERM);
  StartService("results", "", database);
  if (HasFatalFailure()) return;
  // What reached the disk before it filled up is still there, and the
  // outcome (an update in place, no growth) says why the run failed.
  Outcome kept = failed;
  coordinator::Stages remote = coordinator::MakeRemoteStages(addresses_);
  kept.stored = testing::FetchRun(*remote.results, failed.run_id);
  ExpectRecordsKept(kept, reference, 0);
  const Outcome retry = RunDistributed(spec);
  CheckEnd(retry, {.state = v1::SUCCEEDED});
  ExpectRecordsKept(retry, reference, reference.stored.equity_size());
  EXPECT_EQ(retry.stored.equity_size(), reference.stored.equity_size());
  EXPECT_EQ(retry.stored.fills_size(), reference.stored.fills_size());
  EXPECT_EQ(retry.stored.run().spec_hash(), reference.stored.run().spec_hash());
  EXPECT_EQ(retry.stored.run().data_hash(), reference.stored.run().data_hash());
  // The retry stored the failed run's trace before its own.
  kept.trace = FetchTrace(*remote.results, failed.run_id);
  CheckEnd(kept, expected);

  StopService("results", SIGTERM);
  StartService("results");
  if (HasFatalFailure()) return;
  ExpectCoordinatorServes();
}

// --- 6. cancel and the client leaving ---------------------------------------

// `bt run --remote` killed while it watches: the coordinator sees its only
// watcher leave and cancels the run, keeping what was recorded. The faulty
// strategy slows down from step 100 so the run is still going when the
// client dies.
TEST_F(DrillsTest, ClientDisconnectsWhileWatching) {
  constexpr int kSlowStep = 100;
  const Outcome reference = RunEmbedded(FaultySpec("none", kSlowStep));
  ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED);
  const fs::path spec_file = Workspace() / "client_gone.yaml";
  WriteText(spec_file, FaultySpec("slow", kSlowStep));
  absl::StatusOr<std::unique_ptr<ChildProcess>> client =
      ChildProcess::Start({"cli/bt", "run", spec_file.string(),
                           absl::StrCat("--remote=", addresses_.coordinator),
                           absl::StrCat("--results=", addresses_.results)},
                          (Workspace() / "client_gone.log").string());
  ASSERT_TRUE(client.ok()) << client.status();
  const std::string slow_line = absl::StrCat("slow from step ", kSlowStep);
  std::string run_id;
  const absl::Time deadline = absl::Now() + kStartTimeout;
  const std::string kSubmitted = "submitted run ";
  while (absl::Now() < deadline &&
         (run_id.empty() ||
          !absl::StrContains(faulty_strategy_->Log(), slow_line))) {
    const std::string log = (*client)->Log();
    const size_t at = log.find(kSubmitted);
    const size_t end = at == std::string::npos
                           ? std::string::npos
                           : log.find(' ', at + kSubmitted.size());
    if (end != std::string::npos) {
      run_id = log.substr(at + kSubmitted.size(), end - at - kSubmitted.size());
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_FALSE(run_id.empty()) << (*client)->Log();
  (*client)->Signal(SIGKILL);
  (*client)->Wait();
  const Outcome gone = PollEnded(run_id);
  CheckEnd(
      gone,
      {.state = v1::CANCELLED, .stage = "coordinator", .reason = "CANCELLED"});
  ExpectRecordsKept(gone, reference, kSlowStep - 10);
  EXPECT_LT(gone.stored.equity_size(), reference.stored.equity_size());
  ExpectCoordinatorServes();
}

// A run submitted without a watcher is detached: it runs to the end.
TEST_F(DrillsTest, UnwatchedRunGoesOn) {
  CheckEnd(PollEnded(Submit(LongSpec("detached"))), {.state = v1::SUCCEEDED});
}

TEST_F(DrillsTest, CancelInTheMiddleOfARun) {
  const std::string spec = LongSpec("cancelled");
  const Outcome reference = RunEmbedded(spec);
  const std::string run_id = Submit(spec);
  const Outcome cancelled = WatchToEnd(
      run_id, StrikeAfter(4096, [run_id] {
        v1::CancelRunRequest cancel;
        cancel.set_run_id(run_id);
        v1::CancelRunResponse response;
        grpc::ClientContext context;
        EXPECT_TRUE(Coordinator()->CancelRun(&context, cancel, &response).ok());
      }));
  CheckEnd(
      cancelled,
      {.state = v1::CANCELLED, .stage = "coordinator", .reason = "CANCELLED"});
  ExpectRecordsKept(cancelled, reference, 4096);
  EXPECT_LT(cancelled.stored.equity_size(), reference.stored.equity_size());
  EXPECT_EQ(cancelled.stored.run().spec_hash(),
            reference.stored.run().spec_hash());
  ExpectCoordinatorServes();
}

// The same in embedded mode: the run is cancelled while the faulty strategy
// (slow from step 150) is working on it.
TEST_F(DrillsTest, CancelInTheMiddleOfAnEmbeddedRun) {
  constexpr int kSlowStep = 150;
  const Outcome reference = RunEmbedded(FaultySpec("none", kSlowStep));
  ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED);
  coordinator::RemoteOptions options;
  ASSERT_TRUE(absl::ParseDuration(kStepDeadline, &options.step_deadline));
  absl::StatusOr<coordinator::Stages> stages = coordinator::MakeEmbeddedStages(
      (Workspace() / "embedded.db").string(), options);
  ASSERT_TRUE(stages.ok()) << stages.status();
  coordinator::RunManager runs(*std::move(stages));
  absl::StatusOr<std::string> run_id =
      runs.Submit(FaultySpec("slow", kSlowStep), "");
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  const std::string slow_line = absl::StrCat("slow from step ", kSlowStep);
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (absl::Now() < deadline &&
         !absl::StrContains(faulty_strategy_->Log(), slow_line)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(runs.Cancel(*run_id).ok());
  Outcome cancelled;
  cancelled.run_id = *run_id;
  cancelled.progress = *runs.Wait(*run_id);
  cancelled.stored = testing::FetchRun(*runs.stages().results, *run_id);
  cancelled.trace = FetchTrace(*runs.stages().results, *run_id);
  CheckEnd(
      cancelled,
      {.state = v1::CANCELLED, .stage = "coordinator", .reason = "CANCELLED"});
  ExpectRecordsKept(cancelled, reference, kSlowStep - 10);
  EXPECT_LT(cancelled.stored.equity_size(), reference.stored.equity_size());
}

}  // namespace
}  // namespace seed
