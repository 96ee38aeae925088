#include "services/strategy/strategies/mtf_trend.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/strategy/indicators/ema.h"
#include "services/strategy/indicators/sma.h"
#include "services/strategy/param_schema.h"
#include "services/strategy/strategies/moving_average_cross.h"

namespace seed::strategy {
namespace {

class MtfTrendSignal final : public SymbolSignal {
 public:
  MtfTrendSignal(int64_t ema_length, int64_t trend_length)
      : ema_(ema_length), trend_(trend_length) {}

  void Add(const backtest::v1::Bar& bar) override {
    ema_.Add(bar.close());
    cross_.Add(bar.close(), ema_.value());
  }
  void AddClosed(const backtest::v1::ClosedBar& bar) override {
    trend_.Add(bar.bar().close());
    last_closed_ = bar.bar().close();
  }

  bool ShouldEnterLong() const override {
    return cross_.crossed_above() && TrendUp();
  }
  bool ShouldExitLong() const override {
    return cross_.crossed_below() || !TrendUp();
  }
  bool ShouldEnterShort() const override {
    return cross_.crossed_below() && TrendDown();
  }
  bool ShouldExitShort() const override {
    return cross_.crossed_above() || !TrendDown();
  }

 private:
  // Both undefined until trend_length timeframe bars have closed.
  bool TrendUp() const {
    return trend_.value().has_value() && *last_closed_ > *trend_.value();
  }
  bool TrendDown() const {
    return trend_.value().has_value() && *last_closed_ < *trend_.value();
  }

  Ema ema_;
  Crossover cross_;  // of the close over its EMA
  Sma trend_;
  std::optional<double> last_closed_;
};

}  // namespace

StrategyDefinition MtfTrend::Definition() {
  StrategyDefinition definition;
  backtest::v1::StrategyInfo& info = definition.info;
  info.set_name("mtf_trend");
  info.set_description(
      "On intraday bars: buys when the close crosses above its EMA while "
      "the last closed higher-timeframe bar (resampled by the data stage, "
      "seen only once its period has ended) closed above the SMA of that "
      "timeframe's closes; closes the position on a cross below or when that "
      "trend is no longer up. Direction short mirrors it; both trades either "
      "side.");
  *info.add_params() = StringParam(
      "timeframe", "1d", {"1h", "4h", "1d"},
      "the higher timeframe whose trend filters entries; it must be a whole "
      "multiple of the bars' interval and longer than it");
  *info.add_params() = IntParam("ema_length", 20, 2, 5000,
                                "period of the EMA of closes, in the "
                                "symbol's own bars");
  *info.add_params() = IntParam("trend_length", 5, 2, 1000,
                                "period of the SMA of the timeframe's "
                                "closes, in timeframe bars");
  *info.add_params() = SignalDirectionParam();
  definition.create = [] { return std::make_unique<MtfTrend>(); };
  return definition;
}

SignalRules MtfTrend::MakeRules(const ResolvedParams& params) const {
  const std::string timeframe = params.Text("timeframe");
  const int64_t ema_length = params.Int("ema_length");
  const int64_t trend_length = params.Int("trend_length");
  const std::string ema = absl::StrCat("ema ", ema_length);
  const std::string close = absl::StrCat(timeframe, " close");
  const std::string sma = absl::StrCat("its sma ", trend_length);
  SignalRules rules{
      [ema_length, trend_length] {
        return std::make_unique<MtfTrendSignal>(ema_length, trend_length);
      },
      absl::StrCat("close crossed above ", ema, ", ", close, " above ", sma),
      absl::StrCat("close crossed below ", ema, ", or ", close, " not above ",
                   sma),
      absl::StrCat("close crossed below ", ema, ", ", close, " below ", sma),
      absl::StrCat("close crossed above ", ema, ", or ", close, " not below ",
                   sma)};
  rules.timeframes = {timeframe};
  return rules;
}

}  // namespace seed::strategy
