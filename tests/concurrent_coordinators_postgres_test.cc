// Several coordinators share one PostgreSQL results database (issue 13):
// three RunManagers, each with its own results connection (embedded stages
// opened on the same URI), run 20 backtests each at the same time. Every
// one of the 60 runs must be stored completely: its summary, every record
// and its metrics equal to the same spec's run stored in an embedded SQLite
// file. Prints the throughput it measured.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/data/synthetic_market.h"
#include "tests/postgres_server.h"
#include "tests/stored_run.h"

namespace seed::coordinator {
namespace {

using ::google::protobuf::util::MessageDifferencer;

constexpr int kCoordinators = 3;
constexpr int kRunsPerCoordinator = 20;
constexpr int kSymbols = 5;

// Spec k of kRunsPerCoordinator: sma_cross with its own fast average, so
// the runs differ from each other.
std::string Spec(int k) {
  std::vector<std::string> symbols;
  for (int i = 0; i < kSymbols; ++i) {
    symbols.push_back(data::SyntheticSymbolName(i));
  }
  return absl::StrCat(
      "data: {path: synthetic, symbols: [", absl::StrJoin(symbols, ", "),
      "]}\n"
      "strategy: {name: sma_cross, params: {fast: ",
      3 + k,
      ", slow: 40}}\n"
      "portfolio:\n"
      "  initial_cash: 100000\n"
      "  sizing: {rule: percent_of_equity, percent: 0.15}\n"
      "execution: {commission: {model: per_share, per_share: 0.01}}\n"
      "metrics: {bootstrap_resamples: 0}\n");
}

// Everything a run stored that must not depend on where: its records and
// metrics (ids and times of day differ).
std::string Stored(const v1::GetRunResponse& run) {
  std::string text = run.run().metrics().ShortDebugString() + "\n";
  for (const auto& trade : run.trades())
    text += trade.ShortDebugString() + "\n";
  for (const auto& fill : run.fills()) text += fill.ShortDebugString() + "\n";
  for (const auto& rejection : run.rejections()) {
    text += rejection.ShortDebugString() + "\n";
  }
  for (const auto& point : run.equity())
    text += point.ShortDebugString() + "\n";
  return text;
}

TEST(ConcurrentCoordinatorsPostgresTest,
     SixtyRunsFromThreeCoordinatorsLoseNothing) {
  const std::filesystem::path directory =
      std::filesystem::path(::testing::TempDir()) / "concurrent_coordinators";
  std::filesystem::remove_all(directory);
  data::SyntheticMarketOptions market;
  market.output_dir = (directory / "synthetic").string();
  market.symbols = kSymbols;
  market.trading_days = 1500;
  ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());

  absl::StatusOr<testing::PostgresServer*> server =
      testing::SharedPostgresServer();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::string> uri = (*server)->CreateDatabase("shared");
  ASSERT_TRUE(uri.ok()) << uri.status();

  // The reference: each spec once, embedded, in a SQLite file.
  std::vector<std::string> expected;
  {
    absl::StatusOr<Stages> stages =
        MakeEmbeddedStages((directory / "reference.db").string());
    ASSERT_TRUE(stages.ok()) << stages.status();
    RunManager runs(*std::move(stages));
    for (int k = 0; k < kRunsPerCoordinator; ++k) {
      const testing::StoredRun run =
          testing::RunToEnd(runs, Spec(k), directory.string());
      ASSERT_EQ(run.progress.state(), v1::SUCCEEDED)
          << run.progress.DebugString();
      ASSERT_GT(run.stored.trades_size(), 0) << "spec " << k;
      expected.push_back(Stored(run.stored));
    }
  }

  // Three coordinators, each its own connection, all runs at once. They
  // open the new database together too (its tables are created once).
  std::vector<std::unique_ptr<RunManager>> coordinators(kCoordinators);
  {
    std::vector<std::thread> openers;
    for (int c = 0; c < kCoordinators; ++c) {
      openers.emplace_back([&, c] {
        absl::StatusOr<Stages> stages = MakeEmbeddedStages(*uri);
        ASSERT_TRUE(stages.ok()) << stages.status();
        coordinators[c] = std::make_unique<RunManager>(*std::move(stages));
      });
    }
    for (std::thread& opener : openers) opener.join();
  }
  for (const auto& coordinator : coordinators) ASSERT_NE(coordinator, nullptr);
  // run id -> spec index
  std::vector<std::map<std::string, int>> submitted(kCoordinators);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < kCoordinators; ++c) {
    threads.emplace_back([&, c] {
      for (int k = 0; k < kRunsPerCoordinator; ++k) {
        absl::StatusOr<std::string> run_id =
            coordinators[c]->Submit(Spec(k), directory.string());
        ASSERT_TRUE(run_id.ok()) << run_id.status();
        submitted[c][*run_id] = k;
      }
      for (const auto& [run_id, k] : submitted[c]) {
        absl::StatusOr<v1::RunProgress> progress =
            coordinators[c]->Wait(run_id);
        ASSERT_TRUE(progress.ok()) << progress.status();
        EXPECT_EQ(progress->state(), v1::SUCCEEDED) << progress->DebugString();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  coordinators.clear();  // every connection closed; what is stored is final

  // Read back through a connection of its own.
  absl::StatusOr<Stages> reader = MakeEmbeddedStages(*uri);
  ASSERT_TRUE(reader.ok()) << reader.status();
  v1::ListRunsRequest list;
  list.set_limit(1000);
  v1::ListRunsResponse listed;
  ASSERT_TRUE(reader->results->ListRuns(list, &listed).ok());
  EXPECT_EQ(listed.runs_size(), kCoordinators * kRunsPerCoordinator);
  int64_t records = 0;
  int compared = 0;
  for (int c = 0; c < kCoordinators; ++c) {
    for (const auto& [run_id, k] : submitted[c]) {
      const v1::GetRunResponse run =
          testing::FetchRun(*reader->results, run_id);
      EXPECT_EQ(run.run().state(), v1::SUCCEEDED) << run_id;
      EXPECT_EQ(Stored(run), expected[k])
          << "run " << run_id << " of spec " << k;
      records += run.trades_size() + run.fills_size() + run.rejections_size() +
                 run.equity_size();
      v1::GetTraceRequest trace;
      trace.set_run_id(run_id);
      v1::GetTraceResponse traced;
      EXPECT_TRUE(reader->results->GetTrace(trace, &traced).ok()) << run_id;
      ++compared;
    }
  }
  EXPECT_EQ(compared, kCoordinators * kRunsPerCoordinator);
  std::cout << kCoordinators * kRunsPerCoordinator << " runs from "
            << kCoordinators << " coordinators into one PostgreSQL database in "
            << seconds
            << " s: " << kCoordinators * kRunsPerCoordinator / seconds
            << " runs/s, " << records << " records, 0 retries (none are made)"
            << std::endl;
}

}  // namespace
}  // namespace seed::coordinator
