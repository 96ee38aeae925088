// Test helpers for Simulator scenarios: models, bars, steps, orders and
// requests written in one line each, so a test reads as its arithmetic.
// Test-only. Thread-safe: pure functions.
#ifndef SEED_SERVICES_EXECUTION_SIMULATOR_TEST_UTIL_H_
#define SEED_SERVICES_EXECUTION_SIMULATOR_TEST_UTIL_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "backtest/v1/execution.pb.h"
#include "services/execution/simulator.h"

namespace seed::execution {

inline constexpr backtest::v1::Side kBuy = backtest::v1::BUY;
inline constexpr backtest::v1::Side kSell = backtest::v1::SELL;
inline constexpr double kPlentyOfCash = 1e9;

// "2001-01-02" as seconds since the epoch.
int64_t Day(absl::string_view date);

struct Models {
  backtest::v1::CommissionSpec commission;
  backtest::v1::SlippageSpec slippage;
  FillPolicy policy;
};

// A simulator of symbols AAA (0) and BBB (1) with `models`.
Simulator Make(const Models& models = {});

backtest::v1::Bar Ohlcv(double open, double high, double low, double close,
                        double volume = 1e6, int symbol = 0);

// Step `index` at `time` with `bars`.
backtest::v1::TimeStep At(int64_t index, int64_t time,
                          std::vector<backtest::v1::Bar> bars);

// Step `index`, dated 2001-01-02 plus `index` days, with AAA's bar.
backtest::v1::TimeStep Daily(int64_t index, backtest::v1::Bar bar);

// An order of AAA placed at a bar closing at 100, reason "test".
backtest::v1::Order Base(int64_t id, backtest::v1::Side side, double quantity,
                         backtest::v1::OrderType type);
backtest::v1::Order Market(int64_t id, backtest::v1::Side side,
                           double quantity);
backtest::v1::Order Limit(int64_t id, backtest::v1::Side side, double quantity,
                          double limit);
backtest::v1::Order Stop(int64_t id, backtest::v1::Side side, double quantity,
                         double stop);

backtest::v1::ExecuteStepsRequest Request(
    std::vector<backtest::v1::TimeStep> steps,
    std::vector<backtest::v1::Order> orders = {}, double cash = kPlentyOfCash);

// The call's response; a failed call fails the test.
backtest::v1::ExecuteStepsResponse Execute(
    Simulator& simulator, const backtest::v1::ExecuteStepsRequest& request);

// Ends the run and returns the orders still working.
std::vector<backtest::v1::Order> Unfilled(Simulator& simulator);

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_SIMULATOR_TEST_UTIL_H_
