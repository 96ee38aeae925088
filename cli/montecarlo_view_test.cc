#include "cli/montecarlo_view.h"

#include "common/stage_error.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace seed::cli {
namespace {

Flags Parsed(const std::vector<std::string>& args) {
  absl::StatusOr<Flags> flags = Flags::Parse(args, kMonteCarloFlags, {});
  EXPECT_TRUE(flags.ok()) << flags.status();
  return *flags;
}

TEST(MonteCarloSpecFromFlagsTest, DefaultsAreTheLibrarysOwn) {
  absl::StatusOr<research::MonteCarloSpec> spec =
      MonteCarloSpecFromFlags(Parsed({}));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->paths, 1000);
  EXPECT_EQ(spec->seed, 0u);
  EXPECT_EQ(spec->resampling, research::Resampling::kReshuffle);
  EXPECT_EQ(spec->basis, research::Basis::kPnl);
  EXPECT_EQ(spec->percentiles, (std::vector<double>{5, 25, 50, 75, 95}));
}

TEST(MonteCarloSpecFromFlagsTest, ReadsEveryFlag) {
  absl::StatusOr<research::MonteCarloSpec> spec = MonteCarloSpecFromFlags(
      Parsed({"--paths", "250", "--seed=18446744073709551615", "--method",
              "bootstrap", "--basis", "return", "--percentiles", "2.5,50,97.5",
              "--ruin", "0.2"}));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->paths, 250);
  EXPECT_EQ(spec->seed, 18446744073709551615u);
  EXPECT_EQ(spec->resampling, research::Resampling::kBootstrap);
  EXPECT_EQ(spec->basis, research::Basis::kReturn);
  EXPECT_EQ(spec->percentiles, (std::vector<double>{2.5, 50, 97.5}));
  EXPECT_EQ(spec->ruin_fraction, 0.2);
}

TEST(MonteCarloSpecFromFlagsTest, NamesEveryBadFlagAndWhatItAllows) {
  absl::StatusOr<research::MonteCarloSpec> spec = MonteCarloSpecFromFlags(
      Parsed({"--paths", "0", "--seed", "-1", "--method", "shuffle", "--basis",
              "log", "--percentiles", "5,101", "--ruin", "1.5"}));
  ASSERT_TRUE(absl::IsInvalidArgument(spec.status()));
  const std::vector<FieldProblem> problems = FieldProblems(spec.status());
  ASSERT_EQ(problems.size(), 6u) << spec.status();
  EXPECT_EQ(problems[0].field, "--paths");
  EXPECT_NE(problems[0].description.find("[1, 100000]"), std::string::npos);
  EXPECT_EQ(problems[1].field, "--seed");
  EXPECT_EQ(problems[2].field, "--method");
  EXPECT_NE(problems[2].description.find("reshuffle or bootstrap"),
            std::string::npos);
  EXPECT_EQ(problems[3].field, "--basis");
  EXPECT_EQ(problems[4].field, "--percentiles");
  EXPECT_NE(problems[4].description.find("'5,101'"), std::string::npos);
  EXPECT_EQ(problems[5].field, "--ruin");
  EXPECT_NE(problems[5].description.find("[0, 1]"), std::string::npos);
}

TEST(MonteCarloSpecFromFlagsTest, RefusesPathsPastTheLimit) {
  EXPECT_FALSE(MonteCarloSpecFromFlags(Parsed({"--paths", "100001"})).ok());
  EXPECT_TRUE(MonteCarloSpecFromFlags(Parsed({"--paths", "100000"})).ok());
}

// Three trades: +100, -300, +50 from 1000.
MonteCarloReport Report() {
  MonteCarloReport report;
  report.run_id = "run-1";
  report.initial_equity = 1000;
  report.trades = 3;
  report.spec.paths = 50;
  report.spec.seed = 3;
  report.spec.percentiles = {5, 50, 95};
  const std::vector<research::TradeOutcome> trades = {
      {100, 1000}, {-300, 1100}, {50, 800}};
  absl::StatusOr<research::MonteCarloResult> result =
      research::RunMonteCarlo(trades, 1000, report.spec);
  EXPECT_TRUE(result.ok()) << result.status();
  report.result = *result;
  return report;
}

TEST(FormatMonteCarloTest, ShowsTheOriginalPathBesideThePercentiles) {
  const std::string text = FormatMonteCarlo(Report());
  EXPECT_NE(text.find("Monte Carlo of run run-1: 3 closed trades from "
                      "1000.00, 50 reshuffle paths (pnl basis, seed 3)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("original  p5"), std::string::npos) << text;
  // Reshuffled on a pnl basis, every path ends at 1000 + 100 - 300 + 50.
  EXPECT_NE(text.find("final equity               850.00    850.00"),
            std::string::npos)
      << text;
  // The original: peak 1100, trough 800.
  EXPECT_NE(text.find("27.27%"), std::string::npos) << text;
  EXPECT_NE(text.find("probability of ending below the initial equity: "
                      "100.00%"),
            std::string::npos)
      << text;
}

TEST(MonteCarloJsonTest, IsOneJsonObjectWithTheNumbers) {
  const MonteCarloReport report = Report();
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  MonteCarloJson(report), &parsed)
                  .ok())
      << MonteCarloJson(report);
  const auto& fields = parsed.fields();
  EXPECT_EQ(fields.at("run_id").string_value(), "run-1");
  EXPECT_EQ(fields.at("trades").number_value(), 3);
  EXPECT_EQ(
      fields.at("spec").struct_value().fields().at("method").string_value(),
      "reshuffle");
  EXPECT_EQ(fields.at("original")
                .struct_value()
                .fields()
                .at("final_equity")
                .number_value(),
            850);
  const auto& percentiles = fields.at("final_equity")
                                .struct_value()
                                .fields()
                                .at("percentiles")
                                .list_value();
  ASSERT_EQ(percentiles.values_size(), 3);
  EXPECT_EQ(
      percentiles.values(1).struct_value().fields().at("level").number_value(),
      50);
  EXPECT_EQ(fields.at("fan").list_value().values_size(), 4);  // k = 0..3
  EXPECT_EQ(fields.at("probability_below_initial").number_value(), 1);
}

}  // namespace
}  // namespace seed::cli
