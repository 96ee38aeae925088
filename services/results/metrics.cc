#include "services/results/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "common/seeded_random.h"
#include "common/time.h"

namespace seed::results {
namespace {

using ::backtest::v1::ConfidenceInterval;
using ::backtest::v1::EquityPoint;
using ::backtest::v1::Metrics;
using ::backtest::v1::StrategyAttribution;
using ::backtest::v1::Trade;

int64_t CalendarDay(int64_t time) {
  // Floor division so that times before 1970 land on their own day.
  int64_t day = time / kSecondsPerDay;
  if (time % kSecondsPerDay < 0) --day;
  return day;
}

double MedianOfSorted(const std::vector<double>& sorted) {
  const size_t middle = sorted.size() / 2;
  if (sorted.size() % 2 == 1) return sorted[middle];
  return (sorted[middle - 1] + sorted[middle]) / 2;
}

// The accumulators below each take the equity points one at a time, so that
// ComputeMetrics reads a curve of millions of points once.

// Points per calendar day, for the periods per year of intraday data.
class DayCounter {
 public:
  void Add(int64_t time) {
    const int64_t day = CalendarDay(time);
    // A time-ordered curve lists each day's points together: the map is
    // touched once per day rather than once per point.
    if (day != current_day_) Flush();
    current_day_ = day;
    ++current_points_;
  }

  // kTradingDaysPerYear * the median points per day; kTradingDaysPerYear
  // with no points.
  double PeriodsPerYear() {
    Flush();
    if (points_per_day_.empty()) return kTradingDaysPerYear;
    std::vector<double> counts;
    counts.reserve(points_per_day_.size());
    for (const auto& [day, count] : points_per_day_) counts.push_back(count);
    std::sort(counts.begin(), counts.end());
    return kTradingDaysPerYear * MedianOfSorted(counts);
  }

 private:
  void Flush() {
    if (current_points_ > 0) points_per_day_[current_day_] += current_points_;
    current_points_ = 0;
  }

  std::map<int64_t, int64_t> points_per_day_;
  int64_t current_day_ = 0;
  int64_t current_points_ = 0;
};

// Step-to-step returns, then their volatility, Sharpe and Sortino ratios.
class ReturnStatistics {
 public:
  void Add(double equity) {
    if (has_previous_ && previous_ != 0) {
      returns_.push_back(equity / previous_ - 1);
    }
    previous_ = equity;
    has_previous_ = true;
  }

  const std::vector<double>& returns() const { return returns_; }

  // `risk_free` is per period.
  void Set(double periods_per_year, double risk_free, Metrics& metrics) const {
    if (returns_.size() < 2) return;
    const double count = returns_.size();
    double sum = 0;
    for (double r : returns_) sum += r;
    const double mean = sum / count;
    double squares = 0;
    double downside_squares = 0;
    for (double r : returns_) {
      squares += (r - mean) * (r - mean);
      const double shortfall = std::min(r - risk_free, 0.0);
      downside_squares += shortfall * shortfall;
    }
    // Subtracting a constant moves the mean and leaves the deviation alone.
    const double excess_mean = mean - risk_free;
    const double stdev = std::sqrt(squares / (count - 1));
    const double downside = std::sqrt(downside_squares / count);
    const double annualizer = std::sqrt(periods_per_year);
    metrics.set_annual_volatility(stdev * annualizer);
    if (stdev > 0) metrics.set_sharpe(excess_mean / stdev * annualizer);
    if (downside > 0) metrics.set_sortino(excess_mean / downside * annualizer);
  }

 private:
  std::vector<double> returns_;
  double previous_ = 0;
  bool has_previous_ = false;
};

class Drawdown {
 public:
  void Add(int64_t time, double equity) {
    if (first_ || equity >= peak_) {
      if (deepest_open_) {
        recovery_time_ = time;
        deepest_open_ = false;
      }
      peak_ = equity;
      peak_time_ = time;
      run_ = 0;
      first_ = false;
      return;
    }
    ++run_;
    longest_run_ = std::max(longest_run_, run_);
    if (peak_ > 0 && 1 - equity / peak_ > max_drawdown_) {
      max_drawdown_ = 1 - equity / peak_;
      deepest_peak_time_ = peak_time_;
      trough_time_ = time;
      recovery_time_.reset();
      deepest_open_ = true;
    }
  }

  double max_drawdown() const { return max_drawdown_; }

  // `last_time`: of the curve's last point.
  void Set(int64_t last_time, Metrics& metrics) const {
    metrics.set_max_drawdown(max_drawdown_);
    metrics.set_max_drawdown_duration_steps(longest_run_);
    if (max_drawdown_ == 0) return;
    backtest::v1::Drawdown& detail = *metrics.mutable_max_drawdown_detail();
    detail.set_peak_time(FormatTime(deepest_peak_time_));
    detail.set_trough_time(FormatTime(trough_time_));
    if (recovery_time_.has_value()) {
      detail.set_recovery_time(FormatTime(*recovery_time_));
    }
    detail.set_duration_days(CalendarDay(recovery_time_.value_or(last_time)) -
                             CalendarDay(deepest_peak_time_));
  }

 private:
  bool first_ = true;
  double peak_ = 0;
  int64_t peak_time_ = 0;
  double max_drawdown_ = 0;
  int64_t run_ = 0;
  int64_t longest_run_ = 0;
  // The deepest drawdown so far, and whether its peak is yet to be regained.
  int64_t deepest_peak_time_ = 0;
  int64_t trough_time_ = 0;
  std::optional<int64_t> recovery_time_;
  bool deepest_open_ = false;
};

// The compounded return of each period (calendar month or year) the curve
// touches, appended to `out` in time order.
class PeriodReturns {
 public:
  PeriodReturns(
      double initial_cash,
      google::protobuf::RepeatedPtrField<backtest::v1::PeriodReturn>* out)
      : base_(initial_cash), out_(out) {}

  // `key` identifies the point's period; `label` names it, and is called
  // once per period.
  void Add(int64_t key, absl::FunctionRef<std::string()> label, double equity) {
    if (!open_ || key != key_) {
      Close();
      key_ = key;
      label_ = label();
      open_ = true;
    }
    last_ = equity;
  }

  // Ends the current period: call after the last point.
  void Close() {
    if (!open_) return;
    if (base_ != 0) {
      backtest::v1::PeriodReturn& period = *out_->Add();
      period.set_period(label_);
      period.set_value(last_ / base_ - 1);
    }
    base_ = last_;
    open_ = false;
  }

 private:
  double base_;
  google::protobuf::RepeatedPtrField<backtest::v1::PeriodReturn>* const out_;
  bool open_ = false;
  int64_t key_ = 0;
  std::string label_;
  double last_ = 0;
};

bool HoldsAPosition(const EquityPoint& point) {
  const double tolerance =
      kExposureTolerance * std::max(1.0, std::abs(point.equity()));
  return std::abs(point.equity() - point.cash()) > tolerance;
}

// The moving-block bootstrap interval of `statistic` (of a resample's mean
// and sample variance; nullopt when undefined) over `values`, as metrics.h
// defines it. `resamples` > 0.
ConfidenceInterval BlockBootstrap(
    absl::Span<const double> values, int resamples, uint64_t seed,
    absl::FunctionRef<std::optional<double>(double mean, double variance)>
        statistic) {
  constexpr int64_t kPerMille = 1000;
  ConfidenceInterval interval;
  interval.set_level(static_cast<double>(kConfidencePerMille) / kPerMille);
  const int64_t count = values.size();
  if (count < 2) return interval;

  // Block sums come from prefix sums, so a resample costs one step per block
  // rather than per value. The values are centered first: prefix sums of
  // deviations stay small, and the variance is not a difference of two
  // large, nearly equal numbers.
  double total = 0;
  for (double value : values) total += value;
  const double mean = total / count;
  struct Prefix {
    double sum = 0;
    double squares = 0;
  };
  std::vector<Prefix> prefix(count + 1);
  for (int64_t i = 0; i < count; ++i) {
    const double deviation = values[i] - mean;
    prefix[i + 1] = {prefix[i].sum + deviation,
                     prefix[i].squares + deviation * deviation};
  }
  const double spread_floor = kNoSpreadTolerance * prefix[count].squares;

  int64_t block = static_cast<int64_t>(std::sqrt(static_cast<double>(count)));
  // The double square root may land one off for large counts.
  while (block * block > count) --block;
  while ((block + 1) * (block + 1) <= count) ++block;
  const int64_t blocks_per_resample =
      std::max<int64_t>(1, kMaxBootstrapDraws / resamples);
  block = std::min(count, std::max(block, (count + blocks_per_resample - 1) /
                                              blocks_per_resample));
  const uint64_t starts = count - block + 1;

  std::mt19937_64 random(seed);
  std::vector<double> kept;
  kept.reserve(resamples);
  for (int b = 0; b < resamples; ++b) {
    double sum = 0;
    double squares = 0;
    for (int64_t filled = 0; filled < count;) {
      const int64_t start = UniformIndex(random, starts);
      const int64_t end = start + std::min(block, count - filled);
      sum += prefix[end].sum - prefix[start].sum;
      squares += prefix[end].squares - prefix[start].squares;
      filled += end - start;
    }
    const double shift = sum / count;
    // Squared deviations from the resample's own mean.
    const double spread = squares - sum * shift;
    const double variance = spread > spread_floor ? spread / (count - 1) : 0;
    if (std::optional<double> value = statistic(mean + shift, variance)) {
      kept.push_back(*value);
    }
  }
  if (kept.empty()) return interval;
  std::sort(kept.begin(), kept.end());
  const int64_t last = kept.size() - 1;
  // Integer floor and ceiling of last * 0.025 and last * 0.975.
  const int64_t tail = (kPerMille - kConfidencePerMille) / 2;
  interval.set_low(kept[last * tail / kPerMille]);
  interval.set_high(
      kept[(last * (kPerMille - tail) + kPerMille - 1) / kPerMille]);
  interval.set_resamples(kept.size());
  interval.set_defined(true);
  return interval;
}

// Everything metrics.h defines over the closed trades' net P&L.
void SetTradeStatistics(const MetricsInput& input, Metrics& metrics) {
  metrics.set_trades(input.closed_trades.size());
  metrics.set_open_trades(input.open_trades.size());
  int64_t winners = 0;
  int64_t losers = 0;
  double gains = 0;
  double losses = 0;
  std::vector<double> net;
  net.reserve(input.closed_trades.size());
  for (const Trade& trade : input.closed_trades) {
    net.push_back(trade.net_pnl());
    if (trade.net_pnl() > 0) {
      ++winners;
      gains += trade.net_pnl();
    } else if (trade.net_pnl() < 0) {
      ++losers;
      losses += trade.net_pnl();
    }
  }
  const backtest::v1::MetricsSpec& spec = input.spec;
  if (spec.bootstrap_resamples() > 0) {
    *metrics.mutable_expectancy_ci() = BlockBootstrap(
        net, spec.bootstrap_resamples(), spec.bootstrap_seed(),
        [](double mean, double) -> std::optional<double> { return mean; });
  }
  if (net.empty()) return;

  const double count = net.size();
  metrics.set_win_rate(winners / count);
  if (winners > 0) metrics.set_average_win(gains / winners);
  if (losers > 0) {
    metrics.set_profit_factor(gains / std::abs(losses));
    metrics.set_average_loss(losses / losers);
  }
  std::sort(net.begin(), net.end());
  double total = 0;
  for (double value : net) total += value;
  metrics.set_expectancy(total / count);
  metrics.set_median_trade(MedianOfSorted(net));
  if (net.size() > kTopTradesRemoved) {
    const size_t kept = net.size() - kTopTradesRemoved;
    double kept_total = 0;
    for (size_t i = 0; i < kept; ++i) kept_total += net[i];
    metrics.set_expectancy_without_top5(kept_total / kept);
  }
}

void SetRMultiples(absl::Span<const Trade> closed_trades, Metrics& metrics) {
  std::vector<double> r;
  for (const Trade& trade : closed_trades) {
    if (trade.has_r_multiple() && std::isfinite(trade.r_multiple())) {
      r.push_back(trade.r_multiple());
    }
  }
  if (r.empty()) return;
  double total = 0;
  for (double value : r) total += value;
  metrics.set_average_r(total / r.size());

  const auto [min, max] = std::minmax_element(r.begin(), r.end());
  const double from = std::floor(*min);
  // The edges are whole numbers, so the count is exact.
  const int64_t buckets = std::max<int64_t>(
      1, static_cast<int64_t>((std::ceil(*max) - from) / kRBucketWidth));
  std::vector<int64_t> counts(buckets, 0);
  for (double value : r) {
    const int64_t bucket =
        static_cast<int64_t>(std::floor((value - from) / kRBucketWidth));
    ++counts[std::min(bucket, buckets - 1)];
  }
  for (int64_t i = 0; i < buckets; ++i) {
    backtest::v1::RBucket& bucket = *metrics.add_r_distribution();
    bucket.set_from(from + i * kRBucketWidth);
    bucket.set_to(from + (i + 1) * kRBucketWidth);
    bucket.set_trades(counts[i]);
  }
}

void SetCostStatistics(const MetricsInput& input, double mean_equity,
                       double years, Metrics& metrics) {
  double commission = 0;
  double slippage = 0;
  double traded = 0;
  for (const backtest::v1::Fill& fill : input.fills) {
    commission += fill.commission();
    slippage += fill.slippage();
    traded += std::abs(fill.quantity()) * fill.price();
  }
  metrics.set_total_commission(commission);
  metrics.set_total_slippage(slippage);
  // Borrow fees accrue on short positions, not on fills: every trade carries
  // its own, an open one's up to the last step.
  double borrow_fees = 0;
  for (const absl::Span<const Trade> trades :
       {input.closed_trades, input.open_trades}) {
    for (const Trade& trade : trades) borrow_fees += trade.borrow_fees();
  }
  metrics.set_total_borrow_fees(borrow_fees);
  if (years > 0 && mean_equity > 0) {
    metrics.set_turnover(traded / mean_equity / years);
  }
}

// Whether values whose squared deviations from their mean sum to
// `squared_deviations`, and whose squares sum to `squares`, vary at all
// (metrics.h: more than rounding).
bool HasVariance(double squared_deviations, double squares) {
  return squared_deviations > kNoVarianceTolerance * squares;
}

// The comparison with the benchmark's bars, as metrics.h defines it;
// `risk_free` is per period.
void SetBenchmarkComparison(const MetricsInput& input, double periods_per_year,
                            double risk_free, Metrics& metrics) {
  if (!input.spec.benchmark().empty()) {
    metrics.set_benchmark(input.spec.benchmark());
  }
  // Equal by contract; the shorter bounds the reads all the same.
  const size_t bars =
      std::min(input.benchmark_time.size(), input.benchmark_close.size());
  std::vector<double> strategy;
  std::vector<double> benchmark;
  // Both walk forward together: `next` is the first bar after the point.
  size_t next = 0;
  std::optional<double> first_close;
  std::optional<double> previous_close;
  double previous_equity = 0;
  for (const EquityPoint& point : input.equity) {
    while (next < bars && input.benchmark_time[next] <= point.time()) ++next;
    std::optional<double> close;
    if (next > 0) close = input.benchmark_close[next - 1];
    if (close.has_value() && previous_close.has_value() &&
        previous_equity != 0) {
      strategy.push_back(point.equity() / previous_equity - 1);
      benchmark.push_back(*close / *previous_close - 1);
    }
    if (!first_close.has_value()) first_close = close;
    previous_close = close;
    previous_equity = point.equity();
  }
  // Once a point has a close every later one does: the last point's is the
  // last aligned close.
  if (!first_close.has_value()) return;
  metrics.set_benchmark_return(*previous_close / *first_close - 1);

  const size_t count = strategy.size();
  if (count < 2) return;
  double strategy_sum = 0;
  double benchmark_sum = 0;
  for (size_t j = 0; j < count; ++j) {
    strategy_sum += strategy[j];
    benchmark_sum += benchmark[j];
  }
  const double strategy_mean = strategy_sum / count;
  const double benchmark_mean = benchmark_sum / count;
  // Sums of products of deviations: the divisor M - 1 of the covariance and
  // both variances cancels in beta and correlation.
  double covariance = 0;
  double strategy_variance = 0;
  double benchmark_variance = 0;
  double strategy_squares = 0;
  double benchmark_squares = 0;
  for (size_t j = 0; j < count; ++j) {
    const double s = strategy[j] - strategy_mean;
    const double b = benchmark[j] - benchmark_mean;
    covariance += s * b;
    strategy_variance += s * s;
    benchmark_variance += b * b;
    strategy_squares += strategy[j] * strategy[j];
    benchmark_squares += benchmark[j] * benchmark[j];
  }
  if (!HasVariance(benchmark_variance, benchmark_squares)) return;
  const double beta = covariance / benchmark_variance;
  metrics.set_beta(beta);
  metrics.set_alpha(
      ((strategy_mean - risk_free) - beta * (benchmark_mean - risk_free)) *
      periods_per_year);
  if (HasVariance(strategy_variance, strategy_squares)) {
    metrics.set_correlation(std::clamp(
        covariance / std::sqrt(strategy_variance * benchmark_variance), -1.0,
        1.0));
  }
}

// The fraction of `equity`'s points at whose time one of `held` was open,
// each [entry, exit) (metrics.h, attribution exposure); unset with no points.
std::optional<double> HeldFraction(
    absl::Span<const EquityPoint> equity,
    std::vector<std::pair<int64_t, int64_t>> held) {
  if (equity.empty()) return std::nullopt;
  std::sort(held.begin(), held.end());
  // Overlapping spans (several symbols at once) merge into one.
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto& [entry, exit] : held) {
    if (merged.empty() || entry > merged.back().second) {
      merged.emplace_back(entry, exit);
    } else {
      merged.back().second = std::max(merged.back().second, exit);
    }
  }
  // Both in time order: `next` is the first span that has not ended.
  size_t next = 0;
  int64_t held_points = 0;
  for (const EquityPoint& point : equity) {
    while (next < merged.size() && merged[next].second <= point.time()) ++next;
    if (next < merged.size() && merged[next].first <= point.time()) {
      ++held_points;
    }
  }
  return static_cast<double>(held_points) / equity.size();
}

// Strategy `index`'s part of the run, as metrics.h defines it.
StrategyAttribution Attribution(const MetricsInput& input, int index) {
  const backtest::v1::StrategySpec& spec = input.strategies[index];
  StrategyAttribution part;
  part.set_id(spec.id());
  part.set_name(spec.name());
  part.set_allocation(spec.allocation());
  const double initial = spec.allocation() * input.initial_cash;
  part.set_initial_equity(initial);

  double final_equity = initial;
  Drawdown drawdown;
  for (const EquityPoint& point : input.equity) {
    if (point.strategy_equity_size() <= index) continue;
    final_equity = point.strategy_equity(index);
    drawdown.Add(point.time(), final_equity);
  }
  part.set_final_equity(final_equity);
  part.set_net_pnl(final_equity - initial);
  if (initial > 0) part.set_total_return(part.net_pnl() / initial);
  part.set_max_drawdown(drawdown.max_drawdown());

  // An open trade is held from its entry to the end.
  constexpr int64_t kStillOpen = std::numeric_limits<int64_t>::max();
  std::vector<std::pair<int64_t, int64_t>> held;
  int64_t closed = 0;
  int64_t winners = 0;
  double borrow_fees = 0;
  for (const Trade& trade : input.closed_trades) {
    if (trade.strategy() != part.id()) continue;
    ++closed;
    if (trade.net_pnl() > 0) ++winners;
    borrow_fees += trade.borrow_fees();
    held.emplace_back(trade.entry_time(), trade.exit_time());
  }
  int64_t open = 0;
  for (const Trade& trade : input.open_trades) {
    if (trade.strategy() != part.id()) continue;
    ++open;
    borrow_fees += trade.borrow_fees();
    held.emplace_back(trade.entry_time(), kStillOpen);
  }
  part.set_trades(closed);
  part.set_open_trades(open);
  if (closed > 0) part.set_win_rate(static_cast<double>(winners) / closed);
  part.set_total_borrow_fees(borrow_fees);

  double commission = 0;
  for (const backtest::v1::Fill& fill : input.fills) {
    if (fill.strategy() == index) commission += fill.commission();
  }
  part.set_total_commission(commission);
  if (std::optional<double> exposure =
          HeldFraction(input.equity, std::move(held))) {
    part.set_exposure(*exposure);
  }
  return part;
}

}  // namespace

Metrics ComputeMetrics(const MetricsInput& input) {
  Metrics metrics;
  const double initial = input.initial_cash;
  const double final_equity =
      input.equity.empty() ? initial : input.equity.back().equity();
  metrics.set_initial_equity(initial);
  metrics.set_final_equity(final_equity);
  if (initial > 0) metrics.set_total_return(final_equity / initial - 1);

  const bool intraday = input.interval_seconds < kSecondsPerDay;
  DayCounter days;
  ReturnStatistics returns;
  Drawdown drawdown;
  PeriodReturns monthly(initial, metrics.mutable_monthly_returns());
  PeriodReturns yearly(initial, metrics.mutable_yearly_returns());
  int64_t invested = 0;
  double equity_sum = 0;
  // The calendar date changes only with the day: converted once per day.
  std::optional<int64_t> day;
  absl::CivilDay date;
  for (const EquityPoint& point : input.equity) {
    if (intraday) days.Add(point.time());
    returns.Add(point.equity());
    drawdown.Add(point.time(), point.equity());
    if (HoldsAPosition(point)) ++invested;
    equity_sum += point.equity();
    if (const int64_t today = CalendarDay(point.time()); today != day) {
      day = today;
      date = absl::CivilDay(1970, 1, 1) + today;
    }
    monthly.Add(
        date.year() * 12 + date.month(),
        [&] { return absl::StrFormat("%04d-%02d", date.year(), date.month()); },
        point.equity());
    yearly.Add(
        date.year(), [&] { return absl::StrFormat("%04d", date.year()); },
        point.equity());
  }
  monthly.Close();
  yearly.Close();

  const double periods_per_year =
      intraday ? days.PeriodsPerYear()
               : kTradingDaysPerYear * kSecondsPerDay / input.interval_seconds;
  metrics.set_periods_per_year(periods_per_year);

  const double years = input.equity.empty()
                           ? 0
                           : static_cast<double>(input.equity.back().time() -
                                                 input.equity.front().time()) /
                                 (kDaysPerYear * kSecondsPerDay);
  if (years > 0 && initial > 0 && final_equity > 0) {
    metrics.set_cagr(std::pow(final_equity / initial, 1 / years) - 1);
  }

  const double risk_free =
      std::pow(1 + input.spec.risk_free_rate(), 1 / periods_per_year) - 1;
  returns.Set(periods_per_year, risk_free, metrics);
  SetBenchmarkComparison(input, periods_per_year, risk_free, metrics);
  if (input.spec.bootstrap_resamples() > 0) {
    const double annualizer = std::sqrt(periods_per_year);
    *metrics.mutable_sharpe_ci() = BlockBootstrap(
        returns.returns(), input.spec.bootstrap_resamples(),
        input.spec.bootstrap_seed(),
        [&](double mean, double variance) -> std::optional<double> {
          if (variance <= 0) return std::nullopt;
          return (mean - risk_free) / std::sqrt(variance) * annualizer;
        });
  }

  drawdown.Set(input.equity.empty() ? 0 : input.equity.back().time(), metrics);
  if (metrics.has_cagr() && metrics.max_drawdown() > 0) {
    metrics.set_calmar(metrics.cagr() / metrics.max_drawdown());
  }
  SetTradeStatistics(input, metrics);
  SetRMultiples(input.closed_trades, metrics);
  SetCostStatistics(input,
                    input.equity.empty() ? 0 : equity_sum / input.equity.size(),
                    years, metrics);
  if (!input.equity.empty()) {
    metrics.set_exposure(static_cast<double>(invested) / input.equity.size());
  }
  for (int i = 0; i < static_cast<int>(input.strategies.size()); ++i) {
    *metrics.add_strategies() = Attribution(input, i);
  }
  return metrics;
}

}  // namespace seed::results
