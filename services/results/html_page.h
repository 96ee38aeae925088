// The frame every page bt writes shares (the run report, research job
// reports, Monte Carlo and factor reports): one self-contained HTML file with
// the chart library inlined, its chart data in one JSON element, a small
// chart kit (window.reportKit) that draws line charts and checks that every
// chart painted, and the escaping every text from data goes through.
// Thread-safe: pure functions.
#ifndef SEED_SERVICES_RESULTS_HTML_PAGE_H_
#define SEED_SERVICES_RESULTS_HTML_PAGE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace seed::results {

// Text as HTML content or an attribute value: & < > " ' escaped.
std::string Html(absl::string_view text);

// A JSON string that is also safe inside a <script> element: '<', '>' and
// '&' are escaped so no text from data can close the element.
std::string JsonString(absl::string_view text);

// A finite number with ten significant digits; "null" otherwise.
std::string JsonNumber(double value);

// 1234567.891 -> "1,234,567.89".
std::string Money(double value);

// "background:#rrggbb" (and white text on a dark cell) for a heatmap cell:
// 0 is white, +scale full green, -scale full red.
std::string HeatColor(double value, double scale);

// <table id=ID class="grid">: the first row as its header, every cell
// escaped.
std::string HtmlTable(absl::string_view id,
                      const std::vector<std::vector<std::string>>& rows);

struct HtmlPage {
  std::string title;      // plain text, escaped here
  std::string body;       // HTML, its data texts already escaped
  std::string data_json;  // one JSON object, the #report-data element
  // The page's own drawing script. It runs after the chart library and the
  // kit, and calls reportKit.run(function (data) { ... }) once; with
  // nothing to draw, reportKit.run(null).
  std::string script;
};

// A page script that draws data.lines (reportKit.drawLines) and nothing
// else: the research pages' line charts.
inline constexpr char kDrawLinesScript[] =
    "reportKit.run(function (data) { reportKit.drawLines(data.lines, "
    "data.intraday); });";

// The page: head (error recorder, style), body (data-render="pending" until
// the kit's check sets "ok: N charts drawn" or "error: ..."), footer, data,
// library (only "</script" and "<!--" escaped), kit, page script.
//
// The kit: reportKit.makeChart(container, name, colors, intraday) creates
// a chart whose drawing is checked by its series colors;
// reportKit.points(rows) turns [[time, value]...] into series data;
// reportKit.drawLines(lines, intraday) draws each {id, name, series: [{title,
// color, points}], boundaries: [[time, label]...]} into the element with
// that id, boundaries as vertical bars with their labels.
std::string RenderHtmlPage(const HtmlPage& page,
                           absl::string_view charts_library);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_HTML_PAGE_H_
