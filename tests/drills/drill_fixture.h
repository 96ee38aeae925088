// The fixture of the failure drills (docs/failures.md): every service its
// own `bt serve --only=NAME` process on loopback (so one can be killed,
// frozen or restarted), a Python strategy service that misbehaves on cue
// (tests/fixtures/faulty_strategy.py), synthetic markets, and the checks
// every drill makes of a run's end: its state and error naming the stage,
// symbol and bar; its stored trace marking the failing span; its records
// kept up to the failure, equal to a healthy reference run's; and the
// coordinator serving the next run. Not thread-safe: one test at a time.
#ifndef SEED_TESTS_DRILLS_DRILL_FIXTURE_H_
#define SEED_TESTS_DRILLS_DRILL_FIXTURE_H_

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
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
#include "absl/time/clock.h"
#include "backtest/v1/coordinator.grpc.pb.h"
#include "common/health_client.h"
#include "common/run_state.h"
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

namespace seed::drills {

namespace v1 = ::backtest::v1;
using ::google::protobuf::util::MessageDifferencer;
using testing::ChildProcess;

namespace fs = std::filesystem;

// Short, so a strategy that never answers fails its run in about a second.
inline constexpr char kStepDeadline[] = "1s";
inline constexpr absl::Duration kStartTimeout = absl::Seconds(60);

inline fs::path Workspace() { return fs::path(::testing::TempDir()) / "drills"; }

inline std::string ReadText(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

inline void WriteText(const fs::path& path, const std::string& text) {
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
  // Or any of these (a span that may or may not be recorded, e.g. a
  // service's own past the trace's span cap).
  std::set<std::string> failing_span_one_of;
  // Calls that failed after the failure and are ERROR besides the failing
  // span and its ancestors (e.g. ending the run on a service that died).
  std::vector<std::string> also_failed;
};

inline absl::StatusOr<v1::Trace> FetchTrace(coordinator::ResultsStage& results,
                                     const std::string& run_id) {
  v1::GetTraceRequest request;
  request.set_run_id(run_id);
  v1::GetTraceResponse response;
  const absl::Status status = results.GetTrace(request, &response);
  if (!status.ok()) return status;
  return response.trace();
}

inline Outcome WithTrace(testing::StoredRun run, coordinator::ResultsStage& results) {
  Outcome outcome;
  static_cast<testing::StoredRun&>(outcome) = std::move(run);
  outcome.trace = FetchTrace(results, outcome.run_id);
  return outcome;
}

inline std::string StringAttribute(const v1::Span& span, absl::string_view key) {
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
  // limit), with its own database when given and any further flags. Waits
  // until SERVING.
  static void StartService(const std::string& name,
                           const std::string& shell_prefix = "",
                           const fs::path& database = DistributedDb(),
                           const std::vector<std::string>& flags = {}) {
    std::vector<std::string> argv = {
        "cli/bt",
        "serve",
        absl::StrCat("--only=", name),
        absl::StrCat("--config=", (Workspace() / "services.yaml").string()),
        absl::StrCat("--db=", database.string()),
        absl::StrCat("--step-deadline=", kStepDeadline)};
    argv.insert(argv.end(), flags.begin(), flags.end());
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
    if (!expected.reason.empty()) {
      EXPECT_EQ(reason, expected.reason);
    }
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
    if (!expected.failing_span_one_of.empty()) {
      EXPECT_EQ(expected.failing_span_one_of.count(failing->name()), 1u)
          << failing->name();
    }
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
    return IsFinalRunState(stored.run().state());
  }

  static inline std::map<std::string, ChildProcess*> services_;
  static inline ChildProcess* faulty_strategy_ = nullptr;
  static inline std::string faulty_address_;
  static inline coordinator::ServiceAddresses addresses_;
};

}  // namespace seed::drills

#endif  // SEED_TESTS_DRILLS_DRILL_FIXTURE_H_
