#include "cli/analysis_report.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/time.h"
#include "services/results/html_page.h"
#include "services/results/svg_plot.h"

namespace seed::cli {
namespace {

using results::Html;
using results::JsonNumber;
using results::JsonString;

constexpr char kIcColor[] = "#2962ff";

std::string Page(absl::string_view title, std::string body,
                 std::string data_json, absl::string_view charts_library) {
  results::HtmlPage page;
  page.title = std::string(title);
  page.body = std::move(body);
  page.data_json = std::move(data_json);
  page.script = results::kDrawLinesScript;
  return results::RenderHtmlPage(page, charts_library);
}

// One bar per bin, labelled by its lower edge; the tooltip gives the bin
// and its count of paths.
std::string HistogramChart(absl::string_view id,
                           const research::Histogram& histogram,
                           std::string (*format)(double)) {
  std::vector<results::SvgBar> bars;
  for (size_t i = 0;
       i < histogram.counts.size() && i + 1 < histogram.edges.size(); ++i) {
    const std::string low = format(histogram.edges[i]);
    bars.push_back(
        {.label = low,
         .value = static_cast<double>(histogram.counts[i]),
         .title = absl::StrCat("[", low, ", ", format(histogram.edges[i + 1]),
                               "): ", histogram.counts[i], " paths")});
  }
  return results::SvgBarChart(id, bars, "paths");
}

std::string Equity(double value) { return absl::StrFormat("%.0f", value); }

std::string Percent(double fraction) {
  return absl::StrFormat("%.1f%%", fraction * 100.0);
}

// The fan's percentile levels in ascending order (the spec keeps the order
// they were asked in), each with its equity at every fan point; and the
// run's own path at the same trade counts.
results::SvgFan Fan(const MonteCarloReport& report) {
  const research::MonteCarloResult& result = report.result;
  const std::vector<double>& levels = report.spec.percentiles;
  std::vector<size_t> order(levels.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return levels[a] < levels[b]; });
  results::SvgFan fan;
  for (const size_t i : order) {
    fan.levels.push_back(levels[i]);
    std::vector<double>& values = fan.values.emplace_back();
    for (const research::FanPoint& point : result.fan) {
      values.push_back(point.equity[i]);
    }
  }
  for (const research::FanPoint& point : result.fan) {
    fan.x.push_back(static_cast<double>(point.trade));
    if (point.trade < static_cast<int64_t>(report.original_equity.size())) {
      fan.original.push_back(report.original_equity[point.trade]);
    }
  }
  if (fan.original.size() != fan.x.size()) fan.original.clear();
  return fan;
}

}  // namespace

std::string RenderMonteCarloReport(const MonteCarloReport& report,
                                   absl::string_view charts_library) {
  const research::MonteCarloResult& result = report.result;
  std::string body = absl::StrCat(
      "<header><h1>Monte Carlo of run <code>", Html(report.run_id),
      "</code></h1>\n<p class=\"sub\">", Html(MonteCarloHeading(report)),
      "</p></header>\n<section id=\"distribution\"><h2>Distribution</h2>\n",
      results::HtmlTable("montecarlo-table", MonteCarloRows(report)),
      "<p class=\"note\">Probability of ruin (equity at or below ",
      Percent(report.spec.ruin_fraction),
      " of the initial): ", Percent(result.probability_of_ruin),
      "; of ending below the initial equity: ",
      Percent(result.probability_below_initial),
      ". Definitions: docs/research.md.</p></section>\n"
      "<section id=\"fan\"><h2>Equity by trade</h2>\n<p class=\"note\">"
      "Shaded: the percentile bands of the paths' equity after each number "
      "of trades (outer band the widest levels); blue line: the middle "
      "level; orange line: the run's own order.</p>\n",
      results::SvgFanChart("fan-chart", Fan(report), "closed trades", "equity"),
      "</section>\n<section id=\"histograms\"><h2>Final equity</h2>\n",
      HistogramChart("final-equity-histogram", result.final_equity.histogram,
                     Equity),
      "<h2>Max drawdown</h2>\n",
      HistogramChart("max-drawdown-histogram", result.max_drawdown.histogram,
                     Percent),
      "</section>\n");
  return Page(absl::StrCat("Monte Carlo - run ", report.run_id),
              std::move(body), "{\"lines\":[],\"intraday\":false}",
              charts_library);
}

std::string RenderFactorReport(const FactorStudy& study,
                               absl::string_view charts_library) {
  std::vector<results::SvgBar> bars;
  std::vector<std::string> lines;
  std::string series_html;
  bool intraday = false;
  for (size_t i = 0; i < study.factors.size(); ++i) {
    const research::FactorIc& factor = study.factors[i];
    results::SvgBar bar{
        .label =
            factor.t_stat.has_value()
                ? absl::StrFormat("%s (t=%.2f)", factor.factor, *factor.t_stat)
                : absl::StrCat(factor.factor, " (t=-)"),
        .value = factor.mean_ic,
        .title = absl::StrCat(factor.factor, ": mean IC ",
                              factor.mean_ic.has_value()
                                  ? absl::StrFormat("%.4f", *factor.mean_ic)
                                  : "-",
                              " over ", factor.windows, " windows",
                              factor.unreliable ? ", UNRELIABLE" : ""),
        .muted = factor.unreliable};
    bars.push_back(std::move(bar));
    const std::string id = absl::StrCat("ic-series-", i);
    absl::StrAppend(&series_html, "<h3>", Html(factor.factor),
                    factor.unreliable ? " <span class=\"warning\">"
                                        "(unreliable)</span>"
                                      : "",
                    "</h3>\n");
    if (factor.series.empty()) {
      absl::StrAppend(&series_html,
                      "<p class=\"note\">No window has an IC.</p>\n");
      continue;
    }
    absl::StrAppend(&series_html, "<div class=\"chart\" id=\"", id,
                    "\"></div>\n");
    std::vector<std::string> points;
    for (const research::IcDate& date : factor.series) {
      intraday = intraday || date.time % kSecondsPerDay != 0;
      points.push_back(
          absl::StrCat("[", date.time, ",", JsonNumber(date.ic), "]"));
    }
    lines.push_back(absl::StrCat(
        "{\"id\":", JsonString(id), ",\"name\":", JsonString(factor.factor),
        ",\"series\":[{\"title\":\"IC\",\"color\":\"", kIcColor,
        "\",\"points\":[", absl::StrJoin(points, ","),
        "]}],\"boundaries\":[]}"));
  }
  std::string body = absl::StrCat(
      "<header><h1>Factor study</h1>\n<p class=\"sub\">",
      Html(FactorStudyHeading(study)),
      "</p></header>\n<section id=\"ic\"><h2>Mean rank IC</h2>\n"
      "<p class=\"note\">Each bar is a factor's mean Spearman rank IC "
      "against forward returns, its t-statistic in the label; grey bars "
      "are unreliable (fewer than ",
      study.options.min_windows,
      " windows). Definitions: docs/research.md.</p>\n",
      results::SvgBarChart("ic-bars", bars, "mean IC"),
      results::HtmlTable("factor-table", FactorRows(study)),
      "</section>\n<section id=\"ic-series\"><h2>IC by window</h2>\n",
      series_html, "</section>\n");
  return Page("Factor study", std::move(body),
              absl::StrCat("{\"lines\":[", absl::StrJoin(lines, ","),
                           "],\"intraday\":", intraday ? "true" : "false", "}"),
              charts_library);
}

}  // namespace seed::cli
