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
using ::testing::Not;
namespace fs = std::filesystem;

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bt_ = fs::absolute("cli/bt").string();
    fs::remove_all(Dir());
    fs::create_directories(Dir());
    const testing::CommandResult synth =
        Bt("data synth --out " + (Dir() / "data").string() +
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

  static std::string WriteSpec(const std::string& name,
                               const std::string& text) {
    const fs::path path = Dir() / name;
    std::ofstream(path) << text;
    return path.string();
  }

  // Runs `spec` (a file under Dir()) and returns the new run's id.
  static std::string RunSpec(const std::string& spec) {
    const testing::CommandResult run = Bt("run " + spec);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    const std::string marker = "(bt show ";
    const size_t start = run.output.find(marker);
    if (start == std::string::npos) return "";
    const size_t id_start = start + marker.size();
    return run.output.substr(id_start,
                             run.output.find(')', id_start) - id_start);
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
  for (const char* label :
       {"total return", "CAGR", "Sharpe", "max drawdown", "trades", "win rate",
        "profit factor", "results stored in", "SUCCEEDED"}) {
    EXPECT_THAT(run.output, HasSubstr(label));
  }
  const std::string trades = Read(Dir() / "export" / "trades.csv");
  EXPECT_EQ(trades.substr(0, trades.find('\n')),
            "symbol,side,entry_time,entry_price,exit_time,exit_price,quantity,"
            "gross_pnl,commission,net_pnl,exit_reason,r_multiple,borrow_fees,"
            "slippage,mae,mfe,initial_stop");
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

TEST_F(CliTest, StepDeadlineMustBeAPositiveDuration) {
  const std::string spec = WriteSpec("deadline.yaml", kSynthSpec);
  for (const std::string bad : {"soon", "0s", "-1s"}) {
    const testing::CommandResult run =
        Bt("run " + spec + " --step-deadline=" + bad);
    EXPECT_EQ(run.exit_code, 2) << run.output;
    EXPECT_NE(run.output.find("--step-deadline: must be a positive duration "
                              "like 30s or 500ms, got \"" +
                              bad + "\""),
              std::string::npos)
        << run.output;
  }
  const testing::CommandResult good =
      Bt("run " + spec + " --step-deadline=500ms");
  EXPECT_EQ(good.exit_code, 0) << good.output;
}

TEST_F(CliTest, DiffNamesTheChangedParamAndTheSameSpecTwiceIsIdentical) {
  const std::string spec = WriteSpec("diff_a.yaml", kSynthSpec);
  std::string faster = kSynthSpec;
  faster.replace(faster.find("fast: 5"), 7, "fast: 9");
  const std::string a = RunSpec(spec);
  const std::string b = RunSpec(WriteSpec("diff_b.yaml", faster));
  const std::string again = RunSpec(spec);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  ASSERT_FALSE(again.empty());

  const testing::CommandResult differ = Bt("diff " + a + " " + b);
  EXPECT_EQ(differ.exit_code, 1) << differ.output;
  EXPECT_THAT(differ.output, HasSubstr("strategy.params.fast: 5 -> 9\n"));
  EXPECT_THAT(differ.output, HasSubstr("data: same"));
  EXPECT_THAT(differ.output, HasSubstr("total return"));

  // Only the ids and wall-clock times differ.
  const testing::CommandResult same = Bt("diff " + a + " " + again);
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_THAT(same.output, HasSubstr("no differences"));

  EXPECT_EQ(Bt("diff " + a).exit_code, 2);
  const testing::CommandResult unknown = Bt("diff " + a + " no-such-run");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("UNKNOWN_RUN"));
}

TEST_F(CliTest, ShowJsonPrintsOneObjectForPrograms) {
  const std::string id = RunSpec(WriteSpec("json.yaml", kSynthSpec));
  ASSERT_FALSE(id.empty());
  const std::string parse =
      " | /usr/bin/python3 -c 'import json,sys; run = json.load(sys.stdin); "
      "print(run[\"run\"][\"run_id\"], len(run.get(\"trades\", [])) > 0)'";
  const testing::CommandResult summary = Bt("show " + id + " --json" + parse);
  EXPECT_EQ(summary.exit_code, 0) << summary.output;
  EXPECT_EQ(summary.output, id + " False\n");
  const testing::CommandResult records =
      Bt("show " + id.substr(0, id.size() - 1) + " --json --records" + parse);
  EXPECT_EQ(records.exit_code, 0) << records.output;
  EXPECT_EQ(records.output, id + " True\n");
  EXPECT_EQ(Bt("show " + id + " --records").exit_code, 2);
}

TEST_F(CliTest, CompareListsEveryRunAndRunsFilterBySymbol) {
  const std::string all = RunSpec(WriteSpec("compare_all.yaml", kSynthSpec));
  std::string one_symbol = kSynthSpec;
  one_symbol.replace(one_symbol.find("[SYNA, SYNB, SYNC]"), 18, "[SYNB]");
  const std::string synb = RunSpec(WriteSpec("compare_synb.yaml", one_symbol));
  ASSERT_FALSE(all.empty());
  ASSERT_FALSE(synb.empty());

  const testing::CommandResult compare = Bt("compare " + all + " " + synb);
  EXPECT_EQ(compare.exit_code, 0) << compare.output;
  for (const std::string& label :
       {all, synb, std::string("Sharpe"), std::string("Sortino"),
        std::string("Calmar"), std::string("expectancy"),
        std::string("exposure")}) {
    EXPECT_THAT(compare.output, HasSubstr(label));
  }
  EXPECT_EQ(Bt("compare " + all).exit_code, 2);

  const testing::CommandResult syna = Bt("runs --symbol SYNA --limit 1000");
  EXPECT_EQ(syna.exit_code, 0) << syna.output;
  EXPECT_THAT(syna.output, HasSubstr(all));
  EXPECT_THAT(syna.output, Not(HasSubstr(synb)));
  const testing::CommandResult both =
      Bt("runs --symbol SYNB --strategy sma_cross --since 2000-01-01");
  EXPECT_EQ(both.exit_code, 0) << both.output;
  EXPECT_THAT(both.output, HasSubstr(all));
  EXPECT_THAT(both.output, HasSubstr(synb));
  // Every run here was created after 2000: none is listed, and the command
  // says so (a failing command's output would lack the id as well).
  const testing::CommandResult none = Bt("runs --until 2000-01-01");
  EXPECT_EQ(none.exit_code, 0) << none.output;
  EXPECT_THAT(none.output, HasSubstr("no stored runs match these filters"));
  EXPECT_THAT(none.output, Not(HasSubstr(all)));
  EXPECT_EQ(Bt("runs --since yesterday").exit_code, 2);
}

TEST_F(CliTest, InvalidSpecExitsTwoNamingEveryField) {
  const std::string spec =
      WriteSpec("bad.yaml",
                "data: {path: data, symbols: [SYNA]}\n"
                "strategy: {name: sma_cross, params: {fast: 0, speed: 3}}\n"
                "portfolio: {initial_cash: 0}\n");
  const testing::CommandResult run = Bt("run " + spec);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("strategy.params.fast"));
  EXPECT_THAT(run.output, HasSubstr("strategy.params.speed"));
  EXPECT_THAT(run.output, HasSubstr("portfolio.initial_cash"));
}

TEST_F(CliTest, ShowExplainsARunWithoutTrades) {
  // The synthetic data has 400 bars: slow = 450 never fills.
  std::string long_lookback = kSynthSpec;
  long_lookback.replace(long_lookback.find("slow: 20"), 8, "slow: 450");
  const std::string quiet = RunSpec(WriteSpec("quiet.yaml", long_lookback));
  ASSERT_FALSE(quiet.empty());
  const testing::CommandResult never = Bt("show " + quiet);
  EXPECT_EQ(never.exit_code, 0) << never.output;
  EXPECT_THAT(never.output, HasSubstr("activity: 0 closed trades\n"));
  EXPECT_THAT(never.output, HasSubstr("the strategy never signalled"));
  EXPECT_THAT(never.output,
              HasSubstr("likely cause: strategy.params.slow = 450 needs more "
                        "than 450 bars; the run had 400 bars"));
  EXPECT_THAT(never.output, Not(HasSubstr("params.fast")));

  // Ten in cash cannot pay for 100 shares: every buy is refused.
  const std::string poor = RunSpec(
      WriteSpec("poor.yaml",
                "name: cli-poor\n"
                "data: {path: data, symbols: [SYNA, SYNB, SYNC]}\n"
                "strategy: {name: sma_cross, params: {fast: 5, slow: 20}}\n"
                "portfolio: {initial_cash: 10, sizing: {rule: fixed_quantity, "
                "quantity: 100}}\n"));
  ASSERT_FALSE(poor.empty());
  const testing::CommandResult refused = Bt("show " + poor);
  EXPECT_EQ(refused.exit_code, 0) << refused.output;
  const std::string& text = refused.output;
  EXPECT_THAT(text, HasSubstr("activity: 0 closed trades\n"));
  EXPECT_THAT(text, Not(HasSubstr("never signalled")));
  // The group counts every refusal bt show lists.
  const std::string listed = "execution INSUFFICIENT_CASH: buy 100 of ";
  int rejections = 0;
  for (size_t at = text.find(listed); at != std::string::npos;
       at = text.find(listed, at + 1)) {
    ++rejections;
  }
  ASSERT_GT(rejections, 0) << text;
  const std::string count = std::to_string(rejections);
  EXPECT_THAT(text, HasSubstr("  orders: " + count +
                              " placed, 0 filled (0 fills)\n  refused: " +
                              count + ", by reason:\n    " + count +
                              " x execution INSUFFICIENT_CASH, e.g. "));

  // A run with many trades has nothing to explain.
  const std::string busy = RunSpec(WriteSpec("busy.yaml", kSynthSpec));
  ASSERT_FALSE(busy.empty());
  const testing::CommandResult normal = Bt("show " + busy);
  EXPECT_EQ(normal.exit_code, 0) << normal.output;
  EXPECT_THAT(normal.output, HasSubstr("trades ("));
  EXPECT_THAT(normal.output, Not(HasSubstr("activity:")));
}

TEST_F(CliTest, MissingSymbolFailsAndShowExplainsWhere) {
  const std::string spec =
      WriteSpec("missing.yaml",
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
  // Which fill timing the run used is stated (issue 15, section 2).
  EXPECT_THAT(show.output, HasSubstr("fill timing: next_open"));
}

TEST_F(CliTest, CoordinatorThatIsDownIsNamedWithItsAddress) {
  const std::string spec = WriteSpec("down.yaml", kSynthSpec);
  const std::string address =
      "127.0.0.1:" + std::to_string(testing::FreePort());
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

// bt trace on a run of this process: the tree with the run and its stage
// calls, and the OTLP file; unknown runs and bad usage say so.
TEST_F(CliTest, TraceShowsTheRunsTreeAndWritesOtlp) {
  const std::string run_id = RunSpec(WriteSpec("trace.yaml", kSynthSpec));
  ASSERT_FALSE(run_id.empty());
  const testing::CommandResult tree = Bt("trace " + run_id.substr(0, run_id.size() - 2));
  EXPECT_EQ(tree.exit_code, 0) << tree.output;
  EXPECT_THAT(tree.output, HasSubstr("run " + run_id + "\ntrace "));
  EXPECT_THAT(tree.output, HasSubstr("\nrun  "));
  EXPECT_THAT(tree.output, HasSubstr("run.state=SUCCEEDED"));
  EXPECT_THAT(tree.output, HasSubstr("├─ execution.execute_steps x"));
  EXPECT_THAT(tree.output, Not(HasSubstr("FAILED")));

  const std::string otlp = (Dir() / "trace.json").string();
  const testing::CommandResult written =
      Bt("trace " + run_id + " --otlp " + otlp);
  EXPECT_EQ(written.exit_code, 0) << written.output;
  const std::string json = Read(otlp);
  EXPECT_EQ(json.rfind("{\"resourceSpans\":[{\"resource\":{\"attributes\":"
                       "[{\"key\":\"service.name\",\"value\":{\"stringValue\":"
                       "\"coordinator\"}}]},\"scopeSpans\":[{\"scope\":"
                       "{\"name\":\"seed-backtester\"",
                       0),
            0)
      << json.substr(0, 300);
  EXPECT_THAT(json, HasSubstr(run_id));

  // An unknown run is bad usage, as for show, compare and diff.
  EXPECT_EQ(Bt("trace no-such-run").exit_code, 2);
  EXPECT_EQ(Bt("trace").exit_code, 2);
}

}  // namespace
}  // namespace seed
