#include "research/out_of_sample.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/time.h"
#include "services/results/metrics.h"

namespace seed::research {
namespace {

using ::backtest::v1::EquityPoint;

// How far a segment's first equity may be from the cash carried into it,
// relative: the cash is copied from the previous run's final equity, so
// only a decimal round trip of it (a spec written as text) may differ.
constexpr double kContinuityTolerance = 1e-9;

std::string Money(double value) { return absl::StrFormat("%.15g", value); }

absl::Status Broken(size_t window, absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat("out-of-sample window ", window, " ", what));
}

}  // namespace

absl::StatusOr<StitchedRun> Stitch(absl::Span<const Segment> segments,
                                   const StitchOptions& options) {
  if (segments.empty()) {
    return absl::FailedPreconditionError("no out-of-sample windows to stitch");
  }
  StitchedRun run;
  double carried = options.initial_cash;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& segment = segments[i];
    if (segment.equity.empty()) return Broken(i, "has no equity points");
    const EquityPoint& first = segment.equity.front();
    const EquityPoint& last = segment.equity.back();
    if (!(std::abs(first.equity() - carried) <=
          kContinuityTolerance * std::abs(carried))) {
      const std::string source =
          i == 0 ? "the walk-forward's initial cash"
                 : absl::StrCat("window ", i - 1, " ended with");
      return Broken(
          i, absl::StrCat("starts with equity ", Money(first.equity()),
                          ", not ", source, " ", Money(carried),
                          ": each out-of-sample run must start flat with the "
                          "previous one's final equity as its cash"));
    }
    if (!run.equity.empty() && first.time() <= run.equity.back().time()) {
      return Broken(
          i, absl::StrCat("starts at ", FormatTime(first.time()),
                          ", not after window ", i - 1, "'s last point at ",
                          FormatTime(run.equity.back().time()),
                          ": out-of-sample windows must not "
                          "overlap"));
    }
    for (const backtest::v1::Trade& trade : segment.trades) {
      if (trade.exit_time() == 0) {
        return Broken(
            i, absl::StrCat("has an open trade (", trade.symbol(), " entered ",
                            FormatTime(trade.entry_time()),
                            "): run each out-of-sample window with "
                            "close_at_end so that it ends flat"));
      }
    }
    run.boundaries.push_back(run.equity.size());
    run.equity.insert(run.equity.end(), segment.equity.begin(),
                      segment.equity.end());
    run.trades.insert(run.trades.end(), segment.trades.begin(),
                      segment.trades.end());
    run.fills.insert(run.fills.end(), segment.fills.begin(),
                     segment.fills.end());
    carried = last.equity();
  }
  results::MetricsInput input;
  input.equity = run.equity;
  input.closed_trades = run.trades;
  input.fills = run.fills;
  input.initial_cash = options.initial_cash;
  input.interval_seconds = options.interval_seconds;
  input.spec = options.metrics;
  run.metrics = results::ComputeMetrics(input);
  return run;
}

absl::StatusOr<StitchedRun> StitchRuns(
    absl::Span<const backtest::v1::GetRunResponse> runs,
    const StitchOptions& options) {
  // Segments are spans: each run's records copied into vectors first.
  const size_t count = runs.size();
  std::vector<std::vector<backtest::v1::EquityPoint>> equity(count);
  std::vector<std::vector<backtest::v1::Trade>> closed(count);
  std::vector<std::vector<backtest::v1::Fill>> fills(count);
  std::vector<Segment> segments;
  for (size_t i = 0; i < count; ++i) {
    const backtest::v1::GetRunResponse& run = runs[i];
    equity[i].assign(run.equity().begin(), run.equity().end());
    fills[i].assign(run.fills().begin(), run.fills().end());
    for (const backtest::v1::Trade& trade : run.trades()) {
      if (trade.exit_time() != 0) closed[i].push_back(trade);
    }
    segments.push_back({equity[i], closed[i], fills[i]});
  }
  return Stitch(segments, options);
}

double YearsBetween(int64_t first_time, int64_t last_time) {
  return static_cast<double>(last_time - first_time) /
         (results::kDaysPerYear * kSecondsPerDay);
}

std::optional<double> AnnualizedReturn(const ReturnOverPeriod& period) {
  const double growth = 1 + period.total_return;
  // NaN fails both tests.
  if (!(period.years > 0) || !(growth >= 0) || !std::isfinite(growth)) {
    return std::nullopt;
  }
  return std::pow(growth, 1 / period.years) - 1;
}

namespace {

Efficiency Compare(const ReturnOverPeriod& in_sample,
                   const ReturnOverPeriod& out_of_sample) {
  Efficiency result;
  result.in_sample = AnnualizedReturn(in_sample);
  result.out_of_sample = AnnualizedReturn(out_of_sample);
  if (result.in_sample.has_value() && result.out_of_sample.has_value() &&
      *result.in_sample > 0) {
    result.efficiency = *result.out_of_sample / *result.in_sample;
  }
  return result;
}

}  // namespace

WalkForwardEfficiency MeasureEfficiency(
    absl::Span<const WindowReturns> windows) {
  WalkForwardEfficiency result;
  // Chained: growth multiplies, years add. A window that lost more than
  // everything (1 + r < 0) leaves the chain undefined (NaN), not positive
  // again by a second such window.
  const auto chain = [](ReturnOverPeriod& total, const ReturnOverPeriod& one) {
    const double growth = 1 + one.total_return;
    total.total_return =
        growth >= 0 ? (1 + total.total_return) * growth - 1 : std::nan("");
    total.years += one.years;
  };
  ReturnOverPeriod in_sample;
  ReturnOverPeriod out_of_sample;
  for (const WindowReturns& window : windows) {
    result.windows.push_back(Compare(window.in_sample, window.out_of_sample));
    chain(in_sample, window.in_sample);
    chain(out_of_sample, window.out_of_sample);
  }
  result.overall = Compare(in_sample, out_of_sample);
  return result;
}

}  // namespace seed::research
