#include "services/results/html_page.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace seed::results {
namespace {

// Heatmap colors: 0 is white, the scale's end (either sign) the full color.
constexpr int kGainRgb[3] = {26, 152, 80};
constexpr int kLossRgb[3] = {215, 48, 39};
// Above this share of the full color, cell text turns white to stay legible.
constexpr double kDarkCellShare = 0.6;

constexpr char kStyle[] = R"css(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1f2328; margin: 0 auto; max-width: 1320px; padding: 16px 24px 48px; }
h1 { font-size: 24px; margin: 8px 0 2px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 2px; }
.sub, .note { color: #57606a; margin: 4px 0; }
.warning { color: #9a6700; }
code, pre { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
pre { background: #f6f8fa; padding: 10px; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; }
th, td { padding: 3px 8px; text-align: left; }
#summary-table th { font-weight: normal; color: #57606a; }
#summary-table td { font-weight: 600; padding-right: 28px; }
.facts th { font-weight: normal; color: #57606a; white-space: nowrap; }
.facts td { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.chart { height: 320px; position: relative; }
.chart.tall { height: 460px; }
.failure { border: 2px solid #cf222e; background: #ffebe9; padding: 4px 16px 12px; margin-top: 16px; }
.failure h2 { color: #cf222e; border: none; margin-top: 12px; }
.failure th { color: #57606a; font-weight: normal; vertical-align: top; }
.heatmap th { text-align: center; font-weight: normal; color: #57606a; }
.heatmap td.heat { text-align: right; min-width: 52px; font-variant-numeric: tabular-nums; }
.heatmap td.empty { background: #f6f8fa; }
.heatmap td.empty[title] { cursor: help; }
.grid { font-variant-numeric: tabular-nums; }
.grid th { border-bottom: 1px solid #d0d7de; white-space: nowrap; }
.grid tbody tr:nth-child(even) { background: #f6f8fa; }
svg.plot text { font: 11px system-ui, sans-serif; fill: #57606a; }
svg.plot .axis { stroke: #8c959f; stroke-width: 1; }
#trade-table { font-variant-numeric: tabular-nums; width: 100%; }
#trade-table th { cursor: pointer; user-select: none; border-bottom: 1px solid #d0d7de; white-space: nowrap; }
#trade-table th[data-dir=asc]::after { content: " \25b2"; }
#trade-table th[data-dir=desc]::after { content: " \25bc"; }
#trade-table tbody tr:nth-child(even) { background: #f6f8fa; }
#trade-table tr.loss td.num:nth-child(9) { color: #cf222e; }
td.num { text-align: right; }
#render-errors { color: #cf222e; }
footer { margin-top: 32px; color: #57606a; font-size: 12px; }
)css";

// Runs first, so that errors of every later script are recorded in the page
// (the browser test and a reader both see them).
constexpr char kErrorRecorder[] = R"js(
window.reportErrors = [];
window.addEventListener('error', function (e) {
  window.reportErrors.push(e.message + (e.filename ? ' (' + e.filename + ':' + e.lineno + ')' : ''));
});
window.addEventListener('unhandledrejection', function (e) {
  window.reportErrors.push('unhandled rejection: ' + e.reason);
});
)js";

// Makes charts, draws line charts, then checks that each chart really
// painted its series and reports the outcome in <body data-render>.
constexpr char kChartKit[] = R"js(
window.reportKit = (function () {
  'use strict';
  const BOUNDARY = '#8c959f';
  // A chart counts as drawn when this many pixels of its pane have one of
  // its series' colors (axes, grid and labels never use them).
  const MIN_SERIES_PIXELS = 50, COLOR_TOLERANCE = 24;
  // How long to wait for the first paint before calling a chart undrawn.
  const CHECK_EVERY_MS = 100, CHECK_TRIES = 50;
  // fitContent never squeezes bars below this spacing (pixels); the library's
  // default (0.5) would leave all but the last ~2,500 points off screen.
  const MIN_BAR_SPACING = 0.01;
  const charts = [];

  function setStatus(text) { document.body.setAttribute('data-render', text); }

  function makeChart(container, name, colors, intraday) {
    const chart = LightweightCharts.createChart(container, {
      autoSize: true,
      layout: { background: { color: '#ffffff' }, textColor: '#333333' },
      grid: { vertLines: { color: '#f2f2f2' }, horzLines: { color: '#f2f2f2' } },
      rightPriceScale: { borderVisible: false },
      timeScale: {
        borderVisible: false, timeVisible: intraday, secondsVisible: false,
        minBarSpacing: MIN_BAR_SPACING,
      },
    });
    charts.push({ name: name, chart: chart, colors: colors });
    return chart;
  }

  function points(rows) {
    return rows.map(function (p) { return { time: p[0], value: p[1] }; });
  }

  function drawLines(lines, intraday) {
    lines.forEach(function (line) {
      const container = document.getElementById(line.id);
      if (!container) throw new Error('no element ' + line.id + ' for chart ' + line.name);
      const chart = makeChart(container, line.name,
                              line.series.map(function (s) { return s.color; }), intraday);
      let first = null;
      line.series.forEach(function (s) {
        const series = chart.addSeries(LightweightCharts.LineSeries, {
          color: s.color, lineWidth: 2, title: s.title,
        });
        series.setData(points(s.points));
        if (!first) first = series;
      });
      if (line.boundaries.length > 0) {
        // Vertical bars over the whole pane, on a scale of their own.
        chart.addSeries(LightweightCharts.HistogramSeries, {
          color: BOUNDARY, priceScaleId: 'boundaries', lastValueVisible: false,
          priceLineVisible: false,
        }).setData(line.boundaries.map(function (b) { return { time: b[0], value: 1 }; }));
        chart.priceScale('boundaries').applyOptions({
          scaleMargins: { top: 0, bottom: 0 }, visible: false,
        });
        LightweightCharts.createSeriesMarkers(first, line.boundaries.map(function (b) {
          return { time: b[0], position: 'aboveBar', color: BOUNDARY, shape: 'square', text: b[1] };
        }));
      }
      chart.timeScale().fitContent();
    });
  }

  function seriesPixels(entry) {
    const canvas = entry.chart.takeScreenshot();
    const width = Math.min(canvas.width, entry.chart.paneSize(0).width);
    if (width === 0 || canvas.height === 0) return 0;
    const pixels = canvas.getContext('2d').getImageData(0, 0, width, canvas.height).data;
    const targets = entry.colors.map(function (hex) {
      return [1, 3, 5].map(function (at) { return parseInt(hex.substr(at, 2), 16); });
    });
    let count = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      for (const t of targets) {
        if (Math.abs(pixels[i] - t[0]) + Math.abs(pixels[i + 1] - t[1]) +
            Math.abs(pixels[i + 2] - t[2]) <= COLOR_TOLERANCE) { count++; break; }
      }
    }
    return count;
  }

  function check(triesLeft) {
    const undrawn = charts.filter(function (e) { return seriesPixels(e) < MIN_SERIES_PIXELS; });
    if (undrawn.length > 0 && triesLeft > 0 && window.reportErrors.length === 0) {
      setTimeout(function () { check(triesLeft - 1); }, CHECK_EVERY_MS);
      return;
    }
    const problems = window.reportErrors.concat(undrawn.map(function (e) {
      return 'chart ' + e.name + ' drew nothing';
    }));
    if (problems.length === 0) {
      setStatus('ok: ' + charts.length + ' charts drawn');
      return;
    }
    setStatus('error: ' + problems.join('; '));
    const list = document.getElementById('render-errors');
    problems.forEach(function (text) {
      const item = document.createElement('li');
      item.textContent = text;
      list.appendChild(item);
    });
  }

  // draw(data) with the page's data, its errors recorded; then, once the
  // page loaded, the check.
  function run(draw) {
    try {
      const data = JSON.parse(document.getElementById('report-data').textContent);
      if (typeof LightweightCharts === 'undefined') {
        throw new Error('the inlined chart library did not load');
      }
      if (draw) draw(data);
    } catch (e) {
      window.reportErrors.push(String(e && e.stack || e));
    }
    // A timer rather than requestAnimationFrame: headless browsers with a
    // virtual time budget run timers reliably but may never produce a frame
    // for a page with nothing to animate.
    window.addEventListener('load', function () {
      setTimeout(function () { check(CHECK_TRIES); }, 0);
    });
  }

  return { makeChart: makeChart, points: points, drawLines: drawLines, run: run };
})();
)js";

// The library's text inside a <script> element: "</script" would end the
// element early and "<!--" would change how the rest is parsed.
std::string ScriptSafe(absl::string_view code) {
  return absl::StrReplaceAll(code, {{"</script", "<\\/script"},
                                    {"</SCRIPT", "<\\/SCRIPT"},
                                    {"<!--", "<\\!--"}});
}

}  // namespace

std::string Html(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"},
                                    {"<", "&lt;"},
                                    {">", "&gt;"},
                                    {"\"", "&quot;"},
                                    {"'", "&#39;"}});
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Ten significant digits are far finer than a chart can show and keep a
// million-point curve a few megabytes smaller than round-trip precision.
std::string JsonNumber(double value) {
  return std::isfinite(value) ? absl::StrFormat("%.10g", value) : "null";
}

std::string Money(double value) {
  std::string digits = absl::StrFormat("%.2f", std::abs(value));
  for (int at = static_cast<int>(digits.find('.')) - 3; at > 0; at -= 3) {
    digits.insert(at, ",");
  }
  return value < 0 && digits != "0.00" ? "-" + digits : digits;
}

std::string HeatColor(double value, double scale) {
  const double share = scale > 0 ? std::min(1.0, std::abs(value) / scale) : 0.0;
  const int* target = value >= 0 ? kGainRgb : kLossRgb;
  int rgb[3];
  for (int i = 0; i < 3; ++i) {
    rgb[i] = static_cast<int>(std::lround(255 + (target[i] - 255) * share));
  }
  return absl::StrFormat("background:#%02x%02x%02x%s", rgb[0], rgb[1], rgb[2],
                         share > kDarkCellShare ? ";color:#fff" : "");
}

std::string HtmlTable(absl::string_view id,
                      const std::vector<std::vector<std::string>>& rows) {
  std::string out =
      absl::StrCat("<table id=\"", Html(id), "\" class=\"grid\">\n");
  for (size_t i = 0; i < rows.size(); ++i) {
    const char* cell = i == 0 ? "th" : "td";
    absl::StrAppend(&out, i == 0 ? "<thead>" : "", "<tr>");
    for (const std::string& text : rows[i]) {
      absl::StrAppend(&out, "<", cell, ">", Html(text), "</", cell, ">");
    }
    absl::StrAppend(&out, "</tr>", i == 0 ? "</thead><tbody>" : "", "\n");
  }
  return out + (rows.empty() ? "" : "</tbody>") + "</table>\n";
}

std::string RenderHtmlPage(const HtmlPage& page,
                           absl::string_view charts_library) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n<title>",
      Html(page.title), "</title>\n<script>", kErrorRecorder,
      "</script>\n<style>", kStyle,
      "</style>\n</head>\n<body data-render=\"pending\">\n", page.body,
      "<ul id=\"render-errors\"></ul>\n<noscript><p class=\"note\">The charts "
      "need JavaScript; every table works without it.</p></noscript>\n"
      "<footer>Written by bt. Charts: TradingView Lightweight "
      "Charts&trade; (Apache License 2.0), inlined.</footer>\n"
      "<script type=\"application/json\" id=\"report-data\">",
      page.data_json, "</script>\n<script id=\"lightweight-charts\">\n",
      ScriptSafe(charts_library), "\n</script>\n<script>", kChartKit,
      "</script>\n<script>", page.script, "</script>\n</body>\n</html>\n");
}

}  // namespace seed::results
