// bt montecarlo and bt factors end to end (issue 11), with the stages in
// this process: a run stored in a SQLite file, then its Monte Carlo as the
// command computes it (reproducible under a seed, its original path ending
// where the run ended); and a factor study over a 20-symbol synthetic market
// read through the data stage.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/factor_study.h"
#include "cli/montecarlo_view.h"
#include "gtest/gtest.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/data/synthetic_market.h"
#include "tests/stored_run.h"

namespace seed {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::backtest::v1;

constexpr int kSymbols = 20;

class MonteCarloFactorsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data::SyntheticMarketOptions market;
    market.output_dir = Market();
    market.symbols = kSymbols;
    market.seed = 17;
    market.trading_days = 800;
    const absl::Status status = data::WriteSyntheticMarket(market);
    ASSERT_TRUE(status.ok()) << status;
  }

  static std::string Market() {
    return (fs::path(::testing::TempDir()) / "mc-factors-market").string();
  }

  void SetUp() override {
    const fs::path database = fs::path(::testing::TempDir()) / "mc-factors.db";
    fs::remove(database);
    absl::StatusOr<coordinator::Stages> stages =
        coordinator::MakeEmbeddedStages(database.string());
    ASSERT_TRUE(stages.ok()) << stages.status();
    runs_ = std::make_unique<coordinator::RunManager>(*std::move(stages));
  }

  // A stored run of sma_cross on the first two symbols, closing what is open
  // at its last bar so that every trade is closed.
  testing::StoredRun StoredRun(const std::string& range = "") {
    const testing::StoredRun run = testing::RunToEnd(
        *runs_,
        absl::StrCat("name: mc\ndata: {path: ", Market(),
                     ", symbols: [SYNA, SYNB]", range,
                     "}\nstrategy: {name: sma_cross, params: {fast: 5, slow: "
                     "20}}\nportfolio: {initial_cash: 100000, close_at_end: "
                     "true}\n"));
    EXPECT_EQ(run.progress.state(), v1::SUCCEEDED);
    return run;
  }

  std::unique_ptr<coordinator::RunManager> runs_;
};

TEST_F(MonteCarloFactorsTest, MonteCarloOfAStoredRunIsReproducible) {
  const testing::StoredRun run = StoredRun();
  ASSERT_GT(run.stored.trades_size(), 5) << "too few trades to resample";
  research::MonteCarloSpec spec;
  spec.paths = 500;
  spec.seed = 11;
  spec.resampling = research::Resampling::kBootstrap;
  absl::StatusOr<cli::MonteCarloReport> first =
      cli::AnalyseRun(*runs_->stages().results, run.run_id, spec);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<cli::MonteCarloReport> second =
      cli::AnalyseRun(*runs_->stages().results, run.run_id.substr(0, 15), spec);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->run_id, run.run_id);
  EXPECT_EQ(first->trades, run.stored.trades_size());
  EXPECT_EQ(first->initial_equity, 100000);
  // The same seed, the same numbers, bit for bit.
  EXPECT_EQ(first->result.final_equity.percentiles,
            second->result.final_equity.percentiles);
  EXPECT_EQ(first->result.max_drawdown.percentiles,
            second->result.max_drawdown.percentiles);
  EXPECT_EQ(first->result.longest_drawdown.percentiles,
            second->result.longest_drawdown.percentiles);
  EXPECT_EQ(first->result.probability_of_ruin,
            second->result.probability_of_ruin);
  EXPECT_EQ(cli::MonteCarloJson(*first), cli::MonteCarloJson(*second));
  // Bootstrap paths spread: a resample that changed nothing would not.
  EXPECT_LT(first->result.final_equity.percentiles.front(),
            first->result.final_equity.percentiles.back());
  // The original order ends where the run ended.
  const double final_equity = run.stored.run().metrics().final_equity();
  EXPECT_NEAR(first->result.original.final_equity, final_equity,
              1e-9 * std::abs(final_equity));

  spec.seed = 12;
  absl::StatusOr<cli::MonteCarloReport> other =
      cli::AnalyseRun(*runs_->stages().results, run.run_id, spec);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(other->result.final_equity.percentiles,
            first->result.final_equity.percentiles)
      << "another seed draws other paths";
}

TEST_F(MonteCarloFactorsTest, MonteCarloRefusesARunWithoutClosedTrades) {
  // Ten bars: sma_cross(5, 20) never has a signal.
  const testing::StoredRun run =
      StoredRun(", start: 2015-01-05, end: 2015-01-16");
  ASSERT_EQ(run.stored.trades_size(), 0);
  absl::StatusOr<cli::MonteCarloReport> report = cli::AnalyseRun(
      *runs_->stages().results, run.run_id, research::MonteCarloSpec{});
  ASSERT_TRUE(absl::IsFailedPrecondition(report.status())) << report.status();
  EXPECT_NE(report.status().message().find(absl::StrCat(
                "run ", run.run_id,
                " has no closed trades; Monte Carlo needs at least one")),
            std::string::npos)
      << report.status();
}

TEST_F(MonteCarloFactorsTest, MonteCarloOfAnUnknownRunIsNotFound) {
  absl::StatusOr<cli::MonteCarloReport> report =
      cli::AnalyseRun(*runs_->stages().results, "20990101-000000-abcdef",
                      research::MonteCarloSpec{});
  EXPECT_TRUE(absl::IsNotFound(report.status())) << report.status();
  report = cli::AnalyseRun(*runs_->stages().results, "not a run id",
                           research::MonteCarloSpec{});
  EXPECT_TRUE(absl::IsInvalidArgument(report.status())) << report.status();
}

TEST_F(MonteCarloFactorsTest, FactorsOnASyntheticMarketHaveAnIc) {
  v1::DataSpec data;
  data.set_path(Market());
  for (int i = 0; i < kSymbols; ++i) {
    data.add_symbols(absl::StrCat("SYN", std::string(1, 'A' + i)));
  }
  absl::StatusOr<std::vector<research::Factor>> factors = cli::FactorsFor({});
  ASSERT_TRUE(factors.ok()) << factors.status();
  absl::StatusOr<cli::FactorStudy> study = cli::RunFactorStudy(
      *runs_->stages().data, data, *factors, research::IcOptions{});
  ASSERT_TRUE(study.ok()) << study.status();
  EXPECT_EQ(study->symbols.size(), static_cast<size_t>(kSymbols));
  ASSERT_EQ(study->factors.size(), factors->size());
  for (const research::FactorIc& factor : study->factors) {
    SCOPED_TRACE(factor.factor);
    EXPECT_GT(factor.windows, 0);
    ASSERT_TRUE(factor.mean_ic.has_value());
    EXPECT_TRUE(std::isfinite(*factor.mean_ic));
    EXPECT_LE(std::abs(*factor.mean_ic), 1);
    EXPECT_EQ(factor.series.size(), static_cast<size_t>(factor.windows));
  }
  // factors.csv: a header, then one row per factor.
  const std::string csv = cli::FactorsCsv(*study);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'),
            static_cast<long>(factors->size()) + 1);
}

}  // namespace
}  // namespace seed
