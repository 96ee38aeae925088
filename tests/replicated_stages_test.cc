// Replicated stage services (docs/deploy.md): two replicas of each stateful
// stage (strategy, portfolio, execution) as separate `bt serve --only=NAME`
// processes on loopback, the coordinator pointed at list targets of both
// ("ipv4:127.0.0.1:P1,127.0.0.1:P2"). Each run's calls to a stage go over one
// session, which gRPC's round_robin balancer places on a replica: runs spread
// over both replicas, each run stays on one, and every run equals its
// embedded twin. Which replica held which run is read from the replicas' own
// logs (one session_start line per session, in the log of the process that
// served it). A killed replica fails only the runs whose sessions it held,
// naming the stage and the replica; later runs go to the survivor.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/health_client.h"
#include "gtest/gtest.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/remote_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/coordinator/services_config.h"
#include "services/data/synthetic_market.h"
#include "tests/child_process.h"
#include "tests/stored_run.h"

namespace seed {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::backtest::v1;
using testing::ChildProcess;

constexpr char kReplicatedStages[][10] = {"strategy", "portfolio", "execution"};
constexpr int kReplicas = 2;
constexpr int kConcurrentRuns = 20;

fs::path Workspace() {
  return fs::path(::testing::TempDir()) / "replicated_stages";
}

// The value of "key":"..." in a JSON log line; empty when absent.
std::string JsonField(absl::string_view line, absl::string_view key) {
  const std::string prefix = absl::StrCat("\"", key, "\":\"");
  const size_t at = line.find(prefix);
  if (at == absl::string_view::npos) return "";
  const size_t begin = at + prefix.size();
  return std::string(line.substr(begin, line.find('"', begin) - begin));
}

class ReplicatedStagesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(Workspace());
    fs::create_directories(Workspace());
    // Three symbols for the many runs, one long symbol for runs that are
    // still going when a replica is killed.
    for (const auto& [directory, symbols, days] :
         {std::tuple{Market(), 3, 1500}, std::tuple{LongMarket(), 1, 20000}}) {
      ASSERT_TRUE(data::WriteSyntheticMarket({.output_dir = directory.string(),
                                              .symbols = symbols,
                                              .seed = 5,
                                              .trading_days = days})
                      .ok());
    }

    // Every process reads the same services file; a replica is told its
    // own address by --NAME-addr=ADDR.
    std::ofstream config(Workspace() / "services.yaml");
    for (const char* name : {"data", "results", "coordinator"}) {
      *coordinator::AddressOf(addresses_, name) =
          absl::StrCat("127.0.0.1:", testing::FreePort());
    }
    for (const char* stage : kReplicatedStages) {
      std::vector<std::string> ports;
      for (int i = 0; i < kReplicas; ++i) {
        replicas_[stage].push_back(
            absl::StrCat("127.0.0.1:", testing::FreePort()));
        ports.push_back(replicas_[stage].back());
      }
      *coordinator::AddressOf(addresses_, stage) =
          absl::StrCat("ipv4:", absl::StrJoin(ports, ","));
    }
    for (const absl::string_view name : coordinator::kServiceNames) {
      config << name << ": "
             << *coordinator::AddressOf(addresses_, std::string(name)) << "\n";
    }
    config.close();
    ASSERT_TRUE(config.good());

    // The stages first, then the coordinator that needs them.
    for (const char* name : {"data", "results"}) {
      Start(name, *coordinator::AddressOf(addresses_, name));
      if (HasFatalFailure()) return;
    }
    for (const char* stage : kReplicatedStages) {
      for (const std::string& replica : replicas_[stage]) {
        Start(stage, replica);
        if (HasFatalFailure()) return;
      }
    }
    Start("coordinator", addresses_.coordinator);
  }

  static void TearDownTestSuite() {
    for (auto& [address, process] : processes_) delete process;
    processes_.clear();
  }

  static fs::path Market() { return Workspace() / "market"; }
  static fs::path LongMarket() { return Workspace() / "long_market"; }
  static fs::path LogOf(const std::string& address) {
    std::string name = address;
    std::replace(name.begin(), name.end(), ':', '_');
    return Workspace() / absl::StrCat(name, ".log");
  }

  // `bt serve --only=NAME` listening on `address`; waits until SERVING.
  static void Start(const std::string& name, const std::string& address) {
    absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(
        {"cli/bt", "serve", absl::StrCat("--only=", name),
         absl::StrCat("--config=", (Workspace() / "services.yaml").string()),
         absl::StrCat("--", name, "-addr=", address),
         absl::StrCat("--db=", (Workspace() / "distributed.db").string())},
        LogOf(address).string());
    ASSERT_TRUE(process.ok()) << process.status();
    processes_[address] = process->release();
    const absl::Status ready = WaitUntilServing(address, absl::Seconds(60));
    ASSERT_TRUE(ready.ok()) << ready << "\n" << processes_[address]->Log();
  }

  // The sessions a replica's log says it served: "run_id" or, for a
  // strategy instance, "run_id/strategy_id", each as often as it started.
  static std::multiset<std::string> SessionsOf(const std::string& replica) {
    std::multiset<std::string> sessions;
    for (absl::string_view line :
         absl::StrSplit(processes_.at(replica)->Log(), '\n')) {
      if (JsonField(line, "event") != "session_start") continue;
      const std::string instance = JsonField(line, "strategy_id");
      sessions.insert(instance.empty() ? JsonField(line, "run_id")
                                       : absl::StrCat(JsonField(line, "run_id"),
                                                      "/", instance));
    }
    return sessions;
  }

  static std::string Spec(int i) {
    const std::string head = absl::StrCat("name: replicated-", i,
                                          "\ndata: {path: ", Market().string(),
                                          ", symbols: [SYNA, SYNB, SYNC]}\n");
    const std::string tail =
        "portfolio: {initial_cash: 50000, sizing: {rule: percent_of_equity, "
        "percent: 0.3}}\n"
        "execution: {commission: {model: percent, bps: 10}, slippage: "
        "{model: fixed_bps, bps: 5}}\n";
    // Every fourth run has two strategies: a session per instance.
    if (i % 4 == 3) {
      return absl::StrCat(
          head,
          "strategies:\n"
          "  - {name: sma_cross, id: trend, allocation: 0.5,"
          " params: {fast: ",
          3 + i % 5,
          ", slow: 25}}\n"
          "  - {name: rsi_reversion, id: revert, allocation: 0.5}\n",
          tail);
    }
    return absl::StrCat(head, "strategy: {name: sma_cross, params: {fast: ",
                        3 + i % 7, ", slow: ", 15 + i, "}}\n", tail);
  }

  static std::string LongSpec() {
    return absl::StrCat(
        "name: replicated-long\ndata: {path: ", LongMarket().string(),
        ", symbols: [SYNA]}\n"
        "strategy: {name: sma_cross, params: {fast: 5, slow: "
        "20}}\n"
        "portfolio: {initial_cash: 100000, sizing: {rule: "
        "percent_of_equity, percent: 0.3}}\n"
        "execution: {commission: {model: percent, bps: 10}}\n");
  }

  static testing::StoredRun RunEmbedded(const std::string& spec) {
    absl::StatusOr<coordinator::Stages> stages =
        coordinator::MakeEmbeddedStages((Workspace() / "embedded.db").string());
    EXPECT_TRUE(stages.ok()) << stages.status();
    coordinator::RunManager runs(*std::move(stages));
    return testing::RunToEnd(runs, spec);
  }

  static inline coordinator::ServiceAddresses addresses_;
  // Each replicated stage's replica addresses.
  static inline std::map<std::string, std::vector<std::string>> replicas_;
  // Every process, by the address it listens on.
  static inline std::map<std::string, ChildProcess*> processes_;
};

TEST_F(ReplicatedStagesTest, ConcurrentRunsSpreadOverReplicasAndMatchEmbedded) {
  // All submitted before any is watched: a run opens its sessions when it
  // is submitted and holds them until it ends, so the runs overlap.
  std::vector<std::string> run_ids;
  for (int i = 0; i < kConcurrentRuns; ++i) {
    run_ids.push_back(testing::SubmitRemote(addresses_.coordinator, Spec(i)));
  }
  for (int i = 0; i < kConcurrentRuns; ++i) {
    SCOPED_TRACE(absl::StrCat("run ", i, ": ", run_ids[i]));
    const testing::StoredRun distributed =
        testing::WatchRemote(addresses_, run_ids[i]);
    testing::ExpectSameOutcome(RunEmbedded(Spec(i)), distributed);
  }

  for (const char* stage : kReplicatedStages) {
    SCOPED_TRACE(stage);
    // The sessions each run should have had with this stage.
    std::multiset<std::string> expected;
    for (int i = 0; i < kConcurrentRuns; ++i) {
      if (std::string(stage) == "strategy" && i % 4 == 3) {
        expected.insert(run_ids[i] + "/trend");
        expected.insert(run_ids[i] + "/revert");
      } else {
        expected.insert(run_ids[i]);
      }
    }
    // Every session on exactly one replica, and each replica used.
    std::multiset<std::string> served;
    for (const std::string& replica : replicas_[stage]) {
      const std::multiset<std::string> sessions = SessionsOf(replica);
      std::cout << stage << " replica " << replica << " served "
                << sessions.size() << " sessions\n";
      EXPECT_FALSE(sessions.empty())
          << "replica " << replica << " served no run:\n"
          << processes_.at(replica)->Log();
      served.insert(sessions.begin(), sessions.end());
      // No session of these runs ended before the run's EndRun.
      for (absl::string_view line :
           absl::StrSplit(processes_.at(replica)->Log(), '\n')) {
        EXPECT_FALSE(JsonField(line, "event") == "session_discarded" &&
                     std::count(run_ids.begin(), run_ids.end(),
                                JsonField(line, "run_id")) > 0)
            << line;
      }
    }
    EXPECT_EQ(served, expected);
  }
}

TEST_F(ReplicatedStagesTest, AKilledReplicaFailsOnlyItsRunsAndLaterRunsGoOn) {
  const testing::StoredRun reference = RunEmbedded(LongSpec());
  ASSERT_EQ(reference.progress.state(), v1::SUCCEEDED);
  const std::string victim = replicas_["execution"][0];
  const std::string survivor = replicas_["execution"][1];
  const std::multiset<std::string> before = SessionsOf(victim);

  std::vector<std::string> run_ids;
  for (int i = 0; i < 4; ++i) {
    run_ids.push_back(
        testing::SubmitRemote(addresses_.coordinator, LongSpec()));
  }
  // Submitting started each run's sessions: which replica holds which.
  std::set<std::string> on_victim;
  const std::multiset<std::string> victim_sessions = SessionsOf(victim);
  for (const std::string& run_id : run_ids) {
    if (victim_sessions.count(run_id) > before.count(run_id)) {
      on_victim.insert(run_id);
    }
  }
  ASSERT_FALSE(on_victim.empty()) << "round_robin put no run on " << victim;
  ASSERT_LT(on_victim.size(), run_ids.size())
      << "round_robin put every run on " << victim;

  // Killed while one of its runs is well under way.
  bool killed = false;
  std::map<std::string, testing::StoredRun> ended;
  ended[*on_victim.begin()] =
      testing::WatchRemote(addresses_, *on_victim.begin(),
                           [&killed, &victim](const v1::RunProgress& progress) {
                             if (killed || progress.steps_done() < 1000) return;
                             killed = true;
                             processes_.at(victim)->Signal(SIGKILL);
                           });
  ASSERT_TRUE(killed) << "the run ended before the replica was killed";
  for (const std::string& run_id : run_ids) {
    if (ended.count(run_id) == 0) {
      ended[run_id] = testing::WatchRemote(addresses_, run_id);
    }
  }
  for (const std::string& run_id : run_ids) {
    SCOPED_TRACE(run_id);
    const testing::StoredRun& run = ended[run_id];
    if (on_victim.count(run_id) == 0) {
      testing::ExpectSameOutcome(reference, run);
      continue;
    }
    ASSERT_EQ(run.progress.state(), v1::FAILED) << run.progress.DebugString();
    const v1::StageError& error = run.progress.summary().error();
    EXPECT_EQ(error.stage(), "execution");
    EXPECT_EQ(error.reason(), "STAGE_UNAVAILABLE");
    // The message names the replica that went away.
    EXPECT_TRUE(absl::StrContains(error.message(),
                                  absl::StrCat("(replica ", victim, ")")))
        << error.message();
  }

  // Later runs all go to the survivor.
  const std::multiset<std::string> survivor_before = SessionsOf(survivor);
  for (int i = 0; i < 4; ++i) {
    const std::string run_id =
        testing::SubmitRemote(addresses_.coordinator, Spec(i));
    testing::ExpectSameOutcome(RunEmbedded(Spec(i)),
                               testing::WatchRemote(addresses_, run_id));
    EXPECT_EQ(SessionsOf(survivor).count(run_id),
              survivor_before.count(run_id) + 1)
        << run_id << " did not reach " << survivor;
  }
}

}  // namespace
}  // namespace seed
