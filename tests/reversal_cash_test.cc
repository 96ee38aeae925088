// A reversal in a cash account never spends cash it does not have (issue 15
// section 1), end to end through the coordinator and the built-in portfolio
// and execution stages, on four hand-made daily bars that reproduce the
// issue's figures:
//   day 1, close 1.59375: SHORT, sized floor(0.99 x 100000 / 1.59375) = 62117;
//   day 2, open 1.583333: the short fills; cash 100000 + 98351.90 - 98.35 =
//     198253.54;
//   day 3, close 1.416667: the short is worth 87999.10, equity 110254.44;
//     CLOSE, then BUY floor(0.99 x 110254.44 / 1.416667) = 77048;
//   day 4, open 1.427083 (a gap up against the short): the cover pays
//     88646.11 + 88.65, leaving 109518.78; the buy needs 109953.89 + 109.95 =
//     110063.84, so it is refused INSUFFICIENT_CASH and cash stays 109518.78
//     (before the fix it filled and left cash at -545.06).
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/run_manager.h"
#include "tests/scripted_strategy.h"
#include "tests/stored_run.h"

namespace seed::coordinator {
namespace {

// Shorts at the first step, reverses to long at the third.
class ReversingStrategy : public testing::ScriptedStrategy {
 protected:
  void OnStep(
      const v1::TimeStep& step, const v1::PortfolioView&,
      google::protobuf::RepeatedPtrField<v1::Intent>* intents) override {
    const auto add = [&](v1::Intent::Action action) {
      v1::Intent* intent = intents->Add();
      intent->set_symbol(0);
      intent->set_action(action);
      intent->set_type(v1::MARKET);
    };
    if (step.index() == 0) add(v1::Intent::SHORT);
    if (step.index() == 2) {
      add(v1::Intent::CLOSE);
      add(v1::Intent::BUY);
    }
  }
};

TEST(ReversalCashTest, TheBuyAfterACoverThatGappedIsRefusedForCash) {
  const std::filesystem::path directory =
      std::filesystem::path(::testing::TempDir()) / "reversal_cash";
  std::filesystem::create_directories(directory);
  {
    std::ofstream csv(directory / "REV.csv");
    csv << "date,open,high,low,close,volume\n"
           "2001-01-02,1.6,1.6,1.59375,1.59375,1000000\n"
           "2001-01-03,1.583333,1.59,1.5,1.5,1000000\n"
           "2001-01-04,1.5,1.5,1.416667,1.416667,1000000\n"
           "2001-01-05,1.427083,1.45,1.42,1.44,1000000\n";
  }
  absl::StatusOr<Stages> stages =
      MakeEmbeddedStages((directory / "results.db").string());
  ASSERT_TRUE(stages.ok()) << stages.status();
  stages->strategy = std::make_unique<ReversingStrategy>();
  RunManager runs(*std::move(stages));
  const testing::StoredRun run = testing::RunToEnd(
      runs, "data: {path: '" + directory.string() +
                "', symbols: [REV]}\n"
                "strategy: {name: reversing}\n"
                "portfolio: {initial_cash: 100000, account: {type: cash},\n"
                "  sizing: {rule: percent_of_equity, percent: 0.99},\n"
                "  shorting: {enabled: true, borrow_rate: 0}}\n"
                "execution: {commission: {model: percent, bps: 10}}\n"
                "metrics: {bootstrap_resamples: 0}\n");
  ASSERT_EQ(run.progress.state(), v1::SUCCEEDED) << run.progress.DebugString();
  const v1::GetRunResponse& stored = run.stored;

  // The short and its cover; the buy never fills.
  ASSERT_EQ(stored.fills_size(), 2);
  EXPECT_EQ(stored.fills(0).side(), v1::SELL);
  EXPECT_EQ(stored.fills(0).quantity(), 62117);
  EXPECT_EQ(stored.fills(1).side(), v1::BUY);
  EXPECT_EQ(stored.fills(1).quantity(), 62117);
  EXPECT_EQ(stored.fills(1).price(), 1.427083);
  ASSERT_EQ(stored.rejections_size(), 1);
  const v1::Rejection& rejection = stored.rejections(0);
  EXPECT_EQ(rejection.code(), "INSUFFICIENT_CASH");
  EXPECT_EQ(rejection.stage(), "execution");
  EXPECT_EQ(rejection.quantity(), 77048);
  EXPECT_EQ(rejection.message(),
            "buy 77048 of REV at 1.427083 needs 110063.84 with commission; "
            "cash available 109518.78");

  // Cash after the short: 198253.54; after the cover: 109518.78, never
  // below zero.
  ASSERT_EQ(stored.equity_size(), 4);
  EXPECT_NEAR(stored.equity(1).cash(), 198253.54, 0.005);
  EXPECT_NEAR(stored.equity(3).cash(), 109518.78, 0.005);
  EXPECT_NEAR(stored.equity(3).equity(), 109518.78, 0.005);
}

}  // namespace
}  // namespace seed::coordinator
