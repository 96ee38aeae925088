// The same specs run embedded (one process) and distributed (bt serve: five
// stage services and the coordinator as separate processes on loopback) must
// give identical fills, rejections, trades, equity and metrics.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/health_client.h"
#include "gtest/gtest.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/remote_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/data/synthetic_market.h"
#include "tests/child_process.h"
#include "tests/loopback_services.h"
#include "tests/stored_run.h"

namespace seed {
namespace {

namespace v1 = ::backtest::v1;

std::filesystem::path Workspace() {
  return std::filesystem::path(::testing::TempDir()) / "dme";
}

class DistributedMatchesEmbeddedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::filesystem::remove_all(Workspace());
    std::filesystem::create_directories(Workspace());
    data::SyntheticMarketOptions market;
    market.output_dir = (Workspace() / "synth").string();
    market.symbols = 4;
    market.seed = 7;
    market.trading_days = 800;
    ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());

    addresses_ = testing::WriteLoopbackServicesConfig(
        (Workspace() / "services.yaml").string());
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> serve =
        testing::ChildProcess::Start(
            {"cli/bt", "serve",
             absl::StrCat("--config=",
                          (Workspace() / "services.yaml").string()),
             absl::StrCat("--db=", (Workspace() / "distributed.db").string())},
            (Workspace() / "serve.log").string());
    ASSERT_TRUE(serve.ok()) << serve.status();
    serve_ = serve->release();
    const absl::Status ready =
        WaitUntilServing(addresses_.coordinator, absl::Seconds(60));
    ASSERT_TRUE(ready.ok()) << ready << "\n" << serve_->Log();
  }

  static void TearDownTestSuite() {
    delete serve_;
    serve_ = nullptr;
  }

  using Outcome = testing::StoredRun;

  Outcome RunEmbedded(const std::string& spec) {
    absl::StatusOr<coordinator::Stages> stages =
        coordinator::MakeEmbeddedStages((Workspace() / "embedded.db").string());
    EXPECT_TRUE(stages.ok()) << stages.status();
    coordinator::RunManager runs(*std::move(stages));
    return testing::RunToEnd(runs, spec);
  }

  Outcome RunDistributed(const std::string& spec) {
    return testing::WatchRemote(
        addresses_, testing::SubmitRemote(addresses_.coordinator, spec));
  }

  void ExpectIdentical(const std::string& spec, int minimum_trades) {
    const Outcome embedded = RunEmbedded(spec);
    const Outcome distributed = RunDistributed(spec);
    testing::ExpectSameOutcome(embedded, distributed, minimum_trades);
    if (distributed.progress.state() != v1::SUCCEEDED) {
      ADD_FAILURE() << serve_->Log();
    }
  }

  static std::string SharedData() {
    const char* directory = std::getenv("SHARED_DATA_DIR");
    if (directory == nullptr ||
        !std::filesystem::exists(std::filesystem::path(directory) /
                                 "ORCL.csv")) {
      return "";
    }
    return directory;
  }

  // The shared intraday file's directory, or "" when absent.
  static std::string SharedIntradayData() {
    const char* directory = std::getenv("SHARED_DATA_DIR");
    if (directory == nullptr) return "";
    const std::filesystem::path intraday =
        std::filesystem::path(directory) / "intraday";
    return std::filesystem::exists(intraday / "MIN001.csv") ? intraday.string()
                                                            : "";
  }

  static inline testing::ChildProcess* serve_ = nullptr;
  static inline coordinator::ServiceAddresses addresses_;
};

TEST_F(DistributedMatchesEmbeddedTest, SyntheticMultiSymbolMarket) {
  ExpectIdentical(
      absl::StrCat(
          "name: synth\n"
          "data: {path: ",
          (Workspace() / "synth").string(),
          ", symbols: [SYNA, SYNB, SYNC, SYND]}\n"
          "strategy: {name: sma_cross, params: {fast: 5, slow: 20}}\n"
          "portfolio: {initial_cash: 50000, sizing: {rule: percent_of_equity, "
          "percent: 0.3}}\n"
          "execution: {commission: {model: percent, bps: 10}, slippage: "
          "{model: fixed_bps, bps: 5}}\n"),
      10);
}

// `bt run --remote ADDR --export DIR` reads the run back from the results
// service the coordinator stored it in (this suite's is on a free port, not
// the default 127.0.0.1:7105), and exports what the run stored.
TEST_F(DistributedMatchesEmbeddedTest,
       RemoteExportReadsFromTheCoordinatorsResults) {
  const std::filesystem::path spec = Workspace() / "export.yaml";
  std::ofstream(spec) << "name: export\n"
                      << "data: {path: " << (Workspace() / "synth").string()
                      << ", symbols: [SYNA, SYNB]}\n"
                      << "strategy: {name: sma_cross, params: {fast: 5, "
                         "slow: 20}}\n";
  const std::filesystem::path out = Workspace() / "exported";
  std::filesystem::remove_all(out);
  const testing::CommandResult run = testing::RunCommand(
      absl::StrCat("cli/bt run ", spec.string(), " --remote ",
                   addresses_.coordinator, " --export ", out.string()));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(std::filesystem::exists(out / "trades.csv")) << run.output;
  EXPECT_TRUE(std::filesystem::exists(out / "equity.csv")) << run.output;
  EXPECT_TRUE(std::filesystem::exists(out / "metrics.json")) << run.output;
}

// Several strategies, each in its sleeve, with a cap across them and
// shorting: the remote stages get the same sleeves, budgets and instances.
TEST_F(DistributedMatchesEmbeddedTest, SeveralStrategiesWithSharedCaps) {
  ExpectIdentical(
      absl::StrCat(
          "name: sleeves\n"
          "data: {path: ",
          (Workspace() / "synth").string(),
          ", symbols: [SYNA, SYNB, SYNC, SYND]}\n"
          "strategies:\n"
          "  - {name: sma_cross, id: trend, allocation: 0.5,"
          " params: {fast: 5, slow: 20, direction: both}}\n"
          "  - {name: rsi_reversion, id: revert, allocation: 0.3}\n"
          "  - {name: momentum, id: mom}\n"
          "portfolio: {initial_cash: 50000, sizing: {rule: percent_of_equity, "
          "percent: 0.3}, limits: {max_positions: 3},"
          " shorting: {enabled: true, borrow_rate: 0.02}}\n"
          "execution: {commission: {model: percent, bps: 10}, slippage: "
          "{model: fixed_bps, bps: 5}}\n"),
      10);
}

// Orders filled at the close of the bar that decided them: the extra close
// calls reach remote stages as they reach embedded ones. Stops, brackets
// and a second strategy take the other paths of the cycle.
TEST_F(DistributedMatchesEmbeddedTest, FillsAtTheCloseAndTheNextClose) {
  for (const std::string timing : {"close", "next_close"}) {
    SCOPED_TRACE(timing);
    ExpectIdentical(
        absl::StrCat(
            "name: at-close\n"
            "data: {path: ",
            (Workspace() / "synth").string(),
            ", symbols: [SYNA, SYNB, SYNC, SYND]}\n"
            "strategies:\n"
            "  - {name: sma_cross, id: trend, allocation: 0.5,"
            " params: {fast: 5, slow: 20, direction: both}}\n"
            "  - {name: donchian_breakout, id: breakout}\n"
            "portfolio: {initial_cash: 50000, sizing: {rule: "
            "percent_of_equity, "
            "percent: 0.3}, shorting: {enabled: true, borrow_rate: 0.02}}\n"
            "execution: {commission: {model: percent, bps: 10}, slippage: "
            "{model: fixed_bps, bps: 5}, fill_timing: ",
            timing, "}\n"),
        10);
    ExpectIdentical(
        absl::StrCat(
            "name: at-close-one\n"
            "data: {path: ",
            (Workspace() / "synth").string(),
            ", symbols: [SYNA, SYNB, SYNC, SYND]}\n"
            "strategy: {name: trend_pullback}\n"
            "portfolio: {initial_cash: 50000, sizing: {rule: risk_per_trade, "
            "risk_fraction: 0.01}}\n"
            "execution: {commission: {model: percent, bps: 10}, "
            "fill_timing: ",
            timing, "}\n"),
        5);
  }
}

TEST_F(DistributedMatchesEmbeddedTest, OrclAllInAsInTheIssue) {
  const std::string shared = SharedData();
  if (shared.empty()) GTEST_SKIP() << "SHARED_DATA_DIR with ORCL.csv not set";
  ExpectIdentical(
      absl::StrCat(
          "name: sma-cross-orcl\n"
          "data: {path: ",
          shared,
          ", symbols: [ORCL], start: 1995-01-01, end: 2014-12-31}\n"
          "strategy: {name: sma_cross, params: {fast: 10, slow: 30}}\n"
          "portfolio: {initial_cash: 100000, sizing: {rule: all_in, "
          "cash_buffer: 0.01}}\n"
          "execution: {commission: {model: percent, bps: 10}, slippage: "
          "{model: none}}\n"),
      20);
}

TEST_F(DistributedMatchesEmbeddedTest, ThreeRealSymbolsWithSlippage) {
  const std::string shared = SharedData();
  if (shared.empty()) GTEST_SKIP() << "SHARED_DATA_DIR with ORCL.csv not set";
  ExpectIdentical(
      absl::StrCat(
          "name: three\n"
          "data: {path: ",
          shared,
          ", symbols: [ORCL, NVDA, YHOO]}\n"
          "strategy: {name: sma_cross, params: {fast: 20, slow: 50}}\n"
          "portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, "
          "percent: 0.3}}\n"
          "execution: {commission: {model: percent, bps: 5}, slippage: "
          "{model: fixed_bps, bps: 10}}\n"),
      20);
}

TEST_F(DistributedMatchesEmbeddedTest, MtfTrendOnIntradayMin001) {
  // Daily and hourly bars resampled by the data service ride on the steps
  // as they close, the same way in one process and across six.
  const std::string intraday = SharedIntradayData();
  if (intraday.empty()) {
    GTEST_SKIP() << "SHARED_DATA_DIR with intraday/MIN001.csv not set";
  }
  for (const char* timeframe : {"1d", "1h"}) {
    SCOPED_TRACE(timeframe);
    ExpectIdentical(
        absl::StrCat(
            "name: mtf\n"
            "data: {path: ",
            intraday,
            ", symbols: [MIN001]}\n"
            "strategy: {name: mtf_trend, params: {timeframe: ",
            timeframe,
            ", direction: both}}\n"
            "portfolio: {initial_cash: 100000, sizing: {rule: "
            "percent_of_equity, percent: 0.3}, shorting: {enabled: true}}\n"
            "execution: {commission: {model: percent, bps: 1}, slippage: "
            "{model: fixed_bps, bps: 1}}\n"),
        500);
  }
}

}  // namespace
}  // namespace seed
