#include "research/factors.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/stage_error.h"
#include "services/strategy/indicators/atr.h"
#include "services/strategy/indicators/donchian_channel.h"
#include "services/strategy/indicators/ema.h"
#include "services/strategy/indicators/rate_of_change.h"
#include "services/strategy/indicators/rolling_std_dev.h"
#include "services/strategy/indicators/rsi.h"
#include "services/strategy/indicators/sma.h"
#include "services/strategy/indicators/window.h"
#include "services/strategy/indicators/z_score.h"

namespace seed::research {
namespace {

using strategy::ResolvedParams;

// Trading days in a year, the annualization of daily volatility (as
// services/results/metrics.h's kTradingDaysPerYear).
constexpr double kTradingDaysPerYear = 252;
// The fixed windows of the named built-ins: a year of daily bars, a month.
constexpr int64_t kYearBars = 252;
constexpr int64_t kMonthBars = 21;
constexpr int64_t kSmaBars = 200;
constexpr int64_t kVolatilityReturns = 126;
// Longest window a length param may ask for: 40 years of daily bars.
constexpr int64_t kMaxLength = 10'000;

// A factor from one indicator: `feed` hands it a bar, `read` makes the value
// from it and the last close.
template <typename Indicator>
class IndicatorState : public FactorState {
 public:
  using Feed = void (*)(Indicator&, double high, double low, double close);
  using Read = std::optional<double> (*)(const Indicator&, double close);

  IndicatorState(Indicator indicator, Feed feed, Read read)
      : indicator_(std::move(indicator)), feed_(feed), read_(read) {}

  void Add(double high, double low, double close) override {
    feed_(indicator_, high, low, close);
    close_ = close;
  }

  std::optional<double> value() const override {
    return read_(indicator_, close_);
  }

 private:
  Indicator indicator_;
  Feed feed_;
  Read read_;
  double close_ = 0;
};

template <typename Indicator>
std::unique_ptr<FactorState> State(
    Indicator indicator, typename IndicatorState<Indicator>::Feed feed,
    typename IndicatorState<Indicator>::Read read) {
  return std::make_unique<IndicatorState<Indicator>>(std::move(indicator), feed,
                                                     read);
}

template <typename Indicator>
void FeedClose(Indicator& indicator, double, double, double close) {
  indicator.Add(close);
}

template <typename Indicator>
std::optional<double> Value(const Indicator& indicator, double) {
  return indicator.value();
}

// close / average - 1 of an Sma or Ema.
template <typename Average>
std::optional<double> Gap(const Average& average, double close) {
  if (!average.value().has_value() || *average.value() == 0) {
    return std::nullopt;
  }
  return close / *average.value() - 1;
}

// c_{t-skip} / c_{t-lookback} - 1: the rate of change over lookback - skip
// bars, as it was `skip` bars ago.
class Momentum : public FactorState {
 public:
  Momentum(int64_t lookback, int64_t skip)
      : change_(lookback - skip),
        delay_(std::max<int64_t>(skip, 1)),
        skip_(skip) {}

  void Add(double, double, double close) override {
    change_.Add(close);
    if (skip_ == 0) {
      value_ = change_.value();
      return;
    }
    value_ = delay_.Push(change_.value()).value_or(std::nullopt);
  }

  std::optional<double> value() const override { return value_; }

 private:
  strategy::RateOfChange change_;
  strategy::Window<std::optional<double>> delay_;
  int64_t skip_;
  std::optional<double> value_;
};

// Sample standard deviation of the last `count` log returns, annualized.
class RealizedVolatility : public FactorState {
 public:
  explicit RealizedVolatility(int64_t count)
      : deviation_(count),
        // RollingStdDev divides by n; the sample estimate by n - 1.
        scale_(std::sqrt(kTradingDaysPerYear * count / (count - 1.0))) {}

  void Add(double, double, double close) override {
    if (previous_.has_value()) deviation_.Add(std::log(close / *previous_));
    previous_ = close;
  }

  std::optional<double> value() const override {
    if (!deviation_.value().has_value()) return std::nullopt;
    return *deviation_.value() * scale_;
  }

 private:
  strategy::RollingStdDev deviation_;
  double scale_;
  std::optional<double> previous_;
};

// roc, or its negation (reversal_1m).
std::unique_ptr<FactorState> RocState(int64_t length, bool negate) {
  if (!negate) {
    return State(strategy::RateOfChange(length),
                 FeedClose<strategy::RateOfChange>,
                 Value<strategy::RateOfChange>);
  }
  return State(
      strategy::RateOfChange(length), FeedClose<strategy::RateOfChange>,
      [](const strategy::RateOfChange& roc, double) {
        return roc.value().has_value() ? std::optional<double>(-*roc.value())
                                       : std::nullopt;
      });
}

std::unique_ptr<FactorState> SmaGap(int64_t length) {
  return State(strategy::Sma(length), FeedClose<strategy::Sma>,
               Gap<strategy::Sma>);
}

// A built-in: its schema, the bars it needs and how each symbol's state is
// made, both from the resolved params.
struct Kind {
  const char* name;
  const char* description;
  strategy::ParamSchemas params;
  std::function<int64_t(const ResolvedParams&)> bars_needed;
  std::function<std::unique_ptr<FactorState>(const ResolvedParams&)> make;
  // What the schema cannot say (one param against another); may be empty.
  std::function<std::optional<std::string>(const ResolvedParams&)> check;
};

strategy::ParamSchemas Length(int64_t default_value, int64_t min) {
  strategy::ParamSchemas params;
  *params.Add() = strategy::IntParam("length", default_value, min, kMaxLength,
                                     "bars in the window");
  return params;
}

strategy::ParamSchemas MomentumParams() {
  strategy::ParamSchemas params;
  *params.Add() = strategy::IntParam("lookback", kYearBars, 1, kMaxLength,
                                     "bars back to the base close");
  *params.Add() = strategy::IntParam("skip", kMonthBars, 0, kMaxLength,
                                     "most recent bars left out");
  return params;
}

int64_t LengthOf(const ResolvedParams& params) { return params.Int("length"); }

const std::vector<Kind>& Kinds() {
  static const auto* kinds = new std::vector<Kind>{
      {"momentum_12_1",
       "close 21 bars ago / close 252 bars ago - 1",
       {},
       [](const ResolvedParams&) { return kYearBars + 1; },
       [](const ResolvedParams&) -> std::unique_ptr<FactorState> {
         return std::make_unique<Momentum>(kYearBars, kMonthBars);
       }},
      {"reversal_1m",
       "-(close / close 21 bars ago - 1)",
       {},
       [](const ResolvedParams&) { return kMonthBars + 1; },
       [](const ResolvedParams&) {
         return RocState(kMonthBars, /*negate=*/true);
       }},
      {"price_vs_sma200",
       "close / SMA(200) - 1",
       {},
       [](const ResolvedParams&) { return kSmaBars; },
       [](const ResolvedParams&) { return SmaGap(kSmaBars); }},
      {"high_52w_nearness",
       "close / highest high of the last 252 bars (this one included)",
       {},
       [](const ResolvedParams&) { return kYearBars; },
       [](const ResolvedParams&) {
         return State(
             strategy::DonchianChannel(kYearBars),
             [](strategy::DonchianChannel& channel, double high, double low,
                double) { channel.Add(high, low); },
             [](const strategy::DonchianChannel& channel, double close) {
               if (!channel.value().has_value() || channel.value()->upper <= 0)
                 return std::optional<double>();
               return std::optional<double>(close / channel.value()->upper);
             });
       }},
      {"realized_vol_126",
       "sample standard deviation of the last 126 daily log returns, "
       "annualized by sqrt(252)",
       {},
       [](const ResolvedParams&) { return kVolatilityReturns + 1; },
       [](const ResolvedParams&) -> std::unique_ptr<FactorState> {
         return std::make_unique<RealizedVolatility>(kVolatilityReturns);
       }},
      {"momentum", "close `skip` bars ago / close `lookback` bars ago - 1",
       MomentumParams(),
       [](const ResolvedParams& p) { return p.Int("lookback") + 1; },
       [](const ResolvedParams& p) -> std::unique_ptr<FactorState> {
         return std::make_unique<Momentum>(p.Int("lookback"), p.Int("skip"));
       },
       [](const ResolvedParams& p) -> std::optional<std::string> {
         if (p.Int("skip") < p.Int("lookback")) return std::nullopt;
         return absl::StrCat("skip must be less than lookback (",
                             p.Int("lookback"), "), got ", p.Int("skip"));
       }},
      {"roc", "close / close `length` bars ago - 1", Length(kMonthBars, 1),
       [](const ResolvedParams& p) { return LengthOf(p) + 1; },
       [](const ResolvedParams& p) {
         return RocState(LengthOf(p), /*negate=*/false);
       }},
      {"sma_gap", "close / SMA(length) - 1", Length(50, 1), LengthOf,
       [](const ResolvedParams& p) { return SmaGap(LengthOf(p)); }},
      {"ema_gap", "close / EMA(length) - 1", Length(20, 1), LengthOf,
       [](const ResolvedParams& p) {
         return State(strategy::Ema(LengthOf(p)), FeedClose<strategy::Ema>,
                      Gap<strategy::Ema>);
       }},
      {"zscore",
       "(close - mean) / population standard deviation of the last `length` "
       "closes",
       Length(20, 2), LengthOf,
       [](const ResolvedParams& p) {
         return State(strategy::ZScore(LengthOf(p)),
                      FeedClose<strategy::ZScore>, Value<strategy::ZScore>);
       }},
      {"rsi", "RSI(length), Wilder's smoothing", Length(14, 1),
       [](const ResolvedParams& p) { return LengthOf(p) + 1; },
       [](const ResolvedParams& p) {
         return State(strategy::Rsi(LengthOf(p)), FeedClose<strategy::Rsi>,
                      Value<strategy::Rsi>);
       }},
      {"atr_pct", "ATR(length) / close, Wilder's smoothing", Length(14, 1),
       [](const ResolvedParams& p) { return LengthOf(p) + 1; },
       [](const ResolvedParams& p) {
         return State(
             strategy::Atr(LengthOf(p)),
             [](strategy::Atr& atr, double high, double low, double close) {
               atr.Add(high, low, close);
             },
             [](const strategy::Atr& atr, double close) {
               if (!atr.value().has_value()) return std::optional<double>();
               return std::optional<double>(*atr.value() / close);
             });
       }},
  };
  return *kinds;
}

constexpr absl::string_view kStage = "coordinator";
constexpr absl::string_view kInvalidFactor = "INVALID_FACTOR";

}  // namespace

std::vector<FactorInfo> BuiltinFactors() {
  std::vector<FactorInfo> infos;
  for (const Kind& kind : Kinds()) {
    infos.push_back({kind.name, kind.description, kind.params});
  }
  return infos;
}

absl::StatusOr<Factor> MakeFactor(absl::string_view name,
                                  const strategy::ParamValues& params,
                                  absl::string_view field) {
  const Kind* kind = nullptr;
  std::vector<std::string> known;
  for (const Kind& candidate : Kinds()) {
    if (candidate.name == name) kind = &candidate;
    known.push_back(candidate.name);
  }
  if (kind == nullptr) {
    return InvalidFields(
        kStage, kInvalidFactor,
        {{std::string(field),
          absl::StrCat("unknown factor \"", name,
                       "\"; built-in factors: ", absl::StrJoin(known, ", "))}});
  }
  absl::StatusOr<ResolvedParams> resolved =
      strategy::ResolveParams(kind->params, params);
  std::vector<FieldProblem> problems;
  if (!resolved.ok()) {
    // ResolveParams names strategy params; these are the factor's.
    constexpr absl::string_view kStrategyParams = "strategy.params.";
    for (FieldProblem& problem : FieldProblems(resolved.status())) {
      if (absl::StartsWith(problem.field, kStrategyParams)) {
        problem.field = absl::StrCat(
            field, ".params.", problem.field.substr(kStrategyParams.size()));
      }
      problems.push_back(std::move(problem));
    }
  } else if (kind->check) {
    if (std::optional<std::string> problem = kind->check(*resolved)) {
      problems.push_back({absl::StrCat(field, ".params"), *problem});
    }
  }
  if (!problems.empty()) {
    return InvalidFields(kStage, kInvalidFactor, problems);
  }
  std::vector<std::string> parts;
  for (const backtest::v1::ParamSchema& schema : kind->params) {
    parts.push_back(
        absl::StrCat(schema.name(), "=", resolved->Int(schema.name())));
  }
  std::string label = kind->name;
  if (!parts.empty()) {
    absl::StrAppend(&label, "(", absl::StrJoin(parts, ","), ")");
  }
  const ResolvedParams values = *std::move(resolved);
  return Factor(std::move(label), kind->bars_needed(values),
                [kind, values] { return kind->make(values); });
}

PanelValues ComputeFactor(const Panel& panel, const Factor& factor) {
  constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();
  PanelValues values;
  for (size_t s = 0; s < panel.symbols.size(); ++s) {
    std::unique_ptr<FactorState> state = factor.NewState();
    std::vector<double>& row =
        values.emplace_back(panel.times.size(), kUndefined);
    for (size_t t = 0; t < panel.times.size(); ++t) {
      const double close = panel.close[s][t];
      if (std::isnan(close)) continue;
      state->Add(panel.high[s][t], panel.low[s][t], close);
      row[t] = state->value().value_or(kUndefined);
    }
  }
  return values;
}

}  // namespace seed::research
