#include "research/monte_carlo.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/seeded_random.h"
#include "services/strategy/indicators/exact_sum.h"

namespace seed::research {
namespace {

constexpr int kMaxHistogramBins = 1000;
constexpr int kMaxFanPoints = 10'000;

// The running peak, drawdowns and ruin of one path.
class PathTracker {
 public:
  PathTracker(double initial, double ruin_level)
      : peak_(initial), ruin_level_(ruin_level) {}

  void Step(double equity) {
    if (equity >= peak_) {
      peak_ = equity;
      under_ = 0;
    } else {
      ++under_;
      stats_.longest_drawdown = std::max(stats_.longest_drawdown, under_);
      stats_.max_drawdown = std::max(stats_.max_drawdown, 1 - equity / peak_);
    }
    if (equity <= ruin_level_) stats_.ruined = true;
    stats_.final_equity = equity;
  }

  const PathStats& stats() const { return stats_; }

 private:
  double peak_;
  double ruin_level_;
  int64_t under_ = 0;
  PathStats stats_;
};

struct Walk {
  absl::Span<const double> steps;  // P&L, or growth 1 + r, per trade
  Basis basis = Basis::kPnl;
  double initial = 0;
  double ruin_level = 0;
  // fan_slot[k]: the fan column of E_k, or -1.
  const std::vector<int>* fan_slot = nullptr;

  // One path through `order`; E_k goes to fan[slot * stride] when fan is
  // not null. exact_final (pnl basis) replaces the running sum at the end.
  PathStats Run(absl::Span<const uint32_t> order,
                std::optional<double> exact_final, double* fan,
                int64_t stride) const {
    PathTracker tracker(initial, ruin_level);
    double equity = initial;
    const size_t n = order.size();
    if (fan != nullptr && (*fan_slot)[0] >= 0) {
      fan[(*fan_slot)[0] * stride] = equity;
    }
    for (size_t k = 1; k <= n; ++k) {
      const double step = steps[order[k - 1]];
      equity = basis == Basis::kPnl ? equity + step : equity * step;
      if (k == n && exact_final.has_value()) equity = *exact_final;
      tracker.Step(equity);
      if (fan != nullptr && (*fan_slot)[k] >= 0) {
        fan[(*fan_slot)[k] * stride] = equity;
      }
    }
    return tracker.stats();
  }
};

// Percentiles, mean, extremes and histogram of `values` (sorted here).
Distribution Describe(std::vector<double> values, const MonteCarloSpec& spec) {
  Distribution distribution;
  distribution.histogram = MakeHistogram(values, spec.histogram_bins);
  distribution.mean = *Mean(values);
  const auto [min, max] = std::minmax_element(values.begin(), values.end());
  distribution.min = *min;
  distribution.max = *max;
  distribution.percentiles =
      Percentiles(absl::MakeSpan(values), spec.percentiles);
  return distribution;
}

absl::Status Check(absl::Span<const TradeOutcome> trades, double initial,
                   const MonteCarloSpec& spec) {
  const auto invalid = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat(parts...));
  };
  if (trades.empty()) {
    return invalid(
        "no closed trades: a Monte Carlo of trades needs at least one");
  }
  if (trades.size() >= std::numeric_limits<uint32_t>::max()) {
    return invalid("too many trades: ", trades.size());
  }
  if (!(std::isfinite(initial) && initial > 0)) {
    return invalid("initial equity must be a finite number > 0, got ", initial);
  }
  if (spec.paths < 1 || spec.paths > kMaxMonteCarloPaths) {
    return invalid("paths must be in [1, ", kMaxMonteCarloPaths, "], got ",
                   spec.paths);
  }
  for (double p : spec.percentiles) {
    if (!(p >= 0 && p <= 100)) {
      return invalid("percentile ", p, " is not in [0, 100]");
    }
  }
  if (!(spec.ruin_fraction >= 0 && spec.ruin_fraction <= 1)) {
    return invalid("ruin_fraction must be in [0, 1], got ", spec.ruin_fraction);
  }
  if (spec.histogram_bins < 1 || spec.histogram_bins > kMaxHistogramBins) {
    return invalid("histogram_bins must be in [1, ", kMaxHistogramBins,
                   "], got ", spec.histogram_bins);
  }
  if (spec.fan_points < 2 || spec.fan_points > kMaxFanPoints) {
    return invalid("fan_points must be in [2, ", kMaxFanPoints, "], got ",
                   spec.fan_points);
  }
  for (size_t i = 0; i < trades.size(); ++i) {
    const TradeOutcome& trade = trades[i];
    if (!std::isfinite(trade.net_pnl)) {
      return invalid("trade ", i, " has a net P&L that is not finite");
    }
    if (spec.basis != Basis::kReturn) continue;
    if (!(std::isfinite(trade.equity_before) && trade.equity_before > 0)) {
      return invalid("trade ", i, " has equity_before ", trade.equity_before,
                     ": the return basis needs a finite equity > 0 before "
                     "each trade");
    }
    if (trade.net_pnl / trade.equity_before < -1) {
      return invalid("trade ", i,
                     " lost more than the equity before it "
                     "(return ",
                     trade.net_pnl / trade.equity_before,
                     "): the return basis cannot compound it; use the pnl "
                     "basis");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MonteCarloResult> RunMonteCarlo(
    absl::Span<const TradeOutcome> trades, double initial_equity,
    const MonteCarloSpec& spec) {
  if (absl::Status status = Check(trades, initial_equity, spec); !status.ok()) {
    return status;
  }
  const size_t n = trades.size();
  const int64_t paths = spec.paths;
  std::vector<double> steps(n);
  strategy::ExactSum total;
  total.Add(initial_equity);
  for (size_t i = 0; i < n; ++i) {
    steps[i] = spec.basis == Basis::kPnl
                   ? trades[i].net_pnl
                   : 1 + trades[i].net_pnl / trades[i].equity_before;
    total.Add(trades[i].net_pnl);
  }
  const bool pnl = spec.basis == Basis::kPnl;

  // The fan's trade indexes: all of 0..n, or fan_points evenly spaced.
  std::vector<int> fan_slot(n + 1, -1);
  std::vector<int64_t> fan_trades;
  const int64_t indexes = static_cast<int64_t>(n) + 1;
  const int64_t columns = std::min<int64_t>(indexes, spec.fan_points);
  for (int64_t j = 0; j < columns; ++j) {
    const int64_t k =
        columns == indexes ? j : j * static_cast<int64_t>(n) / (columns - 1);
    fan_slot[k] = static_cast<int>(j);
    fan_trades.push_back(k);
  }
  std::vector<double> fan(columns * paths);

  Walk walk;
  walk.steps = steps;
  walk.basis = spec.basis;
  walk.initial = initial_equity;
  walk.ruin_level = spec.ruin_fraction * initial_equity;
  walk.fan_slot = &fan_slot;

  MonteCarloResult result;
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  const std::optional<double> exact_total =
      pnl ? std::optional<double>(total.Value()) : std::nullopt;
  result.original = walk.Run(order, exact_total, nullptr, 0);

  std::mt19937_64 random(spec.seed);
  std::vector<double> finals(paths);
  std::vector<double> drawdowns(paths);
  std::vector<double> longest(paths);
  int64_t ruined = 0;
  int64_t below = 0;
  for (int64_t p = 0; p < paths; ++p) {
    std::optional<double> exact_final = exact_total;
    if (spec.resampling == Resampling::kReshuffle) {
      std::iota(order.begin(), order.end(), 0);
      for (size_t i = n - 1; i > 0; --i) {
        std::swap(order[i], order[UniformIndex(random, i + 1)]);
      }
    } else {
      strategy::ExactSum sum;
      sum.Add(initial_equity);
      for (size_t k = 0; k < n; ++k) {
        order[k] = static_cast<uint32_t>(UniformIndex(random, n));
        if (pnl) sum.Add(steps[order[k]]);
      }
      if (pnl) exact_final = sum.Value();
    }
    const PathStats stats = walk.Run(order, exact_final, &fan[p], paths);
    finals[p] = stats.final_equity;
    drawdowns[p] = stats.max_drawdown;
    longest[p] = static_cast<double>(stats.longest_drawdown);
    ruined += stats.ruined;
    below += stats.final_equity < initial_equity;
  }

  result.final_equity = Describe(std::move(finals), spec);
  result.max_drawdown = Describe(std::move(drawdowns), spec);
  result.longest_drawdown = Describe(std::move(longest), spec);
  result.probability_of_ruin = static_cast<double>(ruined) / paths;
  result.probability_below_initial = static_cast<double>(below) / paths;
  for (int64_t j = 0; j < columns; ++j) {
    FanPoint point;
    point.trade = fan_trades[j];
    point.equity =
        Percentiles(absl::MakeSpan(&fan[j * paths], static_cast<size_t>(paths)),
                    spec.percentiles);
    result.fan.push_back(std::move(point));
  }
  return result;
}

std::vector<TradeOutcome> ClosedTradeOutcomes(
    absl::Span<const backtest::v1::Trade> trades, double initial_equity) {
  std::vector<TradeOutcome> outcomes;
  outcomes.reserve(trades.size());
  strategy::ExactSum equity;
  if (std::isfinite(initial_equity)) equity.Add(initial_equity);
  for (const backtest::v1::Trade& trade : trades) {
    outcomes.push_back({trade.net_pnl(), equity.Value()});
    // A P&L that is not finite is refused by RunMonteCarlo; it must not
    // poison the exact sum of the others meanwhile.
    if (std::isfinite(trade.net_pnl())) equity.Add(trade.net_pnl());
  }
  return outcomes;
}

}  // namespace seed::research
