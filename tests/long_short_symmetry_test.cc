// Long/short symmetry (DESIGN.md section 4, issue 4), through the built-in
// stages end to end:
//   - a strategy that never shorts gives identical records with shorting on;
//   - on a falling series, sma_cross with direction short earns exactly what
//     sma_cross long earns on the mirrored series (every price p becomes
//     K - p, high and low swapping), less the borrow fees, which the test
//     computes itself from the bars: |quantity| x previous close x rate / 365
//     x calendar days, for every step a short is held over.
// Fixed quantities and a per-share commission make the two runs' sizes and
// costs equal, so the borrow fees are the whole difference.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iomanip>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/time.h"
#include "gtest/gtest.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/data/dataset_store.h"
#include "services/data/synthetic_market.h"
#include "tests/stored_run.h"

namespace seed::coordinator {
namespace {

constexpr double kBorrowRate = 0.1;
constexpr double kQuantity = 100;

// The bars of one file as the data stage reads them.
data::BarColumns ReadBars(const std::filesystem::path& file,
                          const std::string& symbol) {
  data::DatasetStore store;
  absl::StatusOr<std::shared_ptr<const data::ParsedFile>> parsed =
      store.LoadFile(file.string(), symbol);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? (*parsed)->bars : data::BarColumns();
}

void WriteBars(const std::filesystem::path& file,
               const data::BarColumns& bars) {
  std::ofstream out(file);
  out << "date,open,high,low,close,volume\n" << std::setprecision(17);
  for (size_t i = 0; i < bars.size(); ++i) {
    out << FormatTime(bars.time[i]) << "," << bars.open[i] << ","
        << bars.high[i] << "," << bars.low[i] << "," << bars.close[i] << ","
        << static_cast<int64_t>(bars.volume[i]) << "\n";
  }
}

// p -> k - p with high and low swapped; k keeps every price positive.
data::BarColumns Mirror(const data::BarColumns& bars) {
  const double k =
      std::round(*std::max_element(bars.high.begin(), bars.high.end()) +
                 *std::min_element(bars.low.begin(), bars.low.end()));
  const auto mirror = [k](const std::vector<double>& prices) {
    std::vector<double> mirrored;
    for (const double price : prices) mirrored.push_back(k - price);
    return mirrored;
  };
  data::BarColumns mirrored = bars;
  mirrored.open = mirror(bars.open);
  mirrored.high = mirror(bars.low);
  mirrored.low = mirror(bars.high);
  mirrored.close = mirror(bars.close);
  return mirrored;
}

class LongShortSymmetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::path(::testing::TempDir()) / "symmetry";
    std::filesystem::remove_all(directory_);
    data::SyntheticMarketOptions options;
    options.output_dir = (directory_ / "synthetic").string();
    options.symbols = 1;
    options.trading_days = 1000;
    ASSERT_TRUE(data::WriteSyntheticMarket(options).ok());
    const std::string symbol = data::SyntheticSymbolName(0);
    const data::BarColumns synthetic =
        ReadBars(directory_ / "synthetic" / (symbol + ".csv"), symbol);
    ASSERT_GT(synthetic.size(), 0);
    // FALL is whichever of the series and its mirror falls; RISE mirrors it.
    const bool synthetic_falls = synthetic.close.back() < synthetic.close[0];
    falling_ = synthetic_falls ? synthetic : Mirror(synthetic);
    std::filesystem::create_directories(directory_ / "data");
    WriteBars(directory_ / "data" / "FALL.csv", falling_);
    WriteBars(directory_ / "data" / "RISE.csv", Mirror(falling_));
    ASSERT_LT(falling_.close.back(), falling_.close[0]);
  }

  v1::GetRunResponse Run(const std::string& symbol, const std::string& direction,
                         bool shorting) {
    absl::StatusOr<Stages> stages = MakeEmbeddedStages(
        (directory_ / absl::StrCat(symbol, direction, shorting, ".db")).string());
    EXPECT_TRUE(stages.ok());
    RunManager runs(*std::move(stages));
    const std::string spec = absl::StrCat(
        "data: {path: data, symbols: [", symbol, "]}\n"
        "strategy: {name: sma_cross, params: {fast: 10, slow: 30, direction: ",
        direction, "}}\n"
        "portfolio:\n"
        "  initial_cash: 100000\n"
        "  sizing: {rule: fixed_quantity, quantity: ", kQuantity, "}\n"
        "  shorting: {enabled: ", shorting ? "true" : "false",
        ", borrow_rate: ", kBorrowRate, "}\n"
        "execution: {commission: {model: per_share, per_share: 0.01}}\n"
        "metrics: {bootstrap_resamples: 0}\n");
    const testing::StoredRun run =
        testing::RunToEnd(runs, spec, directory_.string());
    EXPECT_EQ(run.progress.state(), v1::SUCCEEDED)
        << run.progress.DebugString();
    return run.stored;
  }

  // The borrow fee of a short of kQuantity held from the step at entry_time
  // to the one at exit_time (0: to the last step).
  double BorrowFees(int64_t entry_time, int64_t exit_time) const {
    double fees = 0;
    for (size_t i = 1; i < falling_.size(); ++i) {
      if (falling_.time[i - 1] < entry_time) continue;
      if (exit_time != 0 && falling_.time[i] > exit_time) break;
      const double days = (falling_.time[i] - falling_.time[i - 1]) / 86400.0;
      fees += kQuantity * falling_.close[i - 1] * kBorrowRate / 365 * days;
    }
    return fees;
  }

  std::filesystem::path directory_;
  data::BarColumns falling_;
};

std::string Records(const v1::GetRunResponse& run) {
  std::string text;
  for (const auto& fill : run.fills()) text += fill.ShortDebugString() + "\n";
  for (const auto& trade : run.trades()) text += trade.ShortDebugString() + "\n";
  for (const auto& point : run.equity()) text += point.ShortDebugString() + "\n";
  return text;
}

TEST_F(LongShortSymmetryTest, NeverShortingIsUnchangedByShortingEnabled) {
  const v1::GetRunResponse off = Run("FALL", "long", false);
  const v1::GetRunResponse on = Run("FALL", "long", true);
  ASSERT_GT(off.trades_size(), 3);
  EXPECT_EQ(Records(off), Records(on));
}

TEST_F(LongShortSymmetryTest, ShortOnFallingEqualsLongOnMirrorLessBorrowFees) {
  const v1::GetRunResponse shorts = Run("FALL", "short", true);
  const v1::GetRunResponse longs = Run("RISE", "long", true);
  ASSERT_GT(shorts.trades_size(), 3);
  ASSERT_EQ(shorts.trades_size(), longs.trades_size());
  double total_fees = 0;
  for (int i = 0; i < shorts.trades_size(); ++i) {
    const v1::Trade& short_trade = shorts.trades(i);
    const v1::Trade& long_trade = longs.trades(i);
    SCOPED_TRACE(absl::StrCat("short ", short_trade.ShortDebugString(),
                              "\nlong ", long_trade.ShortDebugString()));
    EXPECT_EQ(short_trade.side(), v1::SELL);
    EXPECT_EQ(long_trade.side(), v1::BUY);
    EXPECT_EQ(short_trade.entry_time(), long_trade.entry_time());
    EXPECT_EQ(short_trade.exit_time(), long_trade.exit_time());
    EXPECT_EQ(short_trade.quantity(), long_trade.quantity());
    EXPECT_NEAR(short_trade.gross_pnl(), long_trade.gross_pnl(), 1e-6);
    EXPECT_NEAR(short_trade.commission(), long_trade.commission(), 1e-9);
    EXPECT_EQ(long_trade.borrow_fees(), 0);
    const double fees = BorrowFees(short_trade.entry_time(),
                                   short_trade.exit_time());
    EXPECT_NEAR(short_trade.borrow_fees(), fees, 1e-6);
    EXPECT_NEAR(short_trade.net_pnl(), long_trade.net_pnl() - fees, 1e-6);
    total_fees += fees;
  }
  const double short_equity = shorts.equity(shorts.equity_size() - 1).equity();
  const double long_equity = longs.equity(longs.equity_size() - 1).equity();
  EXPECT_NEAR(short_equity, long_equity - total_fees, 1e-5);
  std::cout << shorts.trades_size() << " short trades; final equity "
            << short_equity << " = " << long_equity << " - borrow fees "
            << total_fees << "\n";
}

}  // namespace
}  // namespace seed::coordinator
