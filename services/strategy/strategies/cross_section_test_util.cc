#include "services/strategy/strategies/cross_section_test_util.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backtest/v1/strategy.pb.h"
#include "gtest/gtest.h"
#include "services/strategy/strategy_engine.h"

namespace seed::strategy {
namespace {

constexpr double kEquity = 100000;
constexpr int64_t kJan1st2020 = 1577836800;
constexpr int64_t kDay = 86400;

}  // namespace

std::vector<int64_t> DailyTimes(int count) {
  std::vector<int64_t> times;
  for (int i = 0; i < count; ++i) times.push_back(kJan1st2020 + i * kDay);
  return times;
}

std::vector<std::string> RunCrossSection(const CrossSectionRun& run) {
  StrategyEngine engine;
  backtest::v1::StrategyStartRequest start;
  start.set_run_id("run-x");
  start.mutable_strategy()->set_name(run.strategy);
  auto& params = *start.mutable_strategy()->mutable_params();
  for (const auto& [name, value] : run.numbers) params[name].set_number(value);
  for (const auto& [name, value] : run.texts) params[name].set_text(value);
  for (size_t i = 0; i < run.symbols.size(); ++i) {
    start.add_symbols(run.symbols[i]);
    if (run.sectors.empty()) continue;
    backtest::v1::SymbolMetadata* row = start.add_metadata();
    row->set_symbol(run.symbols[i]);
    row->set_sector(run.sectors[i]);
  }
  std::vector<std::string> lines;
  backtest::v1::StrategyStartResponse started;
  absl::Status status = engine.StartRun(start, &started);
  if (!status.ok()) return {absl::StrCat("error: ", status.ToString())};

  std::map<int32_t, double> weights;
  for (size_t t = 0; t < run.times.size(); ++t) {
    backtest::v1::StrategyStepsRequest request;
    request.set_run_id("run-x");
    backtest::v1::TimeStep* step = request.add_steps();
    step->set_index(t);
    step->set_time(run.times[t]);
    for (size_t i = 0; i < run.symbols.size(); ++i) {
      if (std::isnan(run.closes[t][i])) continue;
      backtest::v1::Bar* bar = step->add_bars();
      bar->set_symbol(i);
      bar->set_close(run.closes[t][i]);
    }
    backtest::v1::PortfolioView* view = request.add_views();
    view->set_equity(kEquity);
    for (const auto& [symbol, weight] : weights) {
      if (weight == 0) continue;
      backtest::v1::Position* position = view->add_positions();
      position->set_symbol(symbol);
      position->set_quantity(weight);
      position->set_market_value(weight * kEquity);
    }
    backtest::v1::StrategyStepsResponse response;
    status = engine.OnSteps(request, &response);
    if (!status.ok()) {
      lines.push_back(absl::StrCat("error: ", status.ToString()));
      return lines;
    }
    if (response.intents().empty()) continue;
    std::string line = absl::StrCat(t, ":");
    for (const backtest::v1::Intent& intent : response.intents()) {
      EXPECT_EQ(intent.action(), backtest::v1::Intent::TARGET_WEIGHT);
      EXPECT_EQ(intent.type(), backtest::v1::MARKET);
      EXPECT_FALSE(intent.reason().empty());
      absl::StrAppendFormat(&line, " %s=%g", run.symbols[intent.symbol()],
                            intent.target());
      weights[intent.symbol()] = intent.target();
    }
    lines.push_back(line);
  }
  backtest::v1::StrategyEndRequest end;
  end.set_run_id("run-x");
  backtest::v1::StrategyEndResponse ended;
  EXPECT_TRUE(engine.EndRun(end, &ended).ok());
  return lines;
}

}  // namespace seed::strategy
