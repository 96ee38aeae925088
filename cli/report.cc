#include "cli/report.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/stored_spec.h"
#include "common/stage_error.h"
#include "common/text.h"
#include "common/time.h"

namespace seed::cli {
namespace {

// A progress bar appears only for runs that last longer than this.
constexpr absl::Duration kProgressDelay = absl::Seconds(1);
constexpr int kProgressWidth = 30;
constexpr int kTradesShown = 20;

std::string Percent(double fraction) {
  return absl::StrFormat("%.2f%%", fraction * 100.0);
}

std::string OrDash(bool has, double value, std::string (*format)(double)) {
  return has ? format(value) : "-";
}

std::string Ratio(double value) { return absl::StrFormat("%.2f", value); }

std::string Money(double value) { return absl::StrFormat("%.2f", value); }

// A maximum drawdown shown as the loss it was: "-5.00%", "0.00%" with none.
std::string DrawdownPercent(double max_drawdown) {
  return max_drawdown > 0 ? Percent(-max_drawdown) : Percent(0);
}

std::string StateName(v1::RunState state) {
  switch (state) {
    case v1::QUEUED:
      return "QUEUED";
    case v1::RUNNING:
      return "RUNNING";
    case v1::SUCCEEDED:
      return "SUCCEEDED";
    case v1::FAILED:
      return "FAILED";
    case v1::CANCELLED:
      return "CANCELLED";
    default:
      return "UNKNOWN";
  }
}

// Text from a run or a file (a name, a symbol, a message) as it may be shown
// on a terminal: control characters and escape sequences written out, so a
// name cannot break a table or act on the terminal.
std::string Shown(absl::string_view text) { return EscapeForTerminal(text); }

// Shown(text) cut to at most `width` bytes at a character boundary.
std::string Cell(absl::string_view text, size_t width) {
  std::string shown = Shown(text);
  if (shown.size() <= width) return shown;
  size_t cut = width;
  while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  shown.resize(cut);
  return shown;
}

void Row(std::string& out, absl::string_view name, absl::string_view value) {
  absl::StrAppend(&out, absl::StrFormat("  %-16s %14s\n", name, value));
}

}  // namespace

std::string FormatSummary(const v1::RunSummary& run) {
  std::string out =
      absl::StrCat("run ", Shown(run.run_id()), "  ", Shown(run.name()), "  ",
                   StateName(run.state()), "\n");
  absl::StrAppend(&out, "strategy ", Shown(run.strategy()), " on ",
                  Shown(absl::StrJoin(run.symbols(), ", ")));
  if (!run.first_time().empty()) {
    absl::StrAppend(&out, ", ", run.first_time(), "..", run.last_time());
  }
  absl::StrAppend(&out, "\n");
  const bool cancelled = run.state() == v1::CANCELLED;
  if (run.has_error() && !run.error().stage().empty()) {
    // A cancel is what somebody asked for, not a stage's failure.
    absl::StrAppend(
        &out,
        cancelled ? absl::StrCat("CANCELLED: ", Shown(run.error().message()))
                  : EscapeForTerminal(DescribeStageError(run.error()),
                                      /*keep_newlines=*/true),
        "\n");
  }
  // A run that failed before reading any data has nothing to measure.
  if (!run.has_metrics() || run.first_time().empty()) return out;
  const v1::Metrics& m = run.metrics();
  absl::StrAppend(&out,
                  run.state() == v1::SUCCEEDED
                      ? "\n"
                      : absl::StrCat("\npartial results, up to the ",
                                     cancelled ? "cancel" : "failure", ":\n"));
  Row(out, "total return", Percent(m.total_return()));
  Row(out, "CAGR", OrDash(m.has_cagr(), m.cagr(), Percent));
  Row(out, "Sharpe", OrDash(m.has_sharpe(), m.sharpe(), Ratio));
  Row(out, "max drawdown", DrawdownPercent(m.max_drawdown()));
  Row(out, "trades",
      m.open_trades() > 0
          ? absl::StrCat(m.trades(), " (+", m.open_trades(), " open)")
          : absl::StrCat(m.trades()));
  Row(out, "win rate", OrDash(m.has_win_rate(), m.win_rate(), Percent));
  Row(out, "profit factor",
      OrDash(m.has_profit_factor(), m.profit_factor(), Ratio));
  Row(out, "commission", Money(m.total_commission()));
  Row(out, "final equity", Money(m.final_equity()));
  return out;
}

std::string FormatRunList(const v1::ListRunsResponse& runs) {
  if (runs.runs().empty()) return "no runs stored yet (bt run SPEC)\n";
  std::string out =
      absl::StrFormat("%-24s %-10s %-20s %-14s %-20s %10s\n", "RUN", "STATE",
                      "NAME", "STRATEGY", "CREATED", "RETURN");
  for (const v1::RunSummary& run : runs.runs()) {
    absl::StrAppend(
        &out,
        absl::StrFormat(
            "%-24s %-10s %-20s %-14s %-20s %10s\n", Cell(run.run_id(), 24),
            StateName(run.state()), Cell(run.name(), 20),
            Cell(run.strategy(), 14), run.created_at(),
            run.has_metrics() ? Percent(run.metrics().total_return()) : "-"));
  }
  return out;
}

// "  Sharpe (95% CI -0.01 .. 0.81)" for a defined interval, else nothing.
std::string IntervalLine(absl::string_view name,
                         const v1::ConfidenceInterval& ci,
                         std::string (*format)(double)) {
  if (!ci.defined()) return "";
  return absl::StrCat("  ", name, " (",
                      absl::StrFormat("%.0f", ci.level() * 100), "% CI ",
                      format(ci.low()), " .. ", format(ci.high()), ")\n");
}

// The metrics beyond the summary table, for bt show.
std::string FormatMoreMetrics(const v1::Metrics& m) {
  std::string out = "\nmore metrics (definitions: docs/metrics.md)\n";
  Row(out, "annual vol",
      OrDash(m.has_annual_volatility(), m.annual_volatility(), Percent));
  Row(out, "Sortino", OrDash(m.has_sortino(), m.sortino(), Ratio));
  Row(out, "Calmar", OrDash(m.has_calmar(), m.calmar(), Ratio));
  Row(out, "exposure", OrDash(m.has_exposure(), m.exposure(), Percent));
  Row(out, "turnover/year", OrDash(m.has_turnover(), m.turnover(), Ratio));
  Row(out, "expectancy", OrDash(m.has_expectancy(), m.expectancy(), Money));
  Row(out, "w/o top 5",
      OrDash(m.has_expectancy_without_top5(), m.expectancy_without_top5(),
             Money));
  Row(out, "average win", OrDash(m.has_average_win(), m.average_win(), Money));
  Row(out, "average loss",
      OrDash(m.has_average_loss(), m.average_loss(), Money));
  Row(out, "median trade",
      OrDash(m.has_median_trade(), m.median_trade(), Money));
  Row(out, "average R", OrDash(m.has_average_r(), m.average_r(), Ratio));
  Row(out, "slippage", Money(m.total_slippage()));
  absl::StrAppend(&out, IntervalLine("Sharpe", m.sharpe_ci(), Ratio),
                  IntervalLine("expectancy", m.expectancy_ci(), Money));
  if (m.has_max_drawdown_detail()) {
    const v1::Drawdown& d = m.max_drawdown_detail();
    absl::StrAppend(&out, "  max drawdown: peak ", d.peak_time(), ", trough ",
                    d.trough_time(), ", ",
                    d.recovery_time().empty()
                        ? "not recovered"
                        : absl::StrCat("recovered ", d.recovery_time()),
                    " (", d.duration_days(), " days)\n");
  }
  if (!m.yearly_returns().empty()) {
    absl::StrAppend(&out, "  yearly returns:");
    for (const v1::PeriodReturn& year : m.yearly_returns()) {
      absl::StrAppend(&out, " ", year.period(), " ", Percent(year.value()));
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

// A run of several strategies: each one's part (Metrics.strategies), one row
// each; nothing for a run of one.
std::string FormatStrategies(const v1::Metrics& m) {
  if (m.strategies().empty()) return "";
  constexpr char kRow[] = "  %-14s %-16s %7s %14s %9s %9s %10s %9s %9s\n";
  std::string out = absl::StrCat(
      "\nstrategies (definitions: docs/metrics.md)\n",
      absl::StrFormat(kRow, "ID", "STRATEGY", "ALLOC", "FINAL EQUITY", "RETURN",
                      "MAX DD", "TRADES", "WIN RATE", "EXPOSURE"));
  for (const v1::StrategyAttribution& part : m.strategies()) {
    absl::StrAppend(
        &out,
        absl::StrFormat(
            kRow, Cell(part.id(), 14), Cell(part.name(), 16),
            Percent(part.allocation()), Money(part.final_equity()),
            Percent(part.total_return()), DrawdownPercent(part.max_drawdown()),
            part.open_trades() > 0
                ? absl::StrCat(part.trades(), " (+", part.open_trades(), ")")
                : absl::StrCat(part.trades()),
            OrDash(part.has_win_rate(), part.win_rate(), Percent),
            OrDash(part.has_exposure(), part.exposure(), Percent)));
  }
  return out;
}

std::string FormatTrade(const v1::Trade& trade) {
  return absl::StrCat(
      absl::StrFormat(
          "%-8s %-5s %s @ %.4f -> %s @ %.4f  qty %.0f  net %.2f  %s",
          Shown(trade.symbol()), trade.side() == v1::SELL ? "short" : "long",
          FormatTime(trade.entry_time()), trade.entry_price(),
          trade.exit_time() == 0 ? std::string("(open)")
                                 : FormatTime(trade.exit_time()),
          trade.exit_price(), trade.quantity(), trade.net_pnl(),
          trade.exit_reason()),
      trade.strategy().empty()
          ? ""
          : absl::StrCat("  [", Shown(trade.strategy()), "]"));
}

std::string FormatRunDetails(const v1::GetRunResponse& run) {
  std::string out = FormatSummary(run.run());
  if (run.run().has_metrics() && !run.run().first_time().empty()) {
    absl::StrAppend(&out, FormatMoreMetrics(run.run().metrics()),
                    FormatStrategies(run.run().metrics()));
  }
  if (absl::StatusOr<v1::BacktestSpec> spec =
          ParseStoredSpec(run.canonical_spec());
      spec.ok()) {
    absl::StrAppend(&out, "\nfill timing: ", FillTimingText(*spec), "\n");
  }
  absl::StrAppend(&out, "\nfingerprint\n  spec   ", run.run().spec_hash(),
                  "\n  data   ", run.run().data_hash(), "\n  engine ",
                  run.run().engine_version(), "\n  stored ", run.location(),
                  "\n");
  absl::StrAppend(&out, "\ntrades (", run.trades_size(), ")\n");
  int shown = 0;
  for (const v1::Trade& trade : run.trades()) {
    if (shown++ == kTradesShown) {
      absl::StrAppend(&out, "  ... ", run.trades_size() - kTradesShown,
                      " more (bt run --export DIR writes them all)\n");
      break;
    }
    absl::StrAppend(&out, "  ", FormatTrade(trade), "\n");
  }
  if (run.rejections_size() > 0) {
    absl::StrAppend(&out, "\nrejected orders (", run.rejections_size(), ")\n");
    // In a run of several strategies, whose order it was.
    const auto& strategies = run.run().metrics().strategies();
    for (const v1::Rejection& rejection : run.rejections()) {
      const int index = rejection.strategy();
      absl::StrAppend(
          &out, "  ", FormatTime(rejection.time()), " ", rejection.stage(), " ",
          rejection.code(), ": ", Shown(rejection.message()),
          index >= 0 && index < strategies.size()
              ? absl::StrCat("  [", Shown(strategies[index].id()), "]")
              : "",
          "\n");
    }
  }
  return out;
}

std::string FormatQualityReport(const v1::DataQualityReport& report) {
  std::string out;
  for (const v1::FileReport& file : report.files()) {
    int64_t bad = 0;
    for (const auto& [kind, count] : file.issue_counts()) {
      if (kind != "gap") bad += count;
    }
    absl::StrAppend(&out, bad == 0 ? "ok    " : "BAD   ", Shown(file.symbol()),
                    "  ", Shown(file.path()), "\n      ", file.format(), ", ",
                    file.rows_read(), " rows, ", file.first_time(), "..",
                    file.last_time(), ", interval ", file.interval_seconds(),
                    " s\n");
    for (const auto& [kind, count] : file.issue_counts()) {
      absl::StrAppend(&out, "      ", count, " x ", kind,
                      kind == "gap" ? " (warning)" : "", "\n");
    }
    for (const v1::DataIssue& issue : file.issues()) {
      absl::StrAppend(&out, "        line ", issue.line(), " ",
                      Shown(issue.time()), ": ", Shown(issue.message()), "\n");
    }
  }
  return out;
}

ProgressBar::ProgressBar()
    : enabled_(isatty(STDERR_FILENO) != 0), started_(absl::Now()) {}

void ProgressBar::Update(const v1::RunProgress& progress) {
  if (!enabled_ || absl::Now() - started_ < kProgressDelay) return;
  const double fraction =
      std::min(1.0, std::max(0.0, progress.fraction_done()));
  const int filled = static_cast<int>(fraction * kProgressWidth);
  std::fprintf(stderr, "\r[%s%s] %5.1f%%  %s  %lld steps ",
               std::string(filled, '#').c_str(),
               std::string(kProgressWidth - filled, '.').c_str(),
               fraction * 100.0, progress.current_time().c_str(),
               static_cast<long long>(progress.steps_done()));
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r%*s\r", kProgressWidth + 50, "");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace seed::cli
