#include "cli/factor_study.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/dataset_bars.h"
#include "cli/text_output.h"
#include "common/csv_text.h"
#include "common/json_text.h"
#include "common/stage_error.h"
#include "common/time.h"

namespace seed::cli {
namespace {

namespace v1 = ::backtest::v1;

// A whole-number flag >= `min`, or the problem.
absl::Status ReadCount(const Flags& flags, const std::string& name, int min,
                       const std::string& meaning, int64_t* value) {
  const auto text = flags.Get(name);
  if (!text.has_value()) return absl::OkStatus();
  if (!absl::SimpleAtoi(*text, value) || *value < min) {
    return InvalidFields("bt", "INVALID_FLAG",
                         {{absl::StrCat("--", name),
                           absl::StrCat("must be a whole number >= ", min, " (",
                                        meaning, "), got '", *text, "'")}});
  }
  return absl::OkStatus();
}

std::string Csv(const std::optional<double>& value) {
  return value.has_value() ? PlainDecimal(*value) : "";
}

std::string Json(const std::optional<double>& value) {
  return value.has_value() && std::isfinite(*value) ? PlainDecimal(*value)
                                                    : "null";
}

std::string Shown(const std::optional<double>& value, const char* format) {
  return value.has_value() ? absl::StrFormat(format, *value) : "-";
}

std::string ShownPercent(const std::optional<double>& value) {
  return value.has_value() ? absl::StrFormat("%.3f%%", 100 * *value) : "-";
}

}  // namespace

absl::StatusOr<research::IcOptions> IcOptionsFor(
    const v1::FactorStudySpec& study, const Flags& flags) {
  research::IcOptions options;
  if (study.horizon() > 0) options.horizon = study.horizon();
  if (study.quantiles() > 0) options.quantiles = study.quantiles();
  if (study.min_windows() > 0) options.min_windows = study.min_windows();
  if (study.min_symbols() > 0) options.min_symbols = study.min_symbols();
  absl::Status status = ReadCount(
      flags, "horizon", 1, "bars of the forward return", &options.horizon);
  if (!status.ok()) return status;
  int64_t quantiles = options.quantiles;
  status =
      ReadCount(flags, "quantiles", 2, "groups by factor value", &quantiles);
  if (!status.ok()) return status;
  if (quantiles > 1000) {
    return InvalidFields("bt", "INVALID_FLAG",
                         {{"--quantiles", absl::StrCat("must be at most 1000, "
                                                       "got ",
                                                       quantiles)}});
  }
  options.quantiles = static_cast<int>(quantiles);
  return options;
}

absl::StatusOr<std::vector<research::Factor>> FactorsFor(
    const v1::FactorStudySpec& study) {
  std::vector<research::Factor> factors;
  if (study.evaluate().empty()) {
    for (const research::FactorInfo& info : research::BuiltinFactors()) {
      absl::StatusOr<research::Factor> factor =
          research::MakeFactor(info.name, {}, "factors");
      if (!factor.ok()) return factor.status();
      factors.push_back(*std::move(factor));
    }
    return factors;
  }
  for (int i = 0; i < study.evaluate_size(); ++i) {
    const v1::FactorSpec& spec = study.evaluate(i);
    absl::StatusOr<research::Factor> factor = research::MakeFactor(
        spec.name(), spec.params(), absl::StrCat("factors.evaluate[", i, "]"));
    if (!factor.ok()) return factor.status();
    factors.push_back(*std::move(factor));
  }
  return factors;
}

std::vector<research::SymbolBars> ToSymbolBars(
    absl::Span<const v1::BarSeries> series) {
  std::vector<research::SymbolBars> bars;
  bars.reserve(series.size());
  for (const v1::BarSeries& one : series) {
    bars.push_back({one.symbol(),
                    {one.time().begin(), one.time().end()},
                    {one.high().begin(), one.high().end()},
                    {one.low().begin(), one.low().end()},
                    {one.close().begin(), one.close().end()}});
  }
  return bars;
}

absl::StatusOr<FactorStudy> RunFactorStudy(
    coordinator::DataStage& stage, const v1::DataSpec& data,
    absl::Span<const research::Factor> factors,
    const research::IcOptions& options) {
  absl::StatusOr<DatasetBars> bars =
      ReadDatasetBars(stage, data, "factor-study");
  if (!bars.ok()) return bars.status();
  absl::StatusOr<research::Panel> panel =
      research::AlignPanel(ToSymbolBars(bars->series));
  if (!panel.ok()) return panel.status();
  std::vector<research::PanelValues> values;
  values.reserve(factors.size());
  std::vector<research::NamedFactor> named;
  for (const research::Factor& factor : factors) {
    values.push_back(research::ComputeFactor(*panel, factor));
    named.push_back({factor.label(), &values.back()});
  }
  absl::StatusOr<std::vector<research::FactorIc>> evaluated =
      research::EvaluateFactors(*panel, named, options);
  if (!evaluated.ok()) return evaluated.status();
  return FactorStudy{panel->symbols, static_cast<int64_t>(panel->times.size()),
                     options, *std::move(evaluated)};
}

std::vector<std::vector<std::string>> FactorRows(const FactorStudy& study) {
  std::vector<std::vector<std::string>> rows = {
      {"factor", "windows", "mean IC", "t-stat", "positive share",
       "mean top-bottom spread", "reliability"}};
  for (const research::FactorIc& factor : study.factors) {
    rows.push_back(
        {factor.factor, absl::StrCat(factor.windows),
         Shown(factor.mean_ic, "%.4f"), Shown(factor.t_stat, "%.2f"),
         factor.positive_share.has_value()
             ? absl::StrFormat("%.1f%%", 100 * *factor.positive_share)
             : "-",
         ShownPercent(factor.mean_spread),
         factor.unreliable
             ? absl::StrCat("UNRELIABLE (", factor.windows, " windows < ",
                            study.options.min_windows, ")")
             : "ok"});
  }
  return rows;
}

std::string FactorStudyHeading(const FactorStudy& study) {
  return absl::StrCat("factor study of ", study.symbols.size(), " symbols (",
                      absl::StrJoin(study.symbols, ", "), ") over ",
                      study.times, " dates: rank IC against ",
                      study.options.horizon,
                      "-bar forward returns, one window every ",
                      study.options.horizon, " bars");
}

std::string FormatFactorStudy(const FactorStudy& study) {
  std::string out = FactorStudyHeading(study) + "\n";
  for (const research::FactorIc& factor : study.factors) {
    absl::StrAppend(
        &out, "\n", factor.factor,
        factor.unreliable
            ? absl::StrCat("  UNRELIABLE (", factor.windows, " windows < ",
                           study.options.min_windows, ")")
            : "",
        "\n");
    std::vector<std::string> quantiles;
    for (const std::optional<double>& value : factor.quantile_returns) {
      quantiles.push_back(ShownPercent(value));
    }
    out += FormatTable(
        {{"  windows", absl::StrCat(factor.windows,
                                    " (dates skipped: ", factor.skipped, ")")},
         {"  mean IC", Shown(factor.mean_ic, "%.4f")},
         {"  t-stat", Shown(factor.t_stat, "%.2f")},
         {"  positive share",
          factor.positive_share.has_value()
              ? absl::StrFormat("%.1f%%", 100 * *factor.positive_share)
              : "-"},
         {"  mean top-bottom spread", ShownPercent(factor.mean_spread)},
         {absl::StrCat("  quantile returns (", factor.quantiles,
                       ", bottom first)"),
          absl::StrJoin(quantiles, "  ")}});
  }
  return out;
}

std::string FactorStudyJson(const FactorStudy& study) {
  std::vector<std::string> factors;
  for (const research::FactorIc& factor : study.factors) {
    std::vector<std::string> quantiles;
    for (const std::optional<double>& value : factor.quantile_returns) {
      quantiles.push_back(Json(value));
    }
    std::vector<std::string> series;
    for (const research::IcDate& date : factor.series) {
      series.push_back(
          absl::StrCat("{\"date\":", JsonQuote(FormatTime(date.time)),
                       ",\"ic\":", Json(date.ic), ",\"symbols\":", date.symbols,
                       ",\"spread\":", Json(date.spread), "}"));
    }
    factors.push_back(absl::StrCat(
        "{\"factor\":", JsonQuote(factor.factor),
        ",\"windows\":", factor.windows, ",\"skipped\":", factor.skipped,
        ",\"mean_ic\":", Json(factor.mean_ic), ",\"ic_std_dev\":",
        Json(factor.ic_std_dev), ",\"t_stat\":", Json(factor.t_stat),
        ",\"positive_share\":", Json(factor.positive_share),
        ",\"mean_spread\":", Json(factor.mean_spread),
        ",\"quantile_returns\":[", absl::StrJoin(quantiles, ","),
        "],\"unreliable\":", factor.unreliable ? "true" : "false",
        ",\"series\":[", absl::StrJoin(series, ","), "]}"));
  }
  std::vector<std::string> symbols;
  for (const std::string& symbol : study.symbols) {
    symbols.push_back(JsonQuote(symbol));
  }
  const research::IcOptions& options = study.options;
  return absl::StrCat("{\"symbols\":[", absl::StrJoin(symbols, ","),
                      "],\"dates\":", study.times,
                      ",\"options\":{\"horizon\":", options.horizon,
                      ",\"quantiles\":", options.quantiles,
                      ",\"min_windows\":", options.min_windows,
                      ",\"min_symbols\":", options.min_symbols,
                      "},\"factors\":[", absl::StrJoin(factors, ","), "]}");
}

std::string FactorsCsv(const FactorStudy& study) {
  size_t quantiles = 0;
  for (const research::FactorIc& factor : study.factors) {
    quantiles = std::max(quantiles, factor.quantile_returns.size());
  }
  std::vector<std::string> header = {
      "factor", "windows",        "skipped",     "mean_ic",   "ic_std_dev",
      "t_stat", "positive_share", "mean_spread", "unreliable"};
  for (size_t q = 1; q <= quantiles; ++q)
    header.push_back(absl::StrCat("q", q));
  std::string out = absl::StrJoin(header, ",") + "\n";
  for (const research::FactorIc& factor : study.factors) {
    std::vector<std::string> row = {CsvField(factor.factor),
                                    absl::StrCat(factor.windows),
                                    absl::StrCat(factor.skipped),
                                    Csv(factor.mean_ic),
                                    Csv(factor.ic_std_dev),
                                    Csv(factor.t_stat),
                                    Csv(factor.positive_share),
                                    Csv(factor.mean_spread),
                                    factor.unreliable ? "true" : "false"};
    for (size_t q = 0; q < quantiles; ++q) {
      row.push_back(q < factor.quantile_returns.size()
                        ? Csv(factor.quantile_returns[q])
                        : "");
    }
    out += absl::StrJoin(row, ",") + "\n";
  }
  return out;
}

std::string IcSeriesCsv(const FactorStudy& study) {
  std::string out = "factor,date,ic,symbols\n";
  for (const research::FactorIc& factor : study.factors) {
    for (const research::IcDate& date : factor.series) {
      absl::StrAppend(&out, CsvField(factor.factor), ",", FormatTime(date.time),
                      ",", PlainDecimal(date.ic), ",", date.symbols, "\n");
    }
  }
  return out;
}

absl::Status ExportFactorStudy(const FactorStudy& study,
                               const std::string& directory) {
  return WriteExportFiles(directory, {{"factors.csv", FactorsCsv(study)},
                                      {"ic_series.csv", IcSeriesCsv(study)}});
}

}  // namespace seed::cli
