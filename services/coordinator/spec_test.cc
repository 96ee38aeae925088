#include "services/coordinator/spec.h"

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::coordinator {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;

constexpr char kIssueSpec[] = R"(
name: sma-cross-orcl
data: {path: ../shared/data, symbols: [ORCL], start: 1995-01-01, end: 2014-12-31}
strategy: {name: sma_cross, params: {fast: 10, slow: 30}}
portfolio: {initial_cash: 100000, sizing: {rule: all_in, cash_buffer: 0.01}}
execution: {commission: {model: percent, bps: 10}, slippage: {model: none}}
)";

std::vector<std::string> ProblemFields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(status)) {
    fields.push_back(problem.field);
  }
  return fields;
}

TEST(SpecTest, ParsesTheDocumentedExample) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec =
      ParseSpec(kIssueSpec, "/work/main");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name(), "sma-cross-orcl");
  EXPECT_EQ(spec->data().path(), "/work/shared/data");
  EXPECT_EQ(spec->data().symbols(0), "ORCL");
  EXPECT_EQ(spec->data().start(), "1995-01-01");
  EXPECT_EQ(spec->data().on_bad_rows(), backtest::v1::REJECT);
  EXPECT_EQ(spec->strategy().params().at("fast").number(), 10);
  EXPECT_EQ(spec->portfolio().sizing().cash_buffer(), 0.01);
  EXPECT_EQ(spec->execution().commission().model(), "percent");
  EXPECT_EQ(spec->execution().commission().bps(), 10);
  EXPECT_EQ(spec->execution().slippage().model(), "none");
}

TEST(SpecTest, FillsDefaultsForOmittedSections) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec = ParseSpec(
      "data: {path: /d, symbols: [A]}\nstrategy: {name: sma_cross}\n", "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name(), kDefaultSpecName);
  EXPECT_EQ(spec->portfolio().initial_cash(), kDefaultInitialCash);
  EXPECT_EQ(spec->portfolio().sizing().rule(), kDefaultSizingRule);
  EXPECT_EQ(spec->execution().commission().model(), kDefaultCostModel);
}

TEST(SpecTest, ReportsEveryProblemWithItsFieldPath) {
  const absl::Status status = ParseSpec(R"(
data: {path: /d, symbols: [], start: 2020-13-01, end: 2019-01-01, on_bad_rows: skip}
strategy: {params: {fast: [1, 2]}}
portfolio: {initial_cash: lots, sizng: {}}
execution: {commission: {model: percent, bps: ten}}
extra: 1
)",
                                        "")
                                  .status();
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::vector<std::string> fields = ProblemFields(status);
  for (const char* field :
       {"data.symbols", "data.start", "data.on_bad_rows", "strategy.name",
        "strategy.params.fast", "portfolio.initial_cash", "portfolio.sizng",
        "execution.commission.bps", "extra"}) {
    EXPECT_THAT(fields, Contains(field)) << status;
  }
  EXPECT_THAT(
      std::string(status.message()),
      HasSubstr("portfolio.initial_cash: must be a number, got 'lots'"));
}

TEST(SpecTest, ReadsNestedPortfolioAndExecutionSectionsWithDefaults) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec = ParseSpec(R"(
data: {path: /d, symbols: [A, B]}
strategy: {name: s}
portfolio:
  account: {type: margin}
  limits: {max_positions: 3, max_gross_exposure: 1.5}
  shorting: {enabled: true, borrow_rate: 0.03, borrow_rates: {B: 0.2},
             not_shortable: [A]}
execution:
  commission:
    model: tiered
    minimum: 1
    tiers: [{up_to_monthly_shares: 300000, per_share: 0.0035},
            {per_share: 0.002}]
  slippage: {model: atr_fraction, fraction: 0.1}
  participation: {max_fraction_of_volume: 0.05}
)",
                                                              "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const auto& portfolio = spec->portfolio();
  EXPECT_EQ(portfolio.account().type(), "margin");
  EXPECT_EQ(portfolio.account().initial_margin(), kDefaultInitialMargin);
  EXPECT_EQ(portfolio.account().maintenance_margin(),
            kDefaultMaintenanceMargin);
  EXPECT_EQ(portfolio.limits().max_positions(), 3);
  EXPECT_EQ(portfolio.limits().on_breach(), kDefaultOnBreach);
  EXPECT_TRUE(portfolio.shorting().enabled());
  EXPECT_EQ(portfolio.shorting().borrow_rates().at("B"), 0.2);
  ASSERT_EQ(portfolio.shorting().not_shortable_size(), 1);
  const auto& execution = spec->execution();
  ASSERT_EQ(execution.commission().tiers_size(), 2);
  EXPECT_EQ(execution.commission().tiers(1).per_share(), 0.002);
  EXPECT_EQ(execution.slippage().atr_length(), kDefaultAtrLength);
  EXPECT_EQ(execution.same_bar_policy(), kDefaultSameBarPolicy);
  EXPECT_EQ(execution.participation().max_fraction_of_volume(), 0.05);
}

TEST(SpecTest, NestedSectionProblemsNameTheirPath) {
  const absl::Status status = ParseSpec(R"(
data: {path: /d, symbols: [A]}
strategy: {name: s}
portfolio: {limits: {max_positions: 2.5, on_breach: [x]},
            shorting: {enabled: maybe, borrow_rates: {A: high}}}
execution: {commission: {tiers: [{per_shar: 1}]}, slippage: 3}
)",
                                        "")
                                  .status();
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      ProblemFields(status),
      testing::IsSupersetOf(
          {"portfolio.limits.max_positions", "portfolio.limits.on_breach",
           "portfolio.shorting.enabled", "portfolio.shorting.borrow_rates.A",
           "execution.commission.tiers[0].per_shar", "execution.slippage"}))
      << status;
}

TEST(SpecTest, RejectsEndBeforeStartAndDuplicateSymbols) {
  const absl::Status status =
      ParseSpec(
          "data: {path: /d, symbols: [A, A, '../x'], start: 2020-01-02, "
          "end: 2020-01-01}\nstrategy: {name: s}\n",
          "")
          .status();
  EXPECT_THAT(ProblemFields(status), Contains("data.end"));
  EXPECT_THAT(ProblemFields(status), Contains("data.symbols[1]"));
  EXPECT_THAT(ProblemFields(status), Contains("data.symbols[2]"));
}

TEST(SpecTest, MetricsSettingsHaveDefaultsAndRanges) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec =
      ParseSpec("data: {path: /d, symbols: [A]}\nstrategy: {name: s}\n", "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->metrics().risk_free_rate(), 0);
  EXPECT_EQ(spec->metrics().bootstrap_resamples(), kDefaultBootstrapResamples);
  EXPECT_EQ(spec->metrics().bootstrap_seed(), kDefaultBootstrapSeed);
  const absl::Status status =
      ParseSpec(
          "data: {path: /d, symbols: [A]}\nstrategy: {name: s}\n"
          "metrics: {risk_free_rate: 2, bootstrap_resamples: 10.5, "
          "bootstrap_seed: -1, benchmark: ../SPY}\n",
          "")
          .status();
  const std::vector<std::string> fields = ProblemFields(status);
  EXPECT_THAT(fields, Contains("metrics.risk_free_rate"));
  EXPECT_THAT(fields, Contains("metrics.bootstrap_resamples"));
  EXPECT_THAT(fields, Contains("metrics.bootstrap_seed"));
  EXPECT_THAT(fields, Contains("metrics.benchmark"));
}

TEST(SpecTest, StrategyAddressMustBeHostPort) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec = ParseSpec(
      "data: {path: /d, symbols: [A]}\n"
      "strategy: {name: sma_cross, address: '127.0.0.1:7300'}\n",
      "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->strategy().address(), "127.0.0.1:7300");
  EXPECT_THAT(ProblemFields(ParseSpec("data: {path: /d, symbols: [A]}\n"
                                      "strategy: {name: s, address: nowhere}\n",
                                      "")
                                .status()),
              Contains("strategy.address"));
}

TEST(SpecTest, ReportsYamlSyntaxErrorsWithTheLine) {
  const absl::Status status =
      ParseSpec("data: {path: /d\nstrategy: [", "").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("not valid YAML at line"));
}

TEST(SpecTest, QuotedParametersStayText) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec = ParseSpec(
      "data: {path: /d, symbols: [A]}\n"
      "strategy: {name: s, params: {a: '10', b: 10, c: true}}\n",
      "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->strategy().params().at("a").text(), "10");
  EXPECT_EQ(spec->strategy().params().at("b").number(), 10);
  EXPECT_TRUE(spec->strategy().params().at("c").flag());
}

TEST(SpecTest, CanonicalJsonIsIndependentOfKeyOrder) {
  absl::StatusOr<backtest::v1::BacktestSpec> one = ParseSpec(
      "data: {path: /d, symbols: [A]}\n"
      "strategy: {name: s, params: {zeta: 1, alpha: 2, mid: 3}}\n",
      "");
  absl::StatusOr<backtest::v1::BacktestSpec> two = ParseSpec(
      "strategy: {params: {mid: 3, alpha: 2, zeta: 1}, name: s}\n"
      "data: {symbols: [A], path: /d}\n",
      "");
  ASSERT_TRUE(one.ok() && two.ok());
  const std::string json = *CanonicalSpecJson(*one);
  EXPECT_EQ(json, *CanonicalSpecJson(*two));
  EXPECT_LT(json.find("\"alpha\""), json.find("\"mid\""));
  EXPECT_LT(json.find("\"mid\""), json.find("\"zeta\""));
  EXPECT_THAT(json, HasSubstr("\"initial_cash\":100000"));
}

// Issue 15: YAML keeps the first of two equal keys; a spec says so instead.
TEST(SpecTest, AKeyGivenTwiceNamesBothLines) {
  const absl::Status status = ParseSpec(
                                  "name: a\n"
                                  "data: {path: /d, symbols: [A]}\n"
                                  "strategy: {name: sma_cross}\n"
                                  "portfolio:\n"
                                  "  initial_cash: 1000\n"
                                  "  initial_cash: 2000\n"
                                  "name: b\n",
                                  "")
                                  .status();
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("name: is given twice, at lines 1 and 7; keep one"));
  EXPECT_THAT(
      std::string(status.message()),
      HasSubstr("portfolio.initial_cash: is given twice, at lines 5 and 6"));
}

TEST(SpecTest, FractionsMayBePercentages) {
  absl::StatusOr<backtest::v1::BacktestSpec> spec = ParseSpec(
      "data: {path: /d, symbols: [A]}\n"
      "strategies: [{name: sma_cross, allocation: 60%}, {name: momentum}]\n"
      "portfolio: {sizing: {rule: percent_of_equity, percent: 30%},\n"
      "  shorting: {borrow_rate: 2.5%, borrow_rates: {A: 1%}}}\n",
      "");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_DOUBLE_EQ(spec->portfolio().sizing().percent(), 0.3);
  EXPECT_DOUBLE_EQ(spec->portfolio().shorting().borrow_rate(), 0.025);
  EXPECT_DOUBLE_EQ(spec->portfolio().shorting().borrow_rates().at("A"), 0.01);
  EXPECT_DOUBLE_EQ(spec->strategies(0).allocation(), 0.6);
  // Not a fraction: a percentage means nothing there.
  EXPECT_THAT(std::string(ParseSpec("data: {path: /d, symbols: [A]}\n"
                                    "strategy: {name: sma_cross}\n"
                                    "portfolio: {initial_cash: 10%}\n",
                                    "")
                              .status()
                              .message()),
              HasSubstr("portfolio.initial_cash: must be a number, got '10%'"));
}

TEST(SpecTest, AnEmptyDataPathIsAProblemNotTheCurrentDirectory) {
  EXPECT_THAT(ProblemFields(ParseSpec("data: {path: '', symbols: [A]}\n"
                                      "strategy: {name: sma_cross}\n",
                                      "/base")
                                .status()),
              Contains("data.path"));
}

// Issue 12 item 8: every size is bounded, each refusal naming the field,
// the bound and the size found.
TEST(SpecTest, BoundsTheSpecAndEveryTextListAndMap) {
  const std::string huge(limits::kMaxSpecBytes + 1, '#');
  EXPECT_THAT(
      std::string(ParseSpec(huge, "").status().message()),
      HasSubstr(absl::StrCat("(spec): is ", huge.size(),
                             " bytes; the limit is ", limits::kMaxSpecBytes)));
  const std::string base =
      "data: {path: /d, symbols: [A]}\nstrategy: {name: sma_cross}\n";
  EXPECT_THAT(
      std::string(ParseSpec(base + "name: " + std::string(201, 'n') + "\n", "")
                      .status()
                      .message()),
      HasSubstr("name: is 201 bytes long; the limit is 200"));
  std::string symbols = "data: {path: /d, symbols: [";
  for (int i = 0; i <= limits::kMaxSymbols; ++i) {
    absl::StrAppend(&symbols, i == 0 ? "" : ",", "S", i);
  }
  EXPECT_THAT(
      std::string(ParseSpec(symbols + "]}\nstrategy: {name: sma_cross}\n", "")
                      .status()
                      .message()),
      HasSubstr("data.symbols: lists 10001 items; the limit is 10000"));
  std::string params = "strategy: {name: sma_cross, params: {";
  for (int i = 0; i <= limits::kMaxParams; ++i) {
    absl::StrAppend(&params, i == 0 ? "" : ",", "p", i, ": 1");
  }
  EXPECT_THAT(
      std::string(
          ParseSpec("data: {path: /d, symbols: [A]}\n" + params + "}}\n", "")
              .status()
              .message()),
      HasSubstr("strategy.params: has 257 entries; the limit is 256"));
  std::string deep = "a: ";
  for (int i = 0; i < 40; ++i) deep += "[";
  EXPECT_THAT(
      std::string(
          ParseSpec(deep + std::string(40, ']') + "\n", "").status().message()),
      HasSubstr("levels deep"));
  // A billion laughs: nine levels of ten aliases each name 10^9 values.
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 9; ++level) {
    absl::StrAppend(&laughs, "a", level, ": &a", level, " [");
    for (int i = 0; i < 10; ++i) {
      absl::StrAppend(&laughs, i == 0 ? "" : ", ", "*a", level - 1);
    }
    absl::StrAppend(&laughs, "]\n");
  }
  EXPECT_THAT(std::string(ParseSpec(laughs, "").status().message()),
              HasSubstr("(spec): has more than 100000 values"));
}

TEST(SpecTest, TextMustBeUtf8AndANameOneLine) {
  const std::string base =
      "data: {path: /d, symbols: [A]}\nstrategy: {name: sma_cross}\n";
  EXPECT_THAT(
      std::string(ParseSpec(base + "name: caf\xE9\n", "").status().message()),
      HasSubstr("(spec): line 3: byte 0xE9 at byte offset "));
  EXPECT_THAT(
      std::string(
          ParseSpec(base + "name: \"a\\x1b[31mred\"\n", "").status().message()),
      HasSubstr("name: must be one line of text without control "
                "characters, got \"a\\x1B[31mred\""));
  EXPECT_TRUE(ParseSpec(base + "name: caf\xC3\xA9 \xE2\x82\xAC\n", "").ok());
  // A relative path would carry the base directory's bytes into the results.
  EXPECT_THAT(std::string(ParseSpec("data: {path: data, symbols: [A]}\n"
                                    "strategy: {name: sma_cross}\n",
                                    "/home/caf\xE9")
                              .status()
                              .message()),
              HasSubstr("data.path: 'data' is relative to the directory "
                        "'/home/caf\\xE9', whose name is not UTF-8 text"));
}

TEST(SpecTest, AnAddressHasAPortInRange) {
  EXPECT_TRUE(IsHostPort("127.0.0.1:7101"));
  EXPECT_TRUE(IsHostPort("localhost:65535"));
  EXPECT_FALSE(IsHostPort("127.0.0.1:99999"));
  EXPECT_FALSE(IsHostPort("127.0.0.1:0"));
  EXPECT_FALSE(IsHostPort("127.0.0.1:"));
  EXPECT_FALSE(IsHostPort(":7101"));
  EXPECT_FALSE(IsHostPort("127.0.0.1:71a"));
}

}  // namespace
}  // namespace seed::coordinator
