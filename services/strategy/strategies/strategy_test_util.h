// Test helpers for the strategies: drive one strategy over one symbol's
// hand-made closes, directly (filling every intent at the next bar) and
// through StrategyEngine (ListStrategies, StartRun, OnSteps). Not thread-safe:
// each call builds its own strategy or engine.
#ifndef SEED_SERVICES_STRATEGY_STRATEGIES_STRATEGY_TEST_UTIL_H_
#define SEED_SERVICES_STRATEGY_STRATEGIES_STRATEGY_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "backtest/v1/market.pb.h"
#include "backtest/v1/spec.pb.h"
#include "backtest/v1/strategy.pb.h"
#include "services/strategy/registry.h"
#include "services/strategy/strategy.h"

namespace seed::strategy {

// One param value in a test: a number (int or number params) or a text
// (string params), so that {{"fast", 2}, {"direction", "short"}} reads
// naturally.
class TestParam {
 public:
  template <typename Number,
            typename = std::enable_if_t<std::is_arithmetic_v<Number>>>
  TestParam(Number number) {  // NOLINT(runtime/explicit): a literal
    value_.set_number(number);
  }
  TestParam(const char* text) {  // NOLINT(runtime/explicit): a literal
    value_.set_text(text);
  }

  const backtest::v1::ParamValue& value() const { return value_; }

 private:
  backtest::v1::ParamValue value_;
};

// Params by name; the ones left out take their defaults.
using TestParams = std::map<std::string, TestParam>;

// Runs a fresh strategy of `definition` over `closes` of symbol "AAA", one
// step each, and returns "BUY@4"-style events (action @ step index). Each
// intent fills at the next bar's open, before that bar, in the order given:
// 100 shares after a BUY, -100 after a SHORT, flat after a CLOSE or COVER.
// Test failures on any error.
std::vector<std::string> RunCloses(const StrategyDefinition& definition,
                                   const TestParams& params,
                                   const std::vector<double>& closes);

// RunCloses over whole steps of symbol "AAA" (their bars and closed
// higher-timeframe bars as given), e.g. for strategies that read
// step.closed_bars; events are "BUY@4" with the index in `steps`.
std::vector<std::string> RunSteps(
    const StrategyDefinition& definition, const TestParams& params,
    const std::vector<backtest::v1::TimeStep>& steps);

// The builtin strategy `name` through StrategyEngine over the same closes,
// one step per OnSteps call with flat views: the first intent as
// "BUY@4: <reason>", or "" when there is none. Test failures on any error.
std::string FirstIntentThroughEngine(const std::string& name,
                                     const TestParams& params,
                                     const std::vector<double>& closes);

// One intent in a line, for tests to compare: action, order type, then the
// fields that are set, e.g. "BUY MARKET initial_stop 10 [entry]",
// "SELL STOP stop 10 [stop]", "CANCEL #7 [stop]",
// "BUY MARKET bracket stop 9 r 2", "SELL TRAILING_STOP trail 3 x atr 1.5/14".
std::string Describe(const backtest::v1::Intent& intent);

// One hand-made bar's prices.
struct Ohlc {
  double open, high, low, close;
};

// `bar` reflected as `axis` - price (high and low swap): every range, hence
// every ATR, stays the same; rises become falls, so a long setup becomes
// the short side's mirror image.
Ohlc Reflected(const Ohlc& bar, double axis);

// Drives one strategy over hand-made bars of symbol "AAA" (index 0), one
// step each, with a portfolio view the test sets: the position and the
// working orders it shows at the next steps.
class BarHarness {
 public:
  BarHarness(const StrategyDefinition& definition, const TestParams& params);

  // One step with one bar; the intents, described.
  std::vector<std::string> Bar(double open, double high, double low,
                               double close);
  std::vector<std::string> Bar(const Ohlc& bar) {
    return Bar(bar.open, bar.high, bar.low, bar.close);
  }
  void Hold(double quantity) { held_ = quantity; }
  // A working order of AAA with `id` and `tag`, shown until Forget(id).
  void Working(int64_t id, const std::string& tag);
  void Forget(int64_t id);

 private:
  std::unique_ptr<Strategy> strategy_;
  double held_ = 0;
  std::vector<backtest::v1::Order> working_;
  int64_t index_ = 0;
};

// StrategyEngine's ListStrategies entry for `name`, if listed.
std::optional<backtest::v1::StrategyInfo> ListedInfo(const std::string& name);

// The fields StrategyEngine's StartRun reports as invalid for `name` with
// `params` (empty when it starts).
std::vector<std::string> InvalidParamFields(const std::string& name,
                                            const TestParams& params);

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_STRATEGIES_STRATEGY_TEST_UTIL_H_
