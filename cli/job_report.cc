#include "cli/job_report.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/time.h"
#include "research/out_of_sample.h"
#include "research/point_text.h"
#include "services/coordinator/stored_records.h"
#include "services/results/html_page.h"
#include "services/results/report.h"
#include "services/results/svg_plot.h"

namespace seed::cli {
namespace {

namespace v1 = ::backtest::v1;
using results::Html;
using results::JsonNumber;
using results::JsonString;

constexpr char kEquityColor[] = "#2962ff";

std::string Percent(double fraction) {
  return absl::StrFormat("%.2f%%", fraction * 100.0);
}

std::string ObjectiveText(double value) {
  return absl::StrFormat("%.4g", value);
}

std::string OrDash(bool has, double value, std::string (*format)(double)) {
  return has ? format(value) : "-";
}

std::string Ratio(double value) { return absl::StrFormat("%.2f", value); }

// The distinct values of `param` among the children, by their text: numbers
// ascending when every value is a number, otherwise in the children's order.
std::vector<std::string> AxisValues(const std::vector<v1::JobChild>& children,
                                    const std::string& param) {
  std::vector<std::pair<double, std::string>> numbers;
  std::vector<std::string> texts;
  bool all_numbers = true;
  for (const v1::JobChild& child : children) {
    const auto it = child.params().find(param);
    if (it == child.params().end()) continue;
    const std::string text = research::DisplayText(it->second);
    if (std::find(texts.begin(), texts.end(), text) != texts.end()) continue;
    texts.push_back(text);
    if (it->second.kind_case() == v1::ParamValue::kNumber) {
      numbers.emplace_back(it->second.number(), text);
    } else {
      all_numbers = false;
    }
  }
  if (!all_numbers) return texts;
  std::sort(numbers.begin(), numbers.end());
  std::vector<std::string> sorted;
  for (auto& [number, text] : numbers) sorted.push_back(std::move(text));
  return sorted;
}

// One heatmap cell (or bar): the best ranked child with the cell's values,
// or, when none is ranked, why the first one is not.
struct Cell {
  const v1::JobChild* best = nullptr;
  std::string unranked;
};

using CellKey = std::pair<std::string, std::string>;

std::map<CellKey, Cell> Cells(const JobReport& report, const std::string& row,
                              const std::string& column) {
  std::map<CellKey, Cell> cells;
  for (const v1::JobChild& child : report.view.children) {
    Cell& cell = cells[{ChildParam(child, row),
                        column.empty() ? "" : ChildParam(child, column)}];
    if (child.rank() > 0 && child.has_objective()) {
      if (cell.best == nullptr || child.rank() < cell.best->rank()) {
        cell.best = &child;
      }
    } else if (cell.unranked.empty()) {
      cell.unranked = ChildStatus(child);
    }
  }
  return cells;
}

// "fast=5 slow=30 other=2: sharpe 0.81 (rank 3)".
std::string CellTitle(const v1::Job& job, const Cell& cell) {
  if (cell.best == nullptr) {
    return absl::StrCat("not ranked: ",
                        cell.unranked.empty()
                            ? "no child with these values (excluded by a "
                              "constraint, or not stored yet)"
                            : cell.unranked);
  }
  std::vector<std::string> params;
  for (const std::string& param : job.params()) {
    params.push_back(absl::StrCat(param, "=", ChildParam(*cell.best, param)));
  }
  return absl::StrCat(absl::StrJoin(params, " "), ": ", job.objective(), " ",
                      ObjectiveText(cell.best->objective()), " (rank ",
                      cell.best->rank(), ")");
}

std::string JobHeader(const v1::Job& job) {
  std::vector<std::string> counts;
  for (const auto& [state, count] : std::map<std::string, int64_t>(
           job.children_by_state().begin(), job.children_by_state().end())) {
    counts.push_back(absl::StrCat(count, " ", state));
  }
  std::string out = absl::StrCat(
      "<header><h1>", Html(job.name()), "</h1>\n<p class=\"sub\">",
      v1::JobKind_Name(job.kind()), " job <code>", Html(job.job_id()),
      "</code> &middot; <b>", v1::RunState_Name(job.state()), "</b> &middot; ",
      job.children_stored(), " of ", job.children_expected(),
      " children stored");
  if (!counts.empty()) {
    absl::StrAppend(&out, " (", Html(absl::StrJoin(counts, ", ")), ")");
  }
  absl::StrAppend(&out, " &middot; created ", Html(job.created_at()));
  if (!job.objective().empty()) {
    absl::StrAppend(&out, "<br>objective <b>", Html(job.objective()), "</b> (",
                    Html(job.goal().empty() ? "maximize" : job.goal()));
    if (job.min_trades() > 0) {
      absl::StrAppend(&out, ", at least ", job.min_trades(), " closed trades");
    }
    absl::StrAppend(&out, ")");
  }
  return out + "</p></header>\n";
}

// The objective over the first two swept parameters: rows the first, columns
// the second; the color runs from the worst ranked cell (white) to the best
// (full green).
std::string HeatmapTable(const JobReport& report) {
  const v1::Job& job = report.view.job;
  const std::string& row_param = job.params(0);
  const std::string& column_param = job.params(1);
  const std::map<CellKey, Cell> cells = Cells(report, row_param, column_param);
  const bool minimize = job.goal() == "minimize";
  double best = 0;
  double worst = 0;
  bool any = false;
  for (const auto& [key, cell] : cells) {
    if (cell.best == nullptr) continue;
    const double value = cell.best->objective();
    best = !any       ? value
           : minimize ? std::min(best, value)
                      : std::max(best, value);
    worst = !any       ? value
            : minimize ? std::max(worst, value)
                       : std::min(worst, value);
    any = true;
  }
  std::string out = absl::StrCat(
      "<table id=\"objective-heatmap\" class=\"heatmap\">\n<tr><th>",
      Html(row_param), " \\ ", Html(column_param), "</th>");
  const std::vector<std::string> columns =
      AxisValues(report.view.children, column_param);
  for (const std::string& column : columns) {
    absl::StrAppend(&out, "<th>", Html(column), "</th>");
  }
  absl::StrAppend(&out, "</tr>\n");
  for (const std::string& row : AxisValues(report.view.children, row_param)) {
    absl::StrAppend(&out, "<tr><th>", Html(row), "</th>");
    for (const std::string& column : columns) {
      const auto found = cells.find({row, column});
      const Cell cell = found == cells.end() ? Cell{} : found->second;
      const std::string title = CellTitle(job, cell);
      if (cell.best == nullptr) {
        absl::StrAppend(&out, "<td class=\"heat empty\" title=\"", Html(title),
                        "\"></td>");
        continue;
      }
      const double value = cell.best->objective();
      const double share =
          best != worst ? (value - worst) / (best - worst) : 1.0;
      absl::StrAppend(&out, "<td class=\"heat\" data-value=\"",
                      JsonNumber(value), "\" title=\"", Html(title),
                      "\" style=\"", results::HeatColor(share, 1.0), "\">",
                      ObjectiveText(value), "</td>");
    }
    absl::StrAppend(&out, "</tr>\n");
  }
  return out + "</table>\n";
}

std::string ObjectiveBars(const JobReport& report) {
  const v1::Job& job = report.view.job;
  const std::string& param = job.params(0);
  const std::map<CellKey, Cell> cells = Cells(report, param, "");
  std::vector<results::SvgBar> bars;
  for (const std::string& value : AxisValues(report.view.children, param)) {
    const Cell& cell = cells.at({value, ""});
    results::SvgBar bar{.label = value, .title = CellTitle(job, cell)};
    if (cell.best != nullptr) bar.value = cell.best->objective();
    bars.push_back(std::move(bar));
  }
  return results::SvgBarChart("objective-bars", bars, job.objective());
}

std::string SweepSection(const JobReport& report) {
  const v1::Job& job = report.view.job;
  std::string out =
      "<section id=\"objective\"><h2>Objective by parameter</h2>\n";
  if (job.params().empty() || report.view.children.empty()) {
    return out +
           "<p class=\"note\">No swept parameters or no children yet."
           "</p></section>\n";
  }
  if (job.params_size() == 1) {
    return absl::StrCat(out, "<p class=\"note\">", Html(job.objective()),
                        " by ", Html(job.params(0)),
                        "; a missing bar is a point that is not ranked (its "
                        "tooltip says why).</p>\n",
                        ObjectiveBars(report), "</section>\n");
  }
  absl::StrAppend(&out, "<p class=\"note\">", Html(job.objective()), " by ",
                  Html(job.params(0)), " (rows) and ", Html(job.params(1)),
                  " (columns); darker green is better. An empty cell is not "
                  "ranked: its tooltip says why.</p>\n");
  if (job.params_size() > 2) {
    std::vector<std::string> others(job.params().begin() + 2,
                                    job.params().end());
    absl::StrAppend(&out,
                    "<p class=\"note\" id=\"heatmap-best-over\">Each cell "
                    "shows the best objective over ",
                    Html(absl::StrJoin(others, ", ")),
                    "; its tooltip names the values that gave it.</p>\n");
  }
  return absl::StrCat(out, HeatmapTable(report), "</section>\n");
}

std::string RankingSection(const JobReport& report) {
  const JobView& view = report.view;
  std::string out = "<section id=\"ranking\"><h2>Ranking</h2>\n";
  if (view.children.empty()) {
    return out + "<p class=\"note\">No children stored yet.</p></section>\n";
  }
  if (view.children.size() > kReportRankingRows) {
    absl::StrAppend(&out, "<p class=\"note\">The best ", kReportRankingRows,
                    " of ", view.children.size(), " children.</p>\n");
  }
  return absl::StrCat(out,
                      results::HtmlTable("ranking-table",
                                         RankingRows(view, kReportRankingRows)),
                      "</section>\n");
}

std::string WalkForwardSection(const JobReport& report) {
  const v1::Job& job = report.view.job;
  std::string out =
      "<section id=\"walk-forward\"><h2>Stitched out-of-sample "
      "equity</h2>\n";
  if (report.stitched.has_value()) {
    absl::StrAppend(&out,
                    "<p class=\"note\">Each out-of-sample window starts "
                    "flat with the previous one's final equity; the grey "
                    "bars mark where each window begins, labelled W and its "
                    "number in the windows table.</p>\n"
                    "<div class=\"chart tall\" id=\"stitched-chart\"></div>\n");
  } else {
    absl::StrAppend(&out, "<p class=\"note warning\">No stitched curve: ",
                    Html(report.stitched_note), "</p>\n");
  }
  if (!job.result().has_walk_forward()) {
    return out +
           "<p class=\"note\">No walk-forward result stored yet (the job "
           "is still running or failed).</p></section>\n";
  }
  const v1::WalkForwardResult& result = job.result().walk_forward();
  const v1::Metrics& m = result.stitched();
  const std::vector<std::vector<std::string>> overall = {
      {"Efficiency", "Total return", "CAGR", "Sharpe", "Max drawdown", "Trades",
       "Final equity"},
      {OrDash(result.has_efficiency(), result.efficiency(), Ratio),
       Percent(m.total_return()), OrDash(m.has_cagr(), m.cagr(), Percent),
       OrDash(m.has_sharpe(), m.sharpe(), Ratio),
       Percent(m.max_drawdown() > 0 ? -m.max_drawdown() : 0),
       absl::StrCat(m.trades()), results::Money(m.final_equity())}};
  absl::StrAppend(&out,
                  "<h3>Out of sample, stitched</h3>\n<p class=\"note\">"
                  "Efficiency: annualized out-of-sample return over "
                  "annualized in-sample return, over all windows "
                  "(docs/research.md).</p>\n",
                  results::HtmlTable("stitched-table", overall),
                  "<h3>Windows</h3>\n",
                  results::HtmlTable("window-table", WalkForwardRows(result)),
                  "</section>\n");
  return out;
}

// {"lines": [the stitched curve, if any], "intraday": ...}. Past
// results::kMaxChartPoints, every n-th point (and each window's first).
std::string DataJson(const JobReport& report) {
  if (!report.stitched.has_value() || report.stitched->equity.empty()) {
    return "{\"lines\":[],\"intraday\":false}";
  }
  const StitchedCurve& curve = *report.stitched;
  const size_t count = curve.equity.size();
  const size_t every = std::max<size_t>(
      1, (count + results::kMaxChartPoints - 1) / results::kMaxChartPoints);
  std::vector<std::string> points;
  bool intraday = false;
  size_t next_boundary = 0;
  for (size_t i = 0; i < count; ++i) {
    const v1::EquityPoint& point = curve.equity[i];
    intraday = intraday || point.time() % kSecondsPerDay != 0;
    const bool boundary = next_boundary < curve.boundaries.size() &&
                          curve.boundaries[next_boundary] == i;
    if (boundary) ++next_boundary;
    if (!boundary && (i + 1) % every != 0 && i + 1 != count) continue;
    points.push_back(
        absl::StrCat("[", point.time(), ",", JsonNumber(point.equity()), "]"));
  }
  std::vector<std::string> boundaries;
  for (size_t i = 0; i < curve.boundaries.size(); ++i) {
    boundaries.push_back(
        absl::StrCat("[", curve.equity[curve.boundaries[i]].time(), ",",
                     JsonString(absl::StrCat("W", curve.windows[i])), "]"));
  }
  return absl::StrCat(
      "{\"lines\":[{\"id\":\"stitched-chart\",\"name\":\"stitched "
      "equity\",\"series\":[{\"title\":\"equity\",\"color\":\"",
      kEquityColor, "\",\"points\":[", absl::StrJoin(points, ","),
      "]}],\"boundaries\":[", absl::StrJoin(boundaries, ","),
      "]}],\"intraday\":", intraday ? "true" : "false", "}");
}

}  // namespace

absl::StatusOr<StitchedCurve> FetchStitchedCurve(
    coordinator::ResultsStage& results, const v1::WalkForwardResult& result) {
  std::vector<v1::GetRunResponse> runs;
  StitchedCurve curve;
  for (const v1::WalkForwardWindow& window : result.windows()) {
    if (window.out_of_sample_run().empty()) continue;
    absl::StatusOr<v1::GetRunResponse> run =
        coordinator::FetchRunWithRecords(results, window.out_of_sample_run());
    if (!run.ok()) return run.status();
    runs.push_back(*std::move(run));
    curve.windows.push_back(window.window());
  }
  if (runs.empty()) {
    return absl::FailedPreconditionError(
        "no walk-forward window has an out-of-sample run yet");
  }
  research::StitchOptions options;
  options.initial_cash = runs.front().run().metrics().initial_equity();
  absl::StatusOr<research::StitchedRun> stitched =
      research::StitchRuns(runs, options);
  if (!stitched.ok()) return stitched.status();
  curve.equity = std::move(stitched->equity);
  curve.boundaries = std::move(stitched->boundaries);
  return curve;
}

std::string RenderJobReport(const JobReport& report,
                            absl::string_view charts_library) {
  const v1::Job& job = report.view.job;
  results::HtmlPage page;
  page.title = absl::StrCat(job.name(), " - research report ", job.job_id());
  page.body = JobHeader(job);
  if (job.kind() == v1::WALK_FORWARD) {
    absl::StrAppend(&page.body, WalkForwardSection(report));
  } else {
    absl::StrAppend(&page.body, SweepSection(report));
  }
  absl::StrAppend(&page.body, RankingSection(report));
  page.data_json = DataJson(report);
  page.script = results::kDrawLinesScript;
  return results::RenderHtmlPage(page, charts_library);
}

}  // namespace seed::cli
