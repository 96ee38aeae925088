#include "cli/montecarlo_view.h"

#include <cmath>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/stage_access.h"
#include "cli/text_output.h"
#include "common/csv_text.h"
#include "common/json_text.h"
#include "common/stage_error.h"
#include "services/coordinator/stored_records.h"

namespace seed::cli {
namespace {

namespace v1 = ::backtest::v1;
using research::Basis;
using research::Resampling;

const char* MethodName(Resampling resampling) {
  return resampling == Resampling::kReshuffle ? "reshuffle" : "bootstrap";
}

const char* BasisName(Basis basis) {
  return basis == Basis::kPnl ? "pnl" : "return";
}

// A JSON number; null for what JSON cannot write (NaN, infinities).
std::string Number(double value) {
  return std::isfinite(value) ? PlainDecimal(value) : "null";
}

std::string Numbers(const std::vector<double>& values) {
  return absl::StrCat("[",
                      absl::StrJoin(values, ",",
                                    [](std::string* out, double value) {
                                      out->append(Number(value));
                                    }),
                      "]");
}

std::string DistributionJson(const std::vector<double>& levels,
                             const research::Distribution& distribution) {
  std::vector<std::string> percentiles;
  for (size_t i = 0; i < levels.size(); ++i) {
    percentiles.push_back(
        absl::StrCat("{\"level\":", Number(levels[i]),
                     ",\"value\":", Number(distribution.percentiles[i]), "}"));
  }
  return absl::StrCat("{\"percentiles\":[", absl::StrJoin(percentiles, ","),
                      "],\"mean\":", Number(distribution.mean),
                      ",\"min\":", Number(distribution.min),
                      ",\"max\":", Number(distribution.max),
                      ",\"histogram\":{\"edges\":",
                      Numbers(distribution.histogram.edges), ",\"counts\":[",
                      absl::StrJoin(distribution.histogram.counts, ","), "]}}");
}

std::string Money(double value) { return absl::StrFormat("%.2f", value); }
std::string Percent(double value) {
  return absl::StrFormat("%.2f%%", 100 * value);
}

}  // namespace

absl::StatusOr<research::MonteCarloSpec> MonteCarloSpecFromFlags(
    const Flags& flags) {
  research::MonteCarloSpec spec;
  std::vector<FieldProblem> problems;
  const auto problem = [&problems](const std::string& flag,
                                   const std::string& allowed,
                                   const std::string& got) {
    problems.push_back(
        {absl::StrCat("--", flag), absl::StrCat(allowed, ", got '", got, "'")});
  };
  if (const auto text = flags.Get("paths")) {
    if (!absl::SimpleAtoi(*text, &spec.paths) || spec.paths < 1 ||
        spec.paths > research::kMaxMonteCarloPaths) {
      problem("paths",
              absl::StrCat("must be a whole number in [1, ",
                           research::kMaxMonteCarloPaths, "]"),
              *text);
    }
  }
  if (const auto text = flags.Get("seed")) {
    if (!absl::SimpleAtoi(*text, &spec.seed)) {
      problem("seed", "must be a whole number >= 0", *text);
    }
  }
  if (const auto text = flags.Get("method")) {
    if (*text == "reshuffle") {
      spec.resampling = Resampling::kReshuffle;
    } else if (*text == "bootstrap") {
      spec.resampling = Resampling::kBootstrap;
    } else {
      problem("method", "must be reshuffle or bootstrap", *text);
    }
  }
  if (const auto text = flags.Get("basis")) {
    if (*text == "pnl") {
      spec.basis = Basis::kPnl;
    } else if (*text == "return") {
      spec.basis = Basis::kReturn;
    } else {
      problem("basis", "must be pnl (fixed size) or return (compounding)",
              *text);
    }
  }
  if (const auto text = flags.Get("percentiles")) {
    std::vector<double> levels;
    bool valid = true;
    for (const absl::string_view part : absl::StrSplit(*text, ',')) {
      double level = 0;
      valid =
          valid && absl::SimpleAtod(part, &level) && level >= 0 && level <= 100;
      levels.push_back(level);
    }
    if (valid) {
      spec.percentiles = std::move(levels);
    } else {
      problem("percentiles",
              "must be numbers in [0, 100] separated by commas, e.g. "
              "5,25,50,75,95",
              *text);
    }
  }
  if (const auto text = flags.Get("ruin")) {
    if (!absl::SimpleAtod(*text, &spec.ruin_fraction) ||
        !(spec.ruin_fraction >= 0 && spec.ruin_fraction <= 1)) {
      problem("ruin",
              "must be a fraction of the initial equity in [0, 1], e.g. 0.5",
              *text);
    }
  }
  if (!problems.empty()) return InvalidFields("bt", "INVALID_FLAG", problems);
  return spec;
}

absl::StatusOr<MonteCarloReport> AnalyseRun(
    coordinator::ResultsStage& results, const std::string& run_id,
    const research::MonteCarloSpec& spec) {
  absl::Status status = CheckRunId(run_id);
  if (!status.ok()) return status;
  absl::StatusOr<v1::GetRunResponse> run =
      coordinator::FetchRunWithRecords(results, run_id);
  if (!run.ok()) return run.status();
  MonteCarloReport report;
  report.run_id = run->run().run_id();
  report.spec = spec;
  report.initial_equity = run->run().metrics().initial_equity();
  if (run->run().state() != v1::SUCCEEDED) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, "bt", "RUN_NOT_SUCCEEDED",
        absl::StrCat("run ", report.run_id, " is ",
                     v1::RunState_Name(run->run().state()),
                     "; Monte Carlo needs a run that succeeded, whose "
                     "trades are all there"),
        {.run_id = report.run_id});
  }
  // Stored closed (by exit time), then open: the closed ones are a prefix.
  std::vector<v1::Trade> closed;
  for (const v1::Trade& trade : run->trades()) {
    if (trade.exit_time() == 0) break;
    closed.push_back(trade);
  }
  if (closed.empty()) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, "bt", "NO_CLOSED_TRADES",
        absl::StrCat("run ", report.run_id,
                     " has no closed trades; Monte Carlo needs at least one"),
        {.run_id = report.run_id,
         .hint = "set portfolio.close_at_end: true to close what is open at "
                 "the last bar"});
  }
  report.trades = static_cast<int64_t>(closed.size());
  const std::vector<research::TradeOutcome> outcomes =
      research::ClosedTradeOutcomes(closed, report.initial_equity);
  // The run's own order: each trade's equity before it plus its P&L.
  report.original_equity.push_back(report.initial_equity);
  for (const research::TradeOutcome& outcome : outcomes) {
    report.original_equity.push_back(outcome.equity_before + outcome.net_pnl);
  }
  absl::StatusOr<research::MonteCarloResult> result =
      research::RunMonteCarlo(outcomes, report.initial_equity, spec);
  if (!result.ok()) return result.status();
  report.result = *std::move(result);
  return report;
}

std::vector<std::vector<std::string>> MonteCarloRows(
    const MonteCarloReport& report) {
  const research::MonteCarloSpec& spec = report.spec;
  const research::MonteCarloResult& result = report.result;
  std::vector<std::string> heading = {"", "original"};
  for (const double level : spec.percentiles) {
    heading.push_back(absl::StrCat("p", level));
  }
  std::vector<std::string> final_equity = {"final equity",
                                           Money(result.original.final_equity)};
  std::vector<std::string> max_drawdown = {
      "max drawdown", Percent(result.original.max_drawdown)};
  std::vector<std::string> longest = {
      "longest drawdown (trades)",
      absl::StrCat(result.original.longest_drawdown)};
  for (size_t i = 0; i < spec.percentiles.size(); ++i) {
    final_equity.push_back(Money(result.final_equity.percentiles[i]));
    max_drawdown.push_back(Percent(result.max_drawdown.percentiles[i]));
    longest.push_back(
        absl::StrFormat("%.1f", result.longest_drawdown.percentiles[i]));
  }
  return {heading, final_equity, max_drawdown, longest};
}

std::string MonteCarloHeading(const MonteCarloReport& report) {
  const research::MonteCarloSpec& spec = report.spec;
  return absl::StrCat("Monte Carlo of run ", report.run_id, ": ", report.trades,
                      " closed trades from ", Money(report.initial_equity),
                      ", ", spec.paths, " ", MethodName(spec.resampling),
                      " paths (", BasisName(spec.basis), " basis, seed ",
                      spec.seed, ")");
}

std::string FormatMonteCarlo(const MonteCarloReport& report) {
  const research::MonteCarloSpec& spec = report.spec;
  const research::MonteCarloResult& result = report.result;
  return absl::StrCat(
      MonteCarloHeading(report), "\n\n", FormatTable(MonteCarloRows(report)),
      "\n", "probability of ruin (equity <= ", Percent(spec.ruin_fraction),
      " of initial): ", Percent(result.probability_of_ruin), "\n",
      "probability of ending below the initial equity: ",
      Percent(result.probability_below_initial), "\n");
}

std::string MonteCarloJson(const MonteCarloReport& report) {
  const research::MonteCarloSpec& spec = report.spec;
  const research::MonteCarloResult& result = report.result;
  std::vector<std::string> fan;
  for (const research::FanPoint& point : result.fan) {
    fan.push_back(absl::StrCat("{\"trade\":", point.trade,
                               ",\"equity\":", Numbers(point.equity), "}"));
  }
  return absl::StrCat(
      "{\"run_id\":", JsonQuote(report.run_id), ",\"trades\":", report.trades,
      ",\"initial_equity\":", Number(report.initial_equity),
      ",\"spec\":{\"method\":\"", MethodName(spec.resampling),
      "\",\"basis\":\"", BasisName(spec.basis), "\",\"paths\":", spec.paths,
      ",\"seed\":", spec.seed, ",\"percentiles\":", Numbers(spec.percentiles),
      ",\"ruin_fraction\":", Number(spec.ruin_fraction),
      "},\"original\":{\"final_equity\":", Number(result.original.final_equity),
      ",\"max_drawdown\":", Number(result.original.max_drawdown),
      ",\"longest_drawdown\":", result.original.longest_drawdown,
      ",\"ruined\":", result.original.ruined ? "true" : "false",
      "},\"final_equity\":",
      DistributionJson(spec.percentiles, result.final_equity),
      ",\"max_drawdown\":",
      DistributionJson(spec.percentiles, result.max_drawdown),
      ",\"longest_drawdown\":",
      DistributionJson(spec.percentiles, result.longest_drawdown),
      ",\"probability_of_ruin\":", Number(result.probability_of_ruin),
      ",\"probability_below_initial\":",
      Number(result.probability_below_initial), ",\"fan\":[",
      absl::StrJoin(fan, ","), "]}");
}

}  // namespace seed::cli
