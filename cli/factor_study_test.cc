#include "cli/factor_study.h"

#include <cmath>

#include "common/stage_error.h"
#include "gtest/gtest.h"

namespace seed::cli {
namespace {

namespace v1 = ::backtest::v1;

Flags Parsed(const std::vector<std::string>& args) {
  absl::StatusOr<Flags> flags =
      Flags::Parse(args, {"horizon", "quantiles"}, {});
  EXPECT_TRUE(flags.ok()) << flags.status();
  return *flags;
}

TEST(IcOptionsForTest, TheSpecOverridesTheDefaultsAndFlagsTheSpec) {
  v1::FactorStudySpec study;
  absl::StatusOr<research::IcOptions> options = IcOptionsFor(study, Parsed({}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->horizon, 21);
  EXPECT_EQ(options->quantiles, research::kDefaultQuantiles);
  study.set_horizon(10);
  study.set_quantiles(4);
  study.set_min_windows(7);
  study.set_min_symbols(5);
  options = IcOptionsFor(study, Parsed({}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->horizon, 10);
  EXPECT_EQ(options->quantiles, 4);
  EXPECT_EQ(options->min_windows, 7);
  EXPECT_EQ(options->min_symbols, 5);
  options = IcOptionsFor(study, Parsed({"--horizon", "5", "--quantiles=3"}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->horizon, 5);
  EXPECT_EQ(options->quantiles, 3);
}

TEST(IcOptionsForTest, NamesABadFlagAndItsRange) {
  absl::StatusOr<research::IcOptions> options =
      IcOptionsFor({}, Parsed({"--horizon", "0"}));
  ASSERT_TRUE(absl::IsInvalidArgument(options.status()));
  ASSERT_EQ(FieldProblems(options.status()).size(), 1u);
  EXPECT_EQ(FieldProblems(options.status())[0].field, "--horizon");
  EXPECT_NE(options.status().message().find(">= 1"), std::string::npos);
  options = IcOptionsFor({}, Parsed({"--quantiles", "1"}));
  ASSERT_TRUE(absl::IsInvalidArgument(options.status()));
  EXPECT_EQ(FieldProblems(options.status())[0].field, "--quantiles");
  EXPECT_FALSE(IcOptionsFor({}, Parsed({"--quantiles", "x"})).ok());
}

TEST(FactorsForTest, EveryBuiltinWhenTheSpecListsNone) {
  absl::StatusOr<std::vector<research::Factor>> factors = FactorsFor({});
  ASSERT_TRUE(factors.ok()) << factors.status();
  const std::vector<research::FactorInfo> builtins = research::BuiltinFactors();
  ASSERT_EQ(factors->size(), builtins.size());
  EXPECT_EQ((*factors)[0].label(), builtins[0].name);
}

TEST(FactorsForTest, TheListedFactorsWithTheirParamsInOrder) {
  v1::FactorStudySpec study;
  study.add_evaluate()->set_name("reversal_1m");
  v1::FactorSpec& rsi = *study.add_evaluate();
  rsi.set_name("rsi");
  (*rsi.mutable_params())["length"].set_number(10);
  absl::StatusOr<std::vector<research::Factor>> factors = FactorsFor(study);
  ASSERT_TRUE(factors.ok()) << factors.status();
  ASSERT_EQ(factors->size(), 2u);
  EXPECT_EQ((*factors)[0].label(), "reversal_1m");
  EXPECT_EQ((*factors)[1].label(), "rsi(length=10)");
}

TEST(FactorsForTest, AnUnknownFactorIsNamedByItsPlaceInTheSpec) {
  v1::FactorStudySpec study;
  study.add_evaluate()->set_name("reversal_1m");
  study.add_evaluate()->set_name("astrology");
  absl::StatusOr<std::vector<research::Factor>> factors = FactorsFor(study);
  ASSERT_FALSE(factors.ok());
  ASSERT_EQ(FieldProblems(factors.status()).size(), 1u);
  EXPECT_EQ(FieldProblems(factors.status())[0].field, "factors.evaluate[1]");
}

TEST(ToSymbolBarsTest, KeepsEachSymbolsTimesAndPrices) {
  v1::BarSeries series;
  series.set_symbol("AAA");
  series.add_time(100);
  series.add_time(200);
  for (const double price : {10.0, 11.0}) {
    series.add_open(price);
    series.add_high(price + 1);
    series.add_low(price - 1);
    series.add_close(price + 0.5);
  }
  const std::vector<research::SymbolBars> bars = ToSymbolBars({series});
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].symbol, "AAA");
  EXPECT_EQ(bars[0].times, (std::vector<int64_t>{100, 200}));
  EXPECT_EQ(bars[0].high, (std::vector<double>{11, 12}));
  EXPECT_EQ(bars[0].low, (std::vector<double>{9, 10}));
  EXPECT_EQ(bars[0].close, (std::vector<double>{10.5, 11.5}));
}

// Two factors: one evaluated on 2 dates (unreliable at min_windows 20), one
// never.
FactorStudy Study() {
  FactorStudy study;
  study.symbols = {"AAA", "BBB", "CCC"};
  study.times = 100;
  research::FactorIc good;
  good.factor = "rsi(length=10)";
  good.windows = 2;
  good.quantiles = 2;
  good.mean_ic = 0.5;
  good.ic_std_dev = 0.25;
  good.t_stat = 2.8284271247461903;
  good.positive_share = 1;
  good.mean_spread = 0.02;
  good.quantile_returns = {-0.01, 0.01};
  good.unreliable = true;
  good.series = {{86400, 3, 0.25, 0.01, {}}, {2 * 86400, 3, 0.75, 0.03, {}}};
  research::FactorIc none;
  none.factor = "momentum_12_1";
  none.skipped = 4;
  study.factors = {good, none};
  return study;
}

TEST(FormatFactorStudyTest, FlagsAnUnreliableFactorWithItsWindowCount) {
  const std::string text = FormatFactorStudy(Study());
  EXPECT_NE(text.find("rsi(length=10)  UNRELIABLE (2 windows < 20)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mean IC"), std::string::npos);
  EXPECT_NE(text.find("0.5000"), std::string::npos) << text;
  EXPECT_NE(text.find("-1.000%  1.000%"), std::string::npos) << text;
}

TEST(FactorsCsvTest, OneRowPerFactorWithEmptyCellsWhereUndefined) {
  EXPECT_EQ(FactorsCsv(Study()),
            "factor,windows,skipped,mean_ic,ic_std_dev,t_stat,positive_share,"
            "mean_spread,unreliable,q1,q2\n"
            "rsi(length=10),2,0,0.5,0.25,2.8284271247461903,1,0.02,true,"
            "-0.01,0.01\n"
            "momentum_12_1,0,4,,,,,,true,,\n");
}

TEST(IcSeriesCsvTest, OneRowPerFactorAndDate) {
  EXPECT_EQ(IcSeriesCsv(Study()),
            "factor,date,ic,symbols\n"
            "rsi(length=10),1970-01-02,0.25,3\n"
            "rsi(length=10),1970-01-03,0.75,3\n");
}

TEST(FactorStudyJsonTest, WritesNullForWhatIsUndefined) {
  const std::string json = FactorStudyJson(Study());
  EXPECT_NE(json.find("\"factor\":\"momentum_12_1\",\"windows\":0,"
                      "\"skipped\":4,\"mean_ic\":null"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"date\":\"1970-01-02\",\"ic\":0.25,\"symbols\":3,"
                      "\"spread\":0.01}"),
            std::string::npos)
      << json;
}

}  // namespace
}  // namespace seed::cli
