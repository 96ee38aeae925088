#include "services/results/report.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "services/results/html_page.h"

namespace seed::results {
namespace {

namespace v1 = ::backtest::v1;

constexpr absl::string_view kStage = "results";

// The summary table shows this many metric name/value pairs per row.
constexpr int kSummaryPairsPerRow = 4;

constexpr const char* kMonthNames[12] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};

std::string Percent(double fraction) {
  return absl::StrFormat("%.2f%%", fraction * 100.0);
}

std::string Ratio(double value) { return absl::StrFormat("%.2f", value); }

std::string Optional(bool has, double value, std::string (*format)(double)) {
  return has ? format(value) : "-";
}

// A maximum drawdown shown as the loss it was: "-5.00%", "0.00%" with none.
std::string DrawdownPercent(double max_drawdown) {
  return max_drawdown > 0 ? Percent(-max_drawdown) : Percent(0);
}

// Closed trades, and those still open when there are any: "3 (+1 open)".
std::string TradeCount(int64_t trades, int64_t open_trades) {
  return open_trades > 0 ? absl::StrCat(trades, " (+", open_trades, " open)")
                         : absl::StrCat(trades);
}

// Daily bars are stamped at midnight on the data's own clock; any other time
// means intraday bars, whose charts need the time of day on their axis.
bool HasTimeOfDay(int64_t time) { return time % kSecondsPerDay != 0; }

// Consecutive points merged into one chart point so that `count` points give
// at most kMaxChartPoints.
int64_t GroupSize(int64_t count) {
  return std::max<int64_t>(1, (count + kMaxChartPoints - 1) / kMaxChartPoints);
}

// The trades of `symbol`, in the order the run stored them.
std::vector<const v1::Trade*> TradesOf(const v1::GetRunResponse& run,
                                       absl::string_view symbol) {
  std::vector<const v1::Trade*> trades;
  for (const v1::Trade& trade : run.trades()) {
    if (trade.symbol() == symbol) trades.push_back(&trade);
  }
  return trades;
}

// ---- chart data (one JSON object, read by the page's script) ----

// "equity": [[time, equity]...] and "drawdown": [[time, percent below the
// running peak]...]. A merged point keeps the group's last equity and its
// deepest drawdown, so merging never hides the worst of a drawdown.
std::string EquityJson(const v1::GetRunResponse& run) {
  const int64_t group = GroupSize(run.equity_size());
  std::vector<std::string> equity;
  std::vector<std::string> drawdown;
  double peak = 0;
  double deepest = 0;
  for (int i = 0; i < run.equity_size(); ++i) {
    const v1::EquityPoint& point = run.equity(i);
    peak = i == 0 ? point.equity() : std::max(peak, point.equity());
    const double below = peak > 0 ? (point.equity() / peak - 1) * 100 : 0;
    deepest = i % group == 0 ? below : std::min(deepest, below);
    if ((i + 1) % group != 0 && i + 1 != run.equity_size()) continue;
    equity.push_back(
        absl::StrCat("[", point.time(), ",", JsonNumber(point.equity()), "]"));
    drawdown.push_back(
        absl::StrCat("[", point.time(), ",", JsonNumber(deepest), "]"));
  }
  return absl::StrCat("\"equity\":[", absl::StrJoin(equity, ","),
                      "],\"drawdown\":[", absl::StrJoin(drawdown, ","), "]");
}

// One symbol's chart: {"symbol", "group", "candles": [[time, open, high,
// low, close]...], "markers": [[time, "B" or "S"]...]}. A merged candle
// spans `group` bars and carries the time of its last bar (bar times are
// interval ends); a fill is marked on the candle that contains it.
std::string PriceJson(const v1::BarSeries& series,
                      const std::vector<const v1::Trade*>& trades) {
  const int count = series.time_size();
  const int64_t group = GroupSize(count);
  std::vector<int64_t> times;
  std::vector<std::string> candles;
  for (int begin = 0; begin < count; begin += group) {
    const int end = static_cast<int>(std::min<int64_t>(count, begin + group));
    double high = series.high(begin);
    double low = series.low(begin);
    for (int i = begin + 1; i < end; ++i) {
      high = std::max(high, series.high(i));
      low = std::min(low, series.low(i));
    }
    times.push_back(series.time(end - 1));
    candles.push_back(absl::StrCat("[", times.back(), ",",
                                   JsonNumber(series.open(begin)), ",",
                                   JsonNumber(high), ",", JsonNumber(low), ",",
                                   JsonNumber(series.close(end - 1)), "]"));
  }
  // A long trade buys to enter and sells to exit; a short one the reverse.
  std::vector<std::pair<int64_t, bool>> fills;  // time, is a buy
  for (const v1::Trade* trade : trades) {
    const bool long_trade = trade->side() != v1::SELL;
    fills.emplace_back(trade->entry_time(), long_trade);
    if (trade->exit_time() != 0) {
      fills.emplace_back(trade->exit_time(), !long_trade);
    }
  }
  std::vector<std::pair<int64_t, bool>> markers;
  for (const auto& [time, buy] : fills) {
    if (times.empty()) break;
    auto candle = std::lower_bound(times.begin(), times.end(), time);
    if (candle == times.end()) --candle;  // after the bars: data changed
    markers.emplace_back(*candle, buy);
  }
  std::stable_sort(
      markers.begin(), markers.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> marker_json;
  for (const auto& [time, buy] : markers) {
    marker_json.push_back(
        absl::StrCat("[", time, ",", buy ? "\"B\"" : "\"S\"", "]"));
  }
  return absl::StrCat("{\"symbol\":", JsonString(series.symbol()),
                      ",\"group\":", group, ",\"candles\":[",
                      absl::StrJoin(candles, ","), "],\"markers\":[",
                      absl::StrJoin(marker_json, ","), "]}");
}

int ChartedSymbols(const PriceData& prices) {
  return std::min<int>(prices.series.size(), kMaxPriceCharts);
}

std::string DataJson(const v1::GetRunResponse& run, const PriceData& prices) {
  bool intraday = false;
  for (const v1::EquityPoint& point : run.equity()) {
    if (HasTimeOfDay(point.time())) {
      intraday = true;
      break;
    }
  }
  std::vector<std::string> charts;
  for (int i = 0; i < ChartedSymbols(prices); ++i) {
    const v1::BarSeries& series = prices.series[i];
    charts.push_back(PriceJson(series, TradesOf(run, series.symbol())));
    for (int64_t time : series.time()) {
      if (HasTimeOfDay(time)) {
        intraday = true;
        break;
      }
    }
  }
  return absl::StrCat("{", EquityJson(run), ",\"prices\":[",
                      absl::StrJoin(charts, ","),
                      "],\"intraday\":", intraday ? "true" : "false", "}");
}

// ---- sections ----

std::string HeaderSection(const v1::RunSummary& run) {
  std::string out = absl::StrCat(
      "<header><h1>", Html(run.name()), "</h1>\n<p class=\"sub\">run <code>",
      Html(run.run_id()), "</code> &middot; <b>",
      v1::RunState_Name(run.state()), "</b> &middot; ", Html(run.strategy()),
      " on ", Html(absl::StrJoin(run.symbols(), ", ")));
  if (!run.first_time().empty()) {
    absl::StrAppend(&out, " &middot; ", Html(run.first_time()), " .. ",
                    Html(run.last_time()));
  }
  absl::StrAppend(&out, " &middot; run at ", Html(run.created_at()),
                  "</p></header>\n");
  return out;
}

void FactRow(std::string& out, absl::string_view name,
             absl::string_view value) {
  if (value.empty()) return;
  absl::StrAppend(&out, "<tr><th>", name, "</th><td>", Html(value),
                  "</td></tr>\n");
}

// Where and why the run stopped: the first thing a person needs to see.
std::string FailureSection(const v1::RunSummary& run) {
  if (run.state() != v1::FAILED && run.state() != v1::CANCELLED) return "";
  const v1::StageError& error = run.error();
  std::string out = absl::StrCat(
      "<section id=\"failure\" class=\"failure\"><h2>Run ",
      run.state() == v1::FAILED ? "failed" : "cancelled", "</h2>\n<table>\n");
  FactRow(out, "Stage", error.stage());
  FactRow(out, "Reason", error.reason());
  FactRow(out, "Symbol", error.symbol());
  FactRow(out, "Bar", error.bar_time());
  FactRow(out, "Message", error.message());
  FactRow(out, "Hint", error.hint());
  absl::StrAppend(&out, "</table>\n");
  if (run.has_metrics() && !run.first_time().empty()) {
    absl::StrAppend(
        &out, "<p>The figures below are partial: up to the failure.</p>\n");
  }
  return out + "</section>\n";
}

// {"Sharpe 95% CI", "-1.49 .. 0.47"}; "-" when the interval is undefined.
std::pair<std::string, std::string> CiRow(absl::string_view metric,
                                          const v1::ConfidenceInterval& ci,
                                          std::string (*format)(double)) {
  if (!ci.defined()) return {absl::StrCat(metric, " CI"), "-"};
  return {absl::StrFormat("%s %.0f%% CI", metric, ci.level() * 100),
          absl::StrCat(format(ci.low()), " .. ", format(ci.high()))};
}

std::string SummarySection(const v1::RunSummary& run) {
  std::string out = "<section id=\"summary\"><h2>Summary</h2>\n";
  // A run that failed before reading any data has nothing to measure.
  if (!run.has_metrics() || run.first_time().empty()) {
    return out +
           "<p class=\"note\">No metrics: the run stopped before it "
           "read any data.</p></section>\n";
  }
  const v1::Metrics& m = run.metrics();
  const v1::Drawdown& drawdown = m.max_drawdown_detail();
  const bool deepest = m.has_max_drawdown_detail();
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Total return", Percent(m.total_return())},
      {"CAGR", Optional(m.has_cagr(), m.cagr(), Percent)},
      {"Annual volatility",
       Optional(m.has_annual_volatility(), m.annual_volatility(), Percent)},
      {"Final equity", Money(m.final_equity())},
      {"Sharpe", Optional(m.has_sharpe(), m.sharpe(), Ratio)},
      {"Sortino", Optional(m.has_sortino(), m.sortino(), Ratio)},
      {"Calmar", Optional(m.has_calmar(), m.calmar(), Ratio)},
      {"Exposure", Optional(m.has_exposure(), m.exposure(), Percent)},
      {"Max drawdown", DrawdownPercent(m.max_drawdown())},
      {"Drawdown peak", deepest ? drawdown.peak_time() : "-"},
      {"Drawdown trough", deepest ? drawdown.trough_time() : "-"},
      {"Recovered", !deepest ? "-"
                    : drawdown.recovery_time().empty()
                        ? "not yet"
                        : drawdown.recovery_time()},
      {"Trades", TradeCount(m.trades(), m.open_trades())},
      {"Win rate", Optional(m.has_win_rate(), m.win_rate(), Percent)},
      {"Profit factor",
       Optional(m.has_profit_factor(), m.profit_factor(), Ratio)},
      {"Expectancy", Optional(m.has_expectancy(), m.expectancy(), Money)},
      {"Average win", Optional(m.has_average_win(), m.average_win(), Money)},
      {"Average loss", Optional(m.has_average_loss(), m.average_loss(), Money)},
      {"Turnover / year", Optional(m.has_turnover(), m.turnover(), Ratio)},
      {"Commission", Money(m.total_commission())},
      {"Slippage", Money(m.total_slippage())},
      {"Initial equity", Money(m.initial_equity())},
      CiRow("Sharpe", m.sharpe_ci(), Ratio),
      CiRow("Expectancy", m.expectancy_ci(), Money),
  };
  // The comparison only for a run that had a benchmark.
  if (!m.benchmark().empty() || m.has_benchmark_return()) {
    rows.insert(rows.end(),
                {{"Benchmark", m.benchmark().empty() ? "-" : m.benchmark()},
                 {"Benchmark return", Optional(m.has_benchmark_return(),
                                               m.benchmark_return(), Percent)},
                 {"Beta", Optional(m.has_beta(), m.beta(), Ratio)},
                 {"Alpha / year", Optional(m.has_alpha(), m.alpha(), Percent)},
                 {"Correlation",
                  Optional(m.has_correlation(), m.correlation(), Ratio)}});
  }
  absl::StrAppend(&out, "<table id=\"summary-table\">\n");
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i % kSummaryPairsPerRow == 0) absl::StrAppend(&out, "<tr>");
    absl::StrAppend(&out, "<th>", Html(rows[i].first), "</th><td>",
                    Html(rows[i].second), "</td>");
    if (i % kSummaryPairsPerRow == kSummaryPairsPerRow - 1 ||
        i + 1 == rows.size()) {
      absl::StrAppend(&out, "</tr>\n");
    }
  }
  return out +
         "</table>\n<p class=\"note\">CI: seeded bootstrap "
         "confidence interval. Definitions: docs/metrics.md in the "
         "repository.</p></section>\n";
}

// A run of several strategies: each one's sleeve (Metrics.strategies), one
// row each; nothing for a run of one.
std::string StrategiesSection(const v1::RunSummary& run) {
  if (run.metrics().strategies().empty()) return "";
  std::string out =
      "<section id=\"strategies\"><h2>Strategies</h2>\n<table "
      "id=\"strategy-table\">\n<tr>";
  for (const char* name :
       {"Id", "Strategy", "Allocation", "Final equity", "Net P&L", "Return",
        "Max drawdown", "Trades", "Win rate", "Exposure", "Commission"}) {
    absl::StrAppend(&out, "<th>", Html(name), "</th>");
  }
  absl::StrAppend(&out, "</tr>\n");
  for (const v1::StrategyAttribution& part : run.metrics().strategies()) {
    const std::string numbers[] = {
        Percent(part.allocation()),
        Money(part.final_equity()),
        Money(part.net_pnl()),
        Percent(part.total_return()),
        DrawdownPercent(part.max_drawdown()),
        TradeCount(part.trades(), part.open_trades()),
        Optional(part.has_win_rate(), part.win_rate(), Percent),
        Optional(part.has_exposure(), part.exposure(), Percent),
        Money(part.total_commission())};
    absl::StrAppend(&out, "<tr><td>", Html(part.id()), "</td><td>",
                    Html(part.name()), "</td>");
    for (const std::string& number : numbers) {
      absl::StrAppend(&out, "<td class=\"num\">", Html(number), "</td>");
    }
    absl::StrAppend(&out, "</tr>\n");
  }
  return out +
         "</table>\n<p class=\"note\">Each strategy's sleeve of the "
         "account: its allocation of the initial cash, its own equity, "
         "trades and fills. Definitions: docs/metrics.md in the "
         "repository.</p></section>\n";
}

std::string EquitySection(const v1::GetRunResponse& run) {
  std::string out = "<section id=\"equity\"><h2>Equity and drawdown</h2>\n";
  if (run.equity().empty()) {
    return out + "<p class=\"note\">No equity was recorded.</p></section>\n";
  }
  const int64_t group = GroupSize(run.equity_size());
  if (group > 1) {
    absl::StrAppend(&out, "<p class=\"note\">", run.equity_size(),
                    " points, drawn as one per ", group,
                    " (each keeps the deepest drawdown of its span).</p>\n");
  }
  return out +
         "<div class=\"chart tall\" id=\"equity-chart\"></div></section>\n";
}

std::string PriceSection(const v1::GetRunResponse& run,
                         const PriceData& prices) {
  std::string out = "<section id=\"prices\"><h2>Prices and trades</h2>\n";
  if (prices.series.empty()) {
    absl::StrAppend(&out,
                    "<p class=\"note warning\">No price charts: the bars "
                    "could not be read.</p>\n");
  }
  for (const std::string& note : prices.notes) {
    absl::StrAppend(&out, "<p class=\"note warning\">", Html(note), "</p>\n");
  }
  if (prices.series.size() > static_cast<size_t>(kMaxPriceCharts)) {
    std::vector<std::string> rest;
    for (size_t i = kMaxPriceCharts; i < prices.series.size(); ++i) {
      rest.push_back(prices.series[i].symbol());
    }
    absl::StrAppend(
        &out, "<p class=\"note\">Charts for the first ", kMaxPriceCharts,
        " symbols; not charted: ", Html(absl::StrJoin(rest, ", ")), ".</p>\n");
  }
  for (int i = 0; i < ChartedSymbols(prices); ++i) {
    const v1::BarSeries& series = prices.series[i];
    absl::StrAppend(&out, "<h3>", Html(series.symbol()),
                    "</h3>\n<p class=\"note\">", series.time_size(), " bars");
    if (!series.time().empty()) {
      absl::StrAppend(&out, ", ", FormatTime(series.time(0)), " .. ",
                      FormatTime(series.time(series.time_size() - 1)));
    }
    const int64_t group = GroupSize(series.time_size());
    if (group > 1)
      absl::StrAppend(&out, "; each candle merges ", group, " bars");
    absl::StrAppend(&out, "; ", TradesOf(run, series.symbol()).size(),
                    " trades (blue arrow up: buy, orange arrow down: "
                    "sell).</p>\n<div class=\"chart\" "
                    "id=\"price-chart-",
                    i, "\"></div>\n");
  }
  return out + "</section>\n";
}

std::string HeatCell(double value, double scale) {
  return absl::StrCat("<td class=\"heat\" data-value=\"", JsonNumber(value),
                      "\" style=\"", HeatColor(value, scale), "\">",
                      absl::StrFormat("%.1f%%", value * 100), "</td>");
}

// Years down, months across, and the year's compounded return at the end.
std::string MonthlySection(const v1::RunSummary& run) {
  std::string out = "<section id=\"monthly\"><h2>Monthly returns</h2>\n";
  const v1::Metrics& m = run.metrics();
  std::map<int, std::map<int, double>> months;  // year -> month (1-12)
  double scale = 0;
  for (const v1::PeriodReturn& period : m.monthly_returns()) {
    int year = 0;
    int month = 0;
    const absl::string_view text = period.period();
    if (text.size() != 7 || !absl::SimpleAtoi(text.substr(0, 4), &year) ||
        !absl::SimpleAtoi(text.substr(5, 2), &month) || month < 1 ||
        month > 12) {
      continue;  // not "YYYY-MM": metrics.cc writes no other form
    }
    months[year][month] = period.value();
    scale = std::max(scale, std::abs(period.value()));
  }
  if (months.empty()) {
    return out + "<p class=\"note\">No monthly returns.</p></section>\n";
  }
  std::map<std::string, double> years;
  for (const v1::PeriodReturn& period : m.yearly_returns()) {
    years[period.period()] = period.value();
    scale = std::max(scale, std::abs(period.value()));
  }
  absl::StrAppend(&out,
                  "<table id=\"heatmap\" class=\"heatmap\">\n<tr><th></th>");
  for (const char* name : kMonthNames)
    absl::StrAppend(&out, "<th>", name, "</th>");
  absl::StrAppend(&out, "<th>Year</th></tr>\n");
  for (const auto& [year, by_month] : months) {
    absl::StrAppend(&out, "<tr><th>", year, "</th>");
    for (int month = 1; month <= 12; ++month) {
      const auto found = by_month.find(month);
      absl::StrAppend(&out, found == by_month.end()
                                ? "<td class=\"heat empty\"></td>"
                                : HeatCell(found->second, scale));
    }
    const auto total = years.find(absl::StrCat(year));
    absl::StrAppend(&out,
                    total == years.end() ? "<td class=\"heat empty\"></td>"
                                         : HeatCell(total->second, scale),
                    "</tr>\n");
  }
  return out + "</table></section>\n";
}

// A cell whose sort key differs from its text (times, numbers).
std::string SortCell(absl::string_view key, absl::string_view text,
                     bool number) {
  return absl::StrCat("<td", number ? " class=\"num\"" : "", " data-sort=\"",
                      Html(key), "\">", Html(text), "</td>");
}

std::string NumberCell(double value, std::string (*format)(double)) {
  return SortCell(JsonNumber(value), format(value), true);
}

std::string Price(double value) { return absl::StrFormat("%.4f", value); }

std::string Quantity(double value) { return absl::StrFormat("%.0f", value); }

std::string TradesSection(const v1::GetRunResponse& run) {
  std::string out = absl::StrCat("<section id=\"trades\"><h2>Trades (",
                                 run.trades_size(), ")</h2>\n");
  if (run.trades().empty()) {
    return out + "<p class=\"note\">No trades.</p></section>\n";
  }
  absl::StrAppend(
      &out,
      "<p class=\"note\">Click a column header to sort. Return is net P&amp;L "
      "over the entry value.</p>\n<table id=\"trade-table\" "
      "class=\"sortable\">\n<thead><tr>");
  const std::pair<const char*, bool> columns[] = {
      {"#", true},           {"Symbol", false},     {"Side", false},
      {"Entry", true},       {"Entry price", true}, {"Exit", true},
      {"Exit price", true},  {"Quantity", true},    {"Net P&L", true},
      {"Return", true},      {"Commission", true},  {"R", true},
      {"Exit reason", false}};
  for (const auto& [name, number] : columns) {
    absl::StrAppend(&out, "<th", number ? " data-type=\"number\"" : "", ">",
                    Html(name), "</th>");
  }
  absl::StrAppend(&out, "</tr></thead>\n<tbody>\n");
  int index = 0;
  for (const v1::Trade& trade : run.trades()) {
    const std::string number = absl::StrCat(++index);
    const bool open = trade.exit_time() == 0;
    const double entry_value = trade.entry_price() * trade.quantity();
    absl::StrAppend(
        &out, "<tr", trade.net_pnl() < 0 ? " class=\"loss\"" : "", ">",
        SortCell(number, number, true), "<td>", Html(trade.symbol()),
        "</td><td>", trade.side() == v1::SELL ? "short" : "long", "</td>",
        SortCell(absl::StrCat(trade.entry_time()),
                 FormatTime(trade.entry_time()), true),
        NumberCell(trade.entry_price(), Price),
        SortCell(open ? "" : absl::StrCat(trade.exit_time()),
                 open ? "open" : FormatTime(trade.exit_time()), true),
        NumberCell(trade.exit_price(), Price),
        NumberCell(trade.quantity(), Quantity),
        NumberCell(trade.net_pnl(), Money),
        entry_value > 0 ? NumberCell(trade.net_pnl() / entry_value, Percent)
                        : SortCell("", "-", true),
        NumberCell(trade.commission(), Money),
        trade.has_r_multiple() ? NumberCell(trade.r_multiple(), Ratio)
                               : SortCell("", "-", true),
        "<td>", Html(open ? "open" : trade.exit_reason()), "</td></tr>\n");
  }
  return out + "</tbody></table></section>\n";
}

std::string FingerprintSection(const v1::GetRunResponse& run) {
  const v1::RunSummary& summary = run.run();
  std::string out =
      "<section id=\"fingerprint\"><h2>Fingerprint</h2>\n<table "
      "class=\"facts\">\n";
  FactRow(out, "Spec hash", summary.spec_hash());
  FactRow(out, "Data hash", summary.data_hash());
  FactRow(out, "Engine version", summary.engine_version());
  for (const auto& [symbol, hash] : std::map<std::string, std::string>(
           run.symbol_hashes().begin(), run.symbol_hashes().end())) {
    FactRow(out, Html(absl::StrCat("Data of ", symbol)), hash);
  }
  FactRow(out, "Stored in", run.location());
  FactRow(out, "Finished", summary.finished_at());
  absl::StrAppend(&out,
                  "</table>\n<p class=\"note\">The spec hash is the SHA-256 of "
                  "this canonical spec, exactly as stored:</p>\n<pre "
                  "id=\"canonical-spec\">",
                  Html(run.canonical_spec()), "</pre></section>\n");
  return out;
}

// ---- page ----

// Draws the equity and price charts from #report-data with the page kit
// (html_page.h) and makes the trade table sortable.
constexpr char kReportScript[] = R"js(
(function () {
  'use strict';
  const EQUITY = '#2962ff', DRAWDOWN = '#d32f2f', UP = '#26a69a', DOWN = '#ef5350';
  const BUY = '#1565c0', SELL = '#e65100';
  // Beyond this many markers on one chart their letters only blur together.
  const MAX_LABELLED_MARKERS = 100;
  const kit = window.reportKit;

  function drawEquity(data) {
    const container = document.getElementById('equity-chart');
    if (!container || data.equity.length === 0) return;
    const chart = kit.makeChart(container, 'equity', [EQUITY, DRAWDOWN], data.intraday);
    chart.addSeries(LightweightCharts.LineSeries, {
      color: EQUITY, lineWidth: 2, title: 'equity',
      priceFormat: { type: 'price', precision: 0, minMove: 1 },
    }).setData(kit.points(data.equity));
    chart.addSeries(LightweightCharts.BaselineSeries, {
      baseValue: { type: 'price', price: 0 }, lineWidth: 1, title: 'drawdown',
      topLineColor: DRAWDOWN, bottomLineColor: DRAWDOWN,
      topFillColor1: 'rgba(0,0,0,0)', topFillColor2: 'rgba(0,0,0,0)',
      bottomFillColor1: 'rgba(211,47,47,0.08)', bottomFillColor2: 'rgba(211,47,47,0.4)',
      priceFormat: { type: 'percent', precision: 1 },
    }, 1).setData(kit.points(data.drawdown));
    chart.panes()[0].setStretchFactor(3);
    chart.panes()[1].setStretchFactor(1);
    chart.timeScale().fitContent();
  }

  function drawPrices(data) {
    data.prices.forEach(function (price, i) {
      const chart = kit.makeChart(document.getElementById('price-chart-' + i),
                                  price.symbol, [UP, DOWN], data.intraday);
      const candles = chart.addSeries(LightweightCharts.CandlestickSeries, {
        upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN,
        borderVisible: false, title: price.symbol,
      });
      candles.setData(price.candles.map(function (c) {
        return { time: c[0], open: c[1], high: c[2], low: c[3], close: c[4] };
      }));
      const labelled = price.markers.length <= MAX_LABELLED_MARKERS;
      LightweightCharts.createSeriesMarkers(candles, price.markers.map(function (m) {
        return m[1] === 'B'
          ? { time: m[0], position: 'belowBar', color: BUY, shape: 'arrowUp', text: labelled ? 'B' : '' }
          : { time: m[0], position: 'aboveBar', color: SELL, shape: 'arrowDown', text: labelled ? 'S' : '' };
      }));
      chart.timeScale().fitContent();
    });
  }

  function makeSortable(table) {
    const heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, column) {
      th.addEventListener('click', function () {
        const ascending = th.getAttribute('data-dir') !== 'asc';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('data-dir'); });
        th.setAttribute('data-dir', ascending ? 'asc' : 'desc');
        const number = th.getAttribute('data-type') === 'number';
        const key = function (row) {
          const cell = row.cells[column];
          const text = cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent;
          return number ? (text === '' ? NaN : Number(text)) : text;
        };
        const body = table.tBodies[0];
        const rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          const x = key(a), y = key(b);
          if (number && isNaN(x) !== isNaN(y)) return isNaN(x) ? 1 : -1;  // blanks last
          const order = number ? (x - y || 0) : x.localeCompare(y);
          return ascending ? order : -order;
        });
        const sorted = document.createDocumentFragment();
        rows.forEach(function (row) { sorted.appendChild(row); });
        body.appendChild(sorted);
      });
    });
  }

  document.querySelectorAll('table.sortable').forEach(makeSortable);
  kit.run(function (data) {
    drawEquity(data);
    drawPrices(data);
  });
})();
)js";

}  // namespace

absl::StatusOr<std::string> ReadChartsLibrary(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  if (file) text << file.rdbuf();
  if (!file || text.str().empty()) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "CHARTS_LIBRARY_MISSING",
        absl::StrCat("cannot read the chart library ", path, ": ",
                     file ? "the file is empty" : std::strerror(errno)),
        {.hint = "run scripts/setup.sh in the repository (it runs npm ci in "
                 "report/), or set BT_CHARTS_JS to "
                 "lightweight-charts.standalone.production.js"});
  }
  return text.str();
}

std::string RenderHtmlReport(const v1::GetRunResponse& run,
                             const PriceData& prices,
                             absl::string_view charts_library) {
  const v1::RunSummary& summary = run.run();
  HtmlPage page;
  page.title =
      absl::StrCat(summary.name(), " - backtest report ", summary.run_id());
  page.body = absl::StrCat(
      HeaderSection(summary), FailureSection(summary), SummarySection(summary),
      StrategiesSection(summary), EquitySection(run), PriceSection(run, prices),
      MonthlySection(summary), TradesSection(run), FingerprintSection(run));
  page.data_json = DataJson(run, prices);
  page.script = kReportScript;
  return RenderHtmlPage(page, charts_library);
}

}  // namespace seed::results
