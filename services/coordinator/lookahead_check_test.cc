// The look-ahead check: an honest strategy passes every cut, one that peeks
// at the next step of the window it is given is caught at the first decision
// that needed the future; and its parts on hand-made inputs.
#include "services/coordinator/lookahead_check.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/spec.h"
#include "services/data/synthetic_market.h"

namespace seed::coordinator {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Buys symbol 0 when its next close (one step further in the request) is
// higher, closes the position when it is lower: look-ahead inside the
// contract, the way a strategy could misuse a chunk of steps. Without a next
// step in the request it does nothing.
class WindowPeekingStrategy final : public StrategyStage {
 public:
  absl::Status ListStrategies(const v1::ListStrategiesRequest&,
                              v1::ListStrategiesResponse*) override {
    return absl::OkStatus();
  }
  absl::Status StartRun(const v1::StrategyStartRequest& request,
                        v1::StrategyStartResponse* response) override {
    response->Clear();
    *response->mutable_resolved() = request.strategy();
    return absl::OkStatus();
  }
  absl::Status OnSteps(const v1::StrategyStepsRequest& request,
                       v1::StrategyStepsResponse* response) override {
    response->Clear();
    for (int i = 0; i < request.steps_size(); ++i) {
      response->set_steps_used(i + 1);
      if (i + 1 == request.steps_size()) break;
      const double close = request.steps(i).bars(0).close();
      const double next = request.steps(i + 1).bars(0).close();
      const bool long_now = request.views(i).positions_size() > 0 ||
                            request.views(i).working_orders_size() > 0;
      v1::Intent intent;
      intent.set_symbol(0);
      if (!long_now && next > close) {
        intent.set_action(v1::Intent::BUY);
      } else if (long_now && next < close &&
                 request.views(i).working_orders_size() == 0) {
        intent.set_action(v1::Intent::CLOSE);
      } else {
        continue;
      }
      *response->add_intents() = intent;
      break;
    }
    return absl::OkStatus();
  }
  absl::Status EndRun(const v1::StrategyEndRequest&,
                      v1::StrategyEndResponse* response) override {
    response->Clear();
    return absl::OkStatus();
  }
};

class LookaheadCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        fs::path(::testing::TempDir()) /
        ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }

  // Three synthetic symbols (one listed late, one halted) over 300 weekdays.
  backtest::v1::BacktestSpec SyntheticSpec(const std::string& strategy) {
    data::SyntheticMarketOptions market;
    market.output_dir = (directory_ / "data").string();
    market.symbols = 3;
    market.seed = 7;
    market.trading_days = 300;
    const absl::Status written = data::WriteSyntheticMarket(market);
    EXPECT_TRUE(written.ok()) << written;
    absl::StatusOr<backtest::v1::BacktestSpec> spec = ParseSpec(
        "name: lookahead\n"
        "data: {path: data, symbols: [SYNA, SYNB, SYNC]}\n"
        "strategy: " +
            strategy +
            "\n"
            "portfolio: {initial_cash: 100000, sizing: {rule: "
            "percent_of_equity, "
            "percent: 0.3}}\n"
            "execution: {commission: {model: percent, bps: 10}}\n",
        directory_.string());
    EXPECT_TRUE(spec.ok()) << spec.status();
    return *spec;
  }

  Stages EmbeddedStages() {
    absl::StatusOr<Stages> stages =
        MakeEmbeddedStages((directory_ / "unused.db").string());
    EXPECT_TRUE(stages.ok()) << stages.status();
    return *std::move(stages);
  }

  LookaheadOptions Options(int cuts) {
    return {.cuts = cuts, .scratch_dir = (directory_ / "scratch").string()};
  }

  fs::path directory_;
};

TEST_F(LookaheadCheckTest, AnHonestStrategyPassesEveryCut) {
  absl::StatusOr<LookaheadReport> report = CheckLookahead(
      EmbeddedStages(),
      SyntheticSpec("{name: sma_cross, params: {fast: 5, slow: 20}}"),
      Options(4));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->passed());
  // 300 weekdays, every one a step (SYNA trades on all of them).
  EXPECT_EQ(report->steps, 300);
  ASSERT_EQ(report->cuts.size(), 4u);
  // SYNC lists at step 300 / 3 = 100 (index 100), leaving 200 steps to cut:
  // after 100 + 200 * k / 5 = 140, 180, 220, 260 steps.
  EXPECT_EQ(report->cuts[0].steps, 140);
  EXPECT_EQ(report->cuts[3].steps, 260);
  // Decisions (intents, orders, fills) exist before the cuts, so the
  // comparison compared something.
  EXPECT_GT(report->cuts[3].decisions, 10);
  for (const CutResult& cut : report->cuts) {
    EXPECT_FALSE(cut.divergence.has_value()) << FormatTime(cut.cut_time);
  }
  // Nothing was stored in the run history.
  v1::ListRunsResponse runs;
  ASSERT_TRUE(EmbeddedStages().results->ListRuns({}, &runs).ok());
  EXPECT_EQ(runs.runs_size(), 0);
}

TEST_F(LookaheadCheckTest, AStrategyPeekingAtTheNextStepIsCaught) {
  Stages stages = EmbeddedStages();
  stages.strategy = std::make_unique<WindowPeekingStrategy>();
  absl::StatusOr<LookaheadReport> report = CheckLookahead(
      std::move(stages), SyntheticSpec("{name: peeker}"), Options(4));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->passed());
  int caught = 0;
  for (const CutResult& cut : report->cuts) {
    if (!cut.divergence) continue;
    ++caught;
    // The cut run could not see the step after the cut, so the full run's
    // decision there is missing from it: an intent of SYNA at the cut.
    EXPECT_EQ(cut.divergence->time, cut.cut_time);
    EXPECT_EQ(cut.divergence->symbol, "SYNA");
    EXPECT_EQ(cut.divergence->kind, "intent");
    EXPECT_THAT(cut.divergence->full, HasSubstr("action:"));
    EXPECT_EQ(cut.divergence->cut, "(none)");
  }
  EXPECT_GE(caught, 1);
}

TEST_F(LookaheadCheckTest, AFailingFullRunIsAnErrorNotAReport) {
  backtest::v1::BacktestSpec spec =
      SyntheticSpec("{name: sma_cross, params: {fast: 5, slow: 20}}");
  spec.mutable_data()->set_start("2030-01-01");
  absl::StatusOr<LookaheadReport> report =
      CheckLookahead(EmbeddedStages(), spec, Options(3));
  // The data stage finds no bars from 2030 on: a failed run, not a bad spec.
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(report.status().message(), HasSubstr("the full run failed"));
}

TEST(ChooseCutTimesTest, EvenlySpacedBeforeTheLastStep) {
  const std::vector<int64_t> times = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  // 10 steps, 4 cuts: after steps 10*k/5 = 2, 4, 6, 8.
  EXPECT_THAT(ChooseCutTimes(times, 0, 4), ElementsAre(20, 40, 60, 80));
  // From 50 on (6 steps from index 4), 2 cuts: indexes 4 + 6*k/3 - 1 = 5, 7.
  EXPECT_THAT(ChooseCutTimes(times, 45, 2), ElementsAre(60, 80));
  // More cuts than steps: each step before the last once.
  EXPECT_THAT(ChooseCutTimes({1, 2, 3}, 0, 10), ElementsAre(1, 2));
  EXPECT_TRUE(ChooseCutTimes({5}, 0, 3).empty());
  EXPECT_TRUE(ChooseCutTimes({1, 2, 3}, 3, 3).empty());
}

TEST(FirstDivergenceTest, NamesTheFirstDecisionThatDiffers) {
  using Kind = Decision::Kind;
  const std::vector<Decision> full = {
      {10, Kind::kIntent, "A", "action: BUY"},
      {10, Kind::kOrder, "A", "id: 1"},
      {20, Kind::kIntent, "B", "action: BUY"},
      {30, Kind::kIntent, "A", "action: CLOSE"}};
  // Identical up to the cut; what comes after it does not count.
  EXPECT_FALSE(FirstDivergence(full, {full[0], full[1], full[2]}, 20));
  // The cut run lacks the intent at 20.
  std::optional<Divergence> missing =
      FirstDivergence(full, {full[0], full[1]}, 20);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->time, 20);
  EXPECT_EQ(missing->symbol, "B");
  EXPECT_EQ(missing->kind, "intent");
  EXPECT_EQ(missing->full, "action: BUY");
  EXPECT_EQ(missing->cut, "(none)");
  // The cut run decided something the full run did not (earlier in a step).
  std::optional<Divergence> extra = FirstDivergence(
      full, {full[0], {10, Kind::kIntent, "B", "action: SHORT"}, full[1]}, 10);
  ASSERT_TRUE(extra);
  EXPECT_EQ(extra->symbol, "B");
  EXPECT_EQ(extra->full, "(none)");
  EXPECT_EQ(extra->cut, "action: SHORT");
  // Same slot, different content.
  std::optional<Divergence> changed =
      FirstDivergence(full, {full[0], {10, Kind::kOrder, "A", "id: 2"}}, 10);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->kind, "order");
  EXPECT_EQ(changed->full, "id: 1");
  EXPECT_EQ(changed->cut, "id: 2");
  // Same slot, another symbol: the full run's symbol, the cut run's named.
  std::optional<Divergence> other = FirstDivergence(
      full, {full[0], full[1], {20, Kind::kIntent, "C", "action: BUY"}}, 20);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->symbol, "B");
  EXPECT_EQ(other->full, "action: BUY");
  EXPECT_EQ(other->cut, "C: action: BUY");
}

TEST_F(LookaheadCheckTest, CutDataKeepsRowsUpToTheCutAndLinksOtherFiles) {
  fs::create_directories(directory_ / "from");
  std::ofstream(directory_ / "from" / "AAA.csv")
      << "date,open,high,low,close,volume\n"
         "2020-01-06,1,2,0.5,1.5,10\n"
         "2020-01-07,1,2,0.5,1.5,10\n"
         "garbage row\n"
         "2020-01-08,1,2,0.5,1.5,10\n";
  std::ofstream(directory_ / "from" / "BBB.csv") << "date,open\n";
  std::ofstream(directory_ / "from" / "sectors.yaml") << "AAA: tech\n";
  const absl::Status status =
      WriteCutData((directory_ / "from").string(), {"AAA"},
                   *ParseTime("2020-01-07"), (directory_ / "to").string());
  ASSERT_TRUE(status.ok()) << status;
  std::stringstream cut;
  cut << std::ifstream(directory_ / "to" / "AAA.csv").rdbuf();
  EXPECT_EQ(cut.str(),
            "date,open,high,low,close,volume\n"
            "2020-01-06,1,2,0.5,1.5,10\n"
            "2020-01-07,1,2,0.5,1.5,10\n"
            "garbage row\n");
  // Files of other symbols and other files are there, uncut.
  EXPECT_TRUE(fs::is_symlink(directory_ / "to" / "BBB.csv"));
  EXPECT_TRUE(fs::is_symlink(directory_ / "to" / "sectors.yaml"));
}

}  // namespace
}  // namespace seed::coordinator
