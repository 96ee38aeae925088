// Walk-forward results: the out-of-sample segments of separate runs stitched
// into one equity curve and one trade list with their own metrics, and the
// walk-forward efficiency that compares out-of-sample with in-sample
// returns. Thread-safe: pure functions.
//
// Stitching (docs/research.md). Each out-of-sample window is its own run
// that starts flat with initial cash = the previous window's final equity
// (the first: the walk-forward's initial cash) and ends flat (its positions
// closed at its last bar, close_at_end). So nothing is carried across a
// boundary but cash, and the stitched curve is the segments' points one
// after another, unchanged. Checked, each failure naming the window (0-based
// segment index): a segment has equity points; its first point's equity
// equals the carried cash within 1e-9 relative; it starts after the previous
// segment's last point; its trades are all closed (close_at_end closes the
// positions at the last point's closes without costs, after that point is
// recorded, so the point may still show them: its equity is the cash the
// run ends with). The metrics are services/results/metrics.h's ComputeMetrics
// over the stitched points, trades and fills, with the walk-forward's
// initial cash.
//
// Walk-forward efficiency (Pardo, "The Evaluation and Optimization of
// Trading Strategies", 2nd ed., Wiley 2008): annualized out-of-sample return /
// annualized in-sample return. Annualized return of a total return r over
// y years: (1 + r)^(1 / y) - 1, as metrics' CAGR; undefined when y <= 0 or
// 1 + r < 0. Per window: the chosen parameters' in-sample run against the
// out-of-sample run. Overall: the same ratio over all windows chained, each
// side's growth the product of (1 + r) and its years the sum of the
// windows' years. The efficiency is undefined when either annualized
// return is, or when the in-sample one is <= 0 (no in-sample edge to
// compare with: a ratio to a loss or to nothing does not measure
// degradation).
#ifndef SEED_RESEARCH_OUT_OF_SAMPLE_H_
#define SEED_RESEARCH_OUT_OF_SAMPLE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "backtest/v1/orders.pb.h"
#include "backtest/v1/results.pb.h"
#include "backtest/v1/run.pb.h"
#include "backtest/v1/spec.pb.h"

namespace seed::research {

// One out-of-sample run's records (not owned).
struct Segment {
  absl::Span<const backtest::v1::EquityPoint> equity;
  absl::Span<const backtest::v1::Trade> trades;  // closed, in closing order
  // Optional: without them the commission, slippage and turnover metrics
  // count nothing.
  absl::Span<const backtest::v1::Fill> fills;
};

struct StitchOptions {
  double initial_cash = 0;
  // The data's bar interval (metrics' periods per year); 0 when unknown.
  int64_t interval_seconds = 0;
  backtest::v1::MetricsSpec metrics;
};

struct StitchedRun {
  std::vector<backtest::v1::EquityPoint> equity;
  std::vector<backtest::v1::Trade> trades;
  std::vector<backtest::v1::Fill> fills;
  // Index into `equity` of each segment's first point: the window
  // boundaries, for charts.
  std::vector<size_t> boundaries;
  backtest::v1::Metrics metrics;
};

// The segments, in window order, stitched as the header comment says, or
// FAILED_PRECONDITION naming the window and what broke, e.g. "out-of-sample
// window 2 starts with equity 10234.5, not the 10234.75 window 1 ended with:
// each out-of-sample run must start flat with the previous one's final
// equity as its cash".
absl::StatusOr<StitchedRun> Stitch(absl::Span<const Segment> segments,
                                   const StitchOptions& options);

// Stitch over whole stored runs (GetRun with every record, in window
// order): each run's equity points, closed trades and fills are its segment.
// Used where the runs come from the results stage (the walk-forward job and
// its report).
absl::StatusOr<StitchedRun> StitchRuns(
    absl::Span<const backtest::v1::GetRunResponse> runs,
    const StitchOptions& options);

// A total return over a period of `years`.
struct ReturnOverPeriod {
  double total_return = 0;
  double years = 0;
};

// (last - first) / (365.25 days): the years metrics' CAGR uses for a run
// whose first and last points are at these times.
double YearsBetween(int64_t first_time, int64_t last_time);

// (1 + r)^(1 / years) - 1; undefined when years <= 0 or 1 + r < 0.
std::optional<double> AnnualizedReturn(const ReturnOverPeriod& period);

struct WindowReturns {
  ReturnOverPeriod in_sample;      // of the parameters chosen there
  ReturnOverPeriod out_of_sample;  // of the same parameters, unseen
};

struct Efficiency {
  std::optional<double> in_sample;      // annualized
  std::optional<double> out_of_sample;  // annualized
  std::optional<double> efficiency;     // out_of_sample / in_sample
};

struct WalkForwardEfficiency {
  std::vector<Efficiency> windows;
  Efficiency overall;
};

// Per window and overall, as the header comment defines them.
// Example: a window that earned 20% a year in sample and 10% out of sample
// has an efficiency of 0.5.
WalkForwardEfficiency MeasureEfficiency(
    absl::Span<const WindowReturns> windows);

}  // namespace seed::research

#endif  // SEED_RESEARCH_OUT_OF_SAMPLE_H_
