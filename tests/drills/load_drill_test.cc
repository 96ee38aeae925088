// Load (issue 12): 256 runs submitted at once to one coordinator, each its
// own process's stages on loopback. Every run must be identical to its
// embedded twin (equity, fills, trades, metrics), and the coordinator must
// give back what the burst took: its resident memory after the burst within
// twice its idle level (finished runs leave memory; their records are in the
// results stage).
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/drills/drill_fixture.h"

namespace seed::drills {
namespace {

// Resident memory of a process, in kB (VmRSS of /proc/PID/status).
int64_t ResidentKb(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    const std::vector<std::string> parts =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    int64_t kb = 0;
    if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb;
  }
  return -1;
}

TEST_F(DrillsTest, ManyConcurrentRunsAreIdenticalAndLeaveNoMemoryBehind) {
  constexpr int kRuns = 256;
  // Four specs, so runs that share state by mistake would show it.
  std::vector<std::string> specs;
  std::vector<Outcome> references;
  for (const int fast : {3, 5, 8, 13}) {
    specs.push_back(Spec(absl::StrCat("load-", fast), MarketData(Market()),
                         absl::StrCat("{name: sma_cross, params: {fast: ",
                                      fast, ", slow: 21}}")));
    references.push_back(RunEmbedded(specs.back()));
    ASSERT_EQ(references.back().progress.state(), v1::SUCCEEDED);
  }
  // Idle, once a run has warmed the coordinator up.
  ExpectCoordinatorServes();
  const pid_t coordinator = services_["coordinator"]->pid();
  const int64_t idle_kb = ResidentKb(coordinator);
  ASSERT_GT(idle_kb, 0);

  std::vector<std::string> run_ids;
  for (int i = 0; i < kRuns; ++i) {
    run_ids.push_back(Submit(specs[i % specs.size()]));
    ASSERT_FALSE(run_ids.back().empty());
  }
  int64_t peak_kb = idle_kb;
  for (int i = 0; i < kRuns; ++i) {
    const Outcome outcome = PollEnded(run_ids[i]);
    peak_kb = std::max(peak_kb, ResidentKb(coordinator));
    const Outcome& reference = references[i % specs.size()];
    ASSERT_EQ(outcome.stored.run().state(), v1::SUCCEEDED) << run_ids[i];
    EXPECT_EQ(outcome.stored.equity_size(), reference.stored.equity_size());
    ExpectRecordsKept(outcome, reference, reference.stored.equity_size());
    EXPECT_TRUE(MessageDifferencer::Equals(outcome.stored.run().metrics(),
                                           reference.stored.run().metrics()))
        << run_ids[i];
  }
  absl::SleepFor(absl::Seconds(1));
  const int64_t after_kb = ResidentKb(coordinator);
  std::cout << "coordinator resident memory: idle " << idle_kb
            << " kB, during the burst up to " << peak_kb << " kB, after "
            << after_kb << " kB\n";
  EXPECT_LE(after_kb, 2 * idle_kb)
      << "the coordinator kept " << after_kb - idle_kb
      << " kB after the burst";
}

}  // namespace
}  // namespace seed::drills
