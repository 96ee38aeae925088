#include "cli/run_diff.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSpecA[] = R"({"name":"x",
  "data":{"path":"/d","symbols":["A","B"],"on_bad_rows":"REJECT"},
  "strategy":{"name":"sma_cross",
              "params":{"fast":{"number":10},"slow":{"number":30}}},
  "portfolio":{"initial_cash":100000}})";
constexpr char kSpecB[] = R"({"name":"x",
  "data":{"path":"/d","symbols":["A"],"on_bad_rows":"DROP"},
  "strategy":{"name":"sma_cross",
              "params":{"fast":{"number":20},"mode":{"text":"long"}}},
  "portfolio":{"initial_cash":100000.5}})";

TEST(DiffSpecsTest, NamesEveryDifferingFieldInFieldOrder) {
  const absl::StatusOr<std::vector<FieldChange>> changes =
      DiffSpecs(kSpecA, kSpecB);
  ASSERT_TRUE(changes.ok()) << changes.status();
  const std::vector<FieldChange> expected = {
      {"data.symbols", R"(["A", "B"])", R"(["A"])"},
      {"data.on_bad_rows", "REJECT", "DROP"},
      {"strategy.params.fast", "10", "20"},
      {"strategy.params.mode", "(none)", R"("long")"},
      {"strategy.params.slow", "30", "(none)"},
      {"portfolio.initial_cash", "100000", "100000.5"},
  };
  EXPECT_EQ(*changes, expected);
}

TEST(DiffSpecsTest, EqualSpecsAndAParamChangingKindAreHandled) {
  EXPECT_TRUE(DiffSpecs(kSpecA, kSpecA)->empty());
  // Defaults printed or omitted make no difference.
  EXPECT_TRUE(DiffSpecs(R"({"name":""})", "")->empty());
  const absl::StatusOr<std::vector<FieldChange>> kind =
      DiffSpecs(R"({"strategy":{"params":{"p":{"number":1}}}})",
                R"({"strategy":{"params":{"p":{"text":"1"}}}})");
  ASSERT_TRUE(kind.ok());
  EXPECT_EQ(*kind,
            (std::vector<FieldChange>{{"strategy.params.p", "1", R"("1")"}}));
}

TEST(DiffSpecsTest, TextThatIsNotASpecFails) {
  const absl::StatusOr<std::vector<FieldChange>> changes =
      DiffSpecs(kSpecA, R"({"strategy":{"nmae":"x"}})");
  EXPECT_EQ(changes.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(changes.status().message()), HasSubstr("run B"));
}

v1::Trade MakeTrade(const std::string& symbol, int64_t entry, double net) {
  v1::Trade trade;
  trade.set_symbol(symbol);
  trade.set_side(v1::BUY);
  trade.set_entry_time(entry);
  trade.set_exit_time(entry + 86400);
  trade.set_quantity(10);
  trade.set_net_pnl(net);
  trade.set_exit_reason("signal");
  return trade;
}

// A finished run with a spec, two symbols and two trades.
v1::GetRunResponse MakeRun(const std::string& id) {
  v1::GetRunResponse response;
  v1::RunSummary& run = *response.mutable_run();
  run.set_run_id(id);
  run.set_name("demo");
  run.set_state(v1::SUCCEEDED);
  run.add_symbols("A");
  run.add_symbols("B");
  run.set_created_at(id == "run-1" ? "2024-01-01T00:00:00Z"
                                   : "2024-01-02T00:00:00Z");
  run.set_engine_version("0.3.0");
  run.set_first_time("2020-01-02");
  run.set_last_time("2020-12-31");
  v1::Metrics& metrics = *run.mutable_metrics();
  metrics.set_total_return(0.10);
  metrics.set_sharpe(1.5);
  metrics.set_max_drawdown(0.05);
  metrics.set_trades(2);
  metrics.set_final_equity(110000);
  response.set_canonical_spec(kSpecA);
  (*response.mutable_symbol_hashes())["A"] = "hash-a";
  (*response.mutable_symbol_hashes())["B"] = "hash-b";
  *response.add_trades() = MakeTrade("A", 1577923200, 50);
  *response.add_trades() = MakeTrade("B", 1580515200, -20);
  return response;
}

TEST(DiffRunsTest, RunsOfTheSameSpecAreIdenticalDespiteIdsAndTimes) {
  const v1::GetRunResponse a = MakeRun("run-1");
  const v1::GetRunResponse b = MakeRun("run-2");
  const absl::StatusOr<RunDiff> diff = DiffRuns(a, b);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_TRUE(diff->identical());
  const std::string text = FormatRunDiff(*diff, a, b);
  EXPECT_THAT(text, HasSubstr("A  run-1  demo\nB  run-2  demo\n"));
  EXPECT_THAT(text, HasSubstr("no differences"));
  EXPECT_THAT(text, HasSubstr("(2 trades)"));
}

TEST(DiffRunsTest, NamesSpecDataCodeAndResultsInThatOrder) {
  const v1::GetRunResponse a = MakeRun("run-1");
  v1::GetRunResponse b = MakeRun("run-2");
  b.set_canonical_spec(kSpecB);
  b.mutable_run()->clear_symbols();
  b.mutable_run()->add_symbols("A");
  b.mutable_run()->add_symbols("C");
  (*b.mutable_symbol_hashes())["A"] = "hash-a2";
  b.mutable_run()->set_first_time("2020-03-02");
  b.mutable_run()->set_engine_version("0.4.0");
  b.mutable_run()->mutable_metrics()->set_total_return(0.11);
  b.mutable_run()->mutable_metrics()->set_trades(3);
  b.mutable_trades(1)->set_net_pnl(-25);

  const absl::StatusOr<RunDiff> diff = DiffRuns(a, b);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_FALSE(diff->identical());
  EXPECT_EQ(diff->spec.size(), 6);
  EXPECT_EQ(diff->symbols_added, std::vector<std::string>{"C"});
  EXPECT_EQ(diff->symbols_removed, std::vector<std::string>{"B"});
  EXPECT_EQ(diff->symbols_changed, std::vector<std::string>{"A"});
  EXPECT_EQ(
      diff->data_range,
      (std::vector<FieldChange>{{"first_time", "2020-01-02", "2020-03-02"}}));
  ASSERT_TRUE(diff->engine.has_value());
  EXPECT_FALSE(diff->state.has_value());
  EXPECT_TRUE(diff->metrics_differ);
  ASSERT_TRUE(diff->trade.has_value());
  EXPECT_EQ(diff->trade->index, 1);
  EXPECT_EQ(diff->trade->before->net_pnl(), -20);
  EXPECT_EQ(diff->trade->after->net_pnl(), -25);

  const std::string text = FormatRunDiff(*diff, a, b);
  const std::vector<std::string> in_order = {
      "spec\n",
      "  strategy.params.fast: 10 -> 20\n",
      "data\n",
      "  symbols added: C\n",
      "  symbols removed: B\n",
      "  content changed (hash differs): A\n",
      "  first_time: 2020-01-02 -> 2020-03-02\n",
      "code\n  engine_version: 0.3.0 -> 0.4.0\n",
      "results\n",
      "total return",
      "10.00%",
      "11.00%",
      "+1.00 pp",
      "first differing trade: #2 (A has 2 trades, B has 2)",
      "    A: B        long  2020-02-01 @ 0.0000 -> 2020-02-02",
      "net -20.00",
      "    B: B        long",
      "net -25.00"};
  size_t position = 0;
  for (const std::string& part : in_order) {
    const size_t found = text.find(part, position);
    ASSERT_NE(found, std::string::npos)
        << "'" << part << "' after " << position << " in:\n"
        << text;
    position = found + part.size();
  }
  // Unchanged metrics show as equal; B minus A in the units shown.
  EXPECT_THAT(text,
              HasSubstr("                         A          B     B - A\n"
                        "  total return      10.00%     11.00%  +1.00 pp\n"));
  EXPECT_THAT(text,
              HasSubstr("  max drawdown      -5.00%     -5.00%         =\n"
                        "  trades                 2          3        +1\n"));
}

TEST(DiffRunsTest, AnExtraTradeIsTheFirstDifferenceAndStateIsNamed) {
  const v1::GetRunResponse a = MakeRun("run-1");
  v1::GetRunResponse b = MakeRun("run-2");
  *b.add_trades() = MakeTrade("A", 1590000000, 5);
  b.mutable_run()->set_state(v1::FAILED);
  const absl::StatusOr<RunDiff> diff = DiffRuns(a, b);
  ASSERT_TRUE(diff.ok());
  ASSERT_TRUE(diff->trade.has_value());
  EXPECT_EQ(diff->trade->index, 2);
  EXPECT_FALSE(diff->trade->before.has_value());
  const std::string text = FormatRunDiff(*diff, a, b);
  EXPECT_THAT(text, HasSubstr("spec: same\ndata: same\ncode: same"));
  EXPECT_THAT(text, HasSubstr("  state: SUCCEEDED -> FAILED\n"));
  EXPECT_THAT(text, HasSubstr("  metrics identical\n"));
  EXPECT_THAT(text, HasSubstr("    A: (no trade)\n"));
}

TEST(DiffRunsTest, MetricsAloneDifferingKeepsTradesIdentical) {
  const v1::GetRunResponse a = MakeRun("run-1");
  v1::GetRunResponse b = MakeRun("run-2");
  b.mutable_run()->mutable_metrics()->set_sortino(2);
  const absl::StatusOr<RunDiff> diff = DiffRuns(a, b);
  ASSERT_TRUE(diff.ok());
  const std::string text = FormatRunDiff(*diff, a, b);
  EXPECT_THAT(text, HasSubstr("  trades identical (2)\n"));
  EXPECT_THAT(text, Not(HasSubstr("first differing trade")));
}

TEST(FormatComparisonTest, OneColumnPerRunWithDashesForMissingValues) {
  v1::RunSummary first = MakeRun("run-1").run();
  first.mutable_metrics()->set_sortino(1.25);
  first.mutable_metrics()->set_exposure(0.5);
  v1::RunSummary failed;
  failed.set_run_id("run-2-longer-id");
  failed.set_name("broken");
  failed.set_state(v1::FAILED);  // failed before reading data: no metrics
  const std::string text = FormatComparison({first, failed});
  EXPECT_EQ(text,
            "  run                run-1  run-2-longer-id\n"
            "  name                demo           broken\n"
            "  total return      10.00%                -\n"
            "  CAGR                   -                -\n"
            "  Sharpe              1.50                -\n"
            "  max drawdown      -5.00%                -\n"
            "  trades                 2                -\n"
            "  win rate               -                -\n"
            "  profit factor          -                -\n"
            "  final equity   110000.00                -\n"
            "  Sortino             1.25                -\n"
            "  Calmar                 -                -\n"
            "  expectancy             -                -\n"
            "  exposure          50.00%                -\n");
}

}  // namespace
}  // namespace seed::cli
