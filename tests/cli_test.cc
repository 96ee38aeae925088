// The bt command line as a user meets it: exit codes, the summary table,
// exports with their exact columns, and errors that name what is wrong.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/child_process.h"

namespace seed {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bt_ = fs::absolute("cli/bt").string();
    fs::remove_all(Dir());
    fs::create_directories(Dir());
    const testing::CommandResult synth = Bt(
        "data synth --out " + (Dir() / "data").string() +
        " --symbols 3 --seed 11 --days 400");
    ASSERT_EQ(synth.exit_code, 0) << synth.output;
  }

  static fs::path Dir() { return fs::path(::testing::TempDir()) / "cli"; }

  static testing::CommandResult Bt(const std::string& arguments,
                                   const fs::path& cwd = Dir()) {
    return testing::RunCommand("cd " + cwd.string() + " && BT_RESULTS_DB=" +
                               (Dir() / "results.db").string() + " " + bt_ +
                               " " + arguments);
  }

  static std::string Read(const fs::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

  static std::string WriteSpec(const std::string& name, const std::string& text) {
    const fs::path path = Dir() / name;
    std::ofstream(path) << text;
    return path.string();
  }

  static inline std::string bt_;
};

constexpr char kSynthSpec[] =
    "name: cli-synth\n"
    "data: {path: data, symbols: [SYNA, SYNB, SYNC]}\n"
    "strategy: {name: sma_cross, params: {fast: 5, slow: 20}}\n"
    "portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, "
    "percent: 0.3}}\n"
    "execution: {commission: {model: percent, bps: 10}}\n";

TEST_F(CliTest, RunPrintsTheSummaryAndExportsExactColumns) {
  const std::string spec = WriteSpec("synth.yaml", kSynthSpec);
  const testing::CommandResult run =
      Bt("run " + spec + " --export " + (Dir() / "export").string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  for (const char* label : {"total return", "CAGR", "Sharpe", "max drawdown",
                            "trades", "win rate", "profit factor",
                            "results stored in", "SUCCEEDED"}) {
    EXPECT_THAT(run.output, HasSubstr(label));
  }
  const std::string trades = Read(Dir() / "export" / "trades.csv");
  EXPECT_EQ(trades.substr(0, trades.find('\n')),
            "symbol,side,entry_time,entry_price,exit_time,exit_price,quantity,"
            "gross_pnl,commission,net_pnl,exit_reason,r_multiple");
  EXPECT_GT(std::count(trades.begin(), trades.end(), '\n'), 3);
  const std::string equity = Read(Dir() / "export" / "equity.csv");
  EXPECT_EQ(equity.substr(0, equity.find('\n')), "time,cash,equity");
  const std::string metrics = Read(Dir() / "export" / "metrics.json");
  for (const char* key : {"\"run_id\"", "\"final_equity\"", "\"total_return\"",
                          "\"cagr\"", "\"sharpe\"", "\"max_drawdown\"",
                          "\"trades\"", "\"win_rate\"", "\"profit_factor\""}) {
    EXPECT_THAT(metrics, HasSubstr(key));
  }
  const testing::CommandResult runs = Bt("runs");
  EXPECT_EQ(runs.exit_code, 0);
  EXPECT_THAT(runs.output, HasSubstr("cli-synth"));
}

TEST_F(CliTest, InvalidSpecExitsTwoNamingEveryField) {
  const std::string spec = WriteSpec(
      "bad.yaml",
      "data: {path: data, symbols: [SYNA]}\n"
      "strategy: {name: sma_cross, params: {fast: 0, speed: 3}}\n"
      "portfolio: {initial_cash: 0}\n");
  const testing::CommandResult run = Bt("run " + spec);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("strategy.params.fast"));
  EXPECT_THAT(run.output, HasSubstr("strategy.params.speed"));
  EXPECT_THAT(run.output, HasSubstr("portfolio.initial_cash"));
}

TEST_F(CliTest, MissingSymbolFailsAndShowExplainsWhere) {
  const std::string spec = WriteSpec(
      "missing.yaml",
      "data: {path: data, symbols: [SYNA, NOPE]}\n"
      "strategy: {name: sma_cross}\n");
  const testing::CommandResult run = Bt("run " + spec);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("FAILED in data at NOPE"));
  EXPECT_THAT(run.output, HasSubstr("SYNA"));  // what exists
  const size_t id_start = run.output.find("run ") + 4;
  const std::string run_id =
      run.output.substr(id_start, run.output.find(' ', id_start) - id_start);
  const testing::CommandResult show = Bt("show " + run_id);
  EXPECT_EQ(show.exit_code, 1);
  EXPECT_THAT(show.output, HasSubstr("FAILED in data at NOPE"));
}

TEST_F(CliTest, CoordinatorThatIsDownIsNamedWithItsAddress) {
  const std::string spec = WriteSpec("down.yaml", kSynthSpec);
  const std::string address = "127.0.0.1:" + std::to_string(testing::FreePort());
  const testing::CommandResult run = Bt("run " + spec + " --remote " + address);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("coordinator"));
  EXPECT_THAT(run.output, HasSubstr(address));
  EXPECT_THAT(run.output, HasSubstr("STAGE_UNAVAILABLE"));
}

TEST_F(CliTest, DataValidateReportsBadRowsWithLineNumbers) {
  fs::create_directories(Dir() / "bad");
  std::ofstream(Dir() / "bad" / "BAD.csv")
      << "date,open,high,low,close,volume\n"
         "2020-01-02,10,11,9,10,100\n"
         "2020-01-03,10,9,11,10,100\n";
  const testing::CommandResult bad = Bt("data validate bad");
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("high_below_low"));
  EXPECT_THAT(bad.output, HasSubstr("line 3"));
  const testing::CommandResult good = Bt("data validate data");
  EXPECT_EQ(good.exit_code, 0) << good.output;
}

TEST_F(CliTest, TheIssueSpecRunsAsWrittenOnTheSharedData) {
  const char* shared = std::getenv("SHARED_DATA_DIR");
  if (shared == nullptr || !fs::exists(fs::path(shared) / "ORCL.csv")) {
    GTEST_SKIP() << "SHARED_DATA_DIR with ORCL.csv not set";
  }
  // Lay out <tmp>/shared/data next to <tmp>/main, as in the workspace.
  fs::create_directories(Dir() / "layout" / "main");
  fs::create_directories(Dir() / "layout" / "shared");
  fs::remove(Dir() / "layout" / "shared" / "data");
  fs::create_directory_symlink(shared, Dir() / "layout" / "shared" / "data");
  std::ofstream(Dir() / "layout" / "main" / "orcl.yaml")
      << "name: sma-cross-orcl\n"
         "data: {path: ../shared/data, symbols: [ORCL], start: 1995-01-01, "
         "end: 2014-12-31}\n"
         "strategy: {name: sma_cross, params: {fast: 10, slow: 30}}\n"
         "portfolio: {initial_cash: 100000, sizing: {rule: all_in, "
         "cash_buffer: 0.01}}\n"
         "execution: {commission: {model: percent, bps: 10}, slippage: "
         "{model: none}}\n";
  const testing::CommandResult run =
      Bt("run orcl.yaml --export out", Dir() / "layout" / "main");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string trades =
      Read(Dir() / "layout" / "main" / "out" / "trades.csv");
  EXPECT_GT(std::count(trades.begin(), trades.end(), '\n'), 20);
}

}  // namespace
}  // namespace seed
