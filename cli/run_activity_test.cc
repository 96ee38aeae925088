#include "cli/run_activity.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kDay = 86400;
constexpr int64_t kFirstDay = 1420070400;  // 2015-01-01

constexpr char kSmaSpec[] =
    R"({"data": {"symbols": ["AAA", "BBB"]}, "strategy": {"name": "sma_cross",)"
    R"( "params": {"fast": {"number": 10}, "slow": {"number": 500},)"
    R"( "direction": {"text": "long"}}}})";

// A succeeded run of two symbols over `bars` daily bars with `closed`
// closed trades.
v1::GetRunResponse MakeRun(int bars, int closed,
                           const std::string& spec = kSmaSpec) {
  v1::GetRunResponse run;
  run.mutable_run()->set_state(v1::SUCCEEDED);
  run.mutable_run()->add_symbols("AAA");
  run.mutable_run()->add_symbols("BBB");
  run.mutable_run()->set_first_time("2015-01-01");
  run.mutable_run()->set_last_time("2016-02-04");
  run.mutable_run()->mutable_metrics()->set_trades(closed);
  run.set_canonical_spec(spec);
  for (int i = 0; i < bars; ++i) {
    run.add_equity()->set_time(kFirstDay + i * kDay);
  }
  return run;
}

void AddRejection(v1::GetRunResponse& run, int64_t order_id,
                  const std::string& stage, const std::string& code, int symbol,
                  int day, const std::string& message) {
  v1::Rejection* rejection = run.add_rejections();
  rejection->set_order_id(order_id);
  rejection->set_stage(stage);
  rejection->set_code(code);
  rejection->set_symbol(symbol);
  rejection->set_time(kFirstDay + day * kDay);
  rejection->set_message(message);
}

TEST(RunActivityTest, GroupsRejectionsByReasonMostFirstWithTheFirstExample) {
  v1::GetRunResponse run = MakeRun(400, 0);
  AddRejection(run, 0, "portfolio", "MAX_POSITIONS", 0, 3, "one too many");
  for (int day = 10; day < 13; ++day) {
    AddRejection(run, day, "execution", "INSUFFICIENT_CASH", 1, day,
                 "cash " + std::to_string(day));
  }
  AddRejection(run, 0, "portfolio", "NOT_SHORTABLE", 1, 20, "no borrow");
  AddRejection(run, 0, "portfolio", "MAX_POSITIONS", 1, 30, "again");

  const RunActivity activity = ReadRunActivity(run);
  EXPECT_EQ(activity.refused, 6);
  EXPECT_EQ(activity.orders_placed, 3);
  EXPECT_EQ(activity.orders_filled, 0);
  ASSERT_EQ(activity.refusals.size(), 3u);
  EXPECT_EQ(activity.refusals[0].code, "INSUFFICIENT_CASH");
  EXPECT_EQ(activity.refusals[0].count, 3);
  EXPECT_EQ(activity.refusals[0].example.message(), "cash 10");
  EXPECT_EQ(activity.refusals[1].code, "MAX_POSITIONS");
  EXPECT_EQ(activity.refusals[1].count, 2);
  EXPECT_EQ(activity.refusals[1].example.message(), "one too many");
  EXPECT_EQ(activity.refusals[2].code, "NOT_SHORTABLE");

  const std::string text = ExplainRunActivity(run);
  EXPECT_THAT(text, HasSubstr("activity: 0 closed trades\n"));
  EXPECT_THAT(text, HasSubstr("orders: 3 placed, 0 filled (0 fills)\n"));
  EXPECT_THAT(text, HasSubstr("refused: 6, by reason:\n"));
  EXPECT_THAT(text, HasSubstr("    3 x execution INSUFFICIENT_CASH, e.g. "
                              "2015-01-11 BBB: cash 10\n"));
  EXPECT_THAT(text, HasSubstr("    2 x portfolio MAX_POSITIONS, e.g. "
                              "2015-01-04 AAA: one too many\n"));
  EXPECT_LT(text.find("INSUFFICIENT_CASH"), text.find("MAX_POSITIONS"));
  EXPECT_LT(text.find("MAX_POSITIONS"), text.find("NOT_SHORTABLE"));
  // Refusals explain the run: no guess about lookbacks.
  EXPECT_THAT(text, Not(HasSubstr("never signalled")));
}

TEST(RunActivityTest, NeverSignalledNamesTheLookbackLongerThanTheData) {
  const v1::GetRunResponse run = MakeRun(400, 0);
  const RunActivity activity = ReadRunActivity(run);
  ASSERT_EQ(activity.long_lookbacks.size(), 1u);
  EXPECT_EQ(activity.long_lookbacks[0].field, "strategy.params.slow");
  EXPECT_EQ(activity.long_lookbacks[0].bars, 500);

  const std::string text = ExplainRunActivity(run);
  EXPECT_THAT(text, HasSubstr("the strategy never signalled"));
  EXPECT_THAT(text, HasSubstr("likely cause: strategy.params.slow = 500 needs "
                              "more than 500 bars; the run had 400 bars, "
                              "2015-01-01..2016-02-04\n"));
  // fast = 10 fits in 400 bars.
  EXPECT_THAT(text, Not(HasSubstr("params.fast")));
  EXPECT_THAT(text, Not(HasSubstr("by reason")));
}

TEST(RunActivityTest, WarmupBarsCountAndDataLimitsAreNamed) {
  const std::string spec =
      R"({"data": {"start": "2015-01-01", "warmup_bars": 200},)"
      R"( "strategies": [{"name": "momentum", "id": "mom",)"
      R"( "params": {"lookback": {"number": 650}, "top_n": {"number": 900}}},)"
      R"( {"name": "sma_cross", "params": {"slow": {"number": 500}}}]})";
  const v1::GetRunResponse run = MakeRun(400, 0, spec);
  const std::string text = ExplainRunActivity(run);
  // 400 bars and 200 of warm-up cover slow = 500, not lookback = 650;
  // top_n is no lookback.
  EXPECT_THAT(text, HasSubstr("strategies[mom].params.lookback = 650"));
  EXPECT_THAT(text, HasSubstr("400 bars (+ up to 200 warm-up bars)"));
  EXPECT_THAT(text, Not(HasSubstr("params.slow")));
  EXPECT_THAT(text, Not(HasSubstr("top_n")));
  EXPECT_THAT(text, HasSubstr("the spec limits the data to 2015-01-01..(end)"));
}

TEST(RunActivityTest,
     NeverSignalledWithShortLookbacksSaysTheConditionNeverHeld) {
  v1::GetRunResponse run = MakeRun(1000, 0);
  const std::string text = ExplainRunActivity(run);
  EXPECT_THAT(text, HasSubstr("no lookback parameter is as long as the run's "
                              "1000 bars"));
  EXPECT_THAT(text, Not(HasSubstr("likely cause")));
}

TEST(RunActivityTest, AnUnreadableSpecIsSaidNotGuessed) {
  const v1::GetRunResponse run = MakeRun(400, 0, "{not json");
  const std::string text = ExplainRunActivity(run);
  EXPECT_THAT(text, HasSubstr("the stored spec cannot be read"));
  EXPECT_THAT(text, Not(HasSubstr("likely cause")));
}

TEST(RunActivityTest, TwoTradesCountOrdersAndFills) {
  v1::GetRunResponse run = MakeRun(400, 2);
  run.mutable_run()->mutable_metrics()->set_open_trades(1);
  // Orders 1..4 filled (order 4 in two partial fills), order 5 for the open
  // trade filled, order 6 refused at execution.
  for (const int64_t order : {1, 2, 3, 4, 4, 5}) {
    run.add_fills()->set_order_id(order);
  }
  AddRejection(run, 6, "execution", "INSUFFICIENT_CASH", 0, 50, "short");
  const std::string text = ExplainRunActivity(run);
  EXPECT_THAT(text, HasSubstr("activity: 2 closed trades (+1 open)\n"));
  EXPECT_THAT(text, HasSubstr("orders: 6 placed, 5 filled (6 fills)\n"));
  EXPECT_THAT(text, HasSubstr("1 x execution INSUFFICIENT_CASH"));
}

TEST(RunActivityTest, ARunWithEnoughTradesOrThatFailedGetsNothing) {
  v1::GetRunResponse run = MakeRun(400, kFewTrades);
  AddRejection(run, 0, "portfolio", "MAX_POSITIONS", 0, 3, "one too many");
  EXPECT_EQ(ExplainRunActivity(run), "");
  v1::GetRunResponse failed = MakeRun(400, 0);
  failed.mutable_run()->set_state(v1::FAILED);
  EXPECT_EQ(ExplainRunActivity(failed), "");
  // One fewer trade than the bound is explained.
  run.mutable_run()->mutable_metrics()->set_trades(kFewTrades - 1);
  EXPECT_THAT(ExplainRunActivity(run), HasSubstr("MAX_POSITIONS"));
}

}  // namespace
}  // namespace seed::cli
