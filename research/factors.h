// Factors: a number per symbol and bar computed from that symbol's own bars
// (high, low, close), one bar at a time, for factor studies (factor_ic.h).
// Any streaming computation behind the FactorState interface is a factor:
// the built-ins below wrap the strategy indicators (TTR conventions), so an
// indicator a strategy uses is evaluated the same way by adding one entry.
// Thread-safe: Factor is immutable and may be shared; each FactorState has
// one owner.
//
// Built-ins (docs/research.md; n = the length param; c_t the close, h_t the
// high, counted in the symbol's own bars; "needs" = the bars until the first
// value):
//   momentum_12_1      c_{t-21} / c_{t-252} - 1                 needs 253
//   reversal_1m        -(c_t / c_{t-21} - 1)                    needs 22
//   price_vs_sma200    c_t / SMA(200) - 1                       needs 200
//   high_52w_nearness  c_t / max(h_{t-251..t})                  needs 252
//   realized_vol_126   sample sd (divisor 125) of the last 126 daily log
//                      returns ln(c_t / c_{t-1}), times sqrt(252) needs 127
//   momentum           c_{t-skip} / c_{t-lookback} - 1
//                      (lookback 252, skip 21)                  needs
//                      lookback+1
//   roc                c_t / c_{t-n} - 1 (n 21)                 needs n + 1
//   sma_gap            c_t / SMA(n) - 1 (n 50)                  needs n
//   ema_gap            c_t / EMA(n) - 1 (n 20)                  needs n
//   zscore             (c_t - mean) / population sd of the last n closes
//                      (n 20; undefined without spread)         needs n
//   rsi                RSI(n), Wilder (n 14)                    needs n + 1
//   atr_pct            ATR(n) / c_t, Wilder (n 14)              needs n + 1
#ifndef SEED_RESEARCH_FACTORS_H_
#define SEED_RESEARCH_FACTORS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "research/panel.h"
#include "services/strategy/param_schema.h"

namespace seed::research {

// One symbol's running computation.
class FactorState {
 public:
  virtual ~FactorState() = default;
  // One bar of the symbol; prices finite, close > 0.
  virtual void Add(double high, double low, double close) = 0;
  // The factor after the last bar added; empty while undefined.
  virtual std::optional<double> value() const = 0;
};

class Factor {
 public:
  using StateFactory = std::function<std::unique_ptr<FactorState>()>;

  // A factor named `label` (e.g. "rsi(length=14)") whose first value comes
  // with the symbol's `bars_needed`-th bar, each symbol's state made by
  // `factory`.
  Factor(std::string label, int64_t bars_needed, StateFactory factory)
      : label_(std::move(label)),
        bars_needed_(bars_needed),
        factory_(std::move(factory)) {}

  const std::string& label() const { return label_; }
  int64_t bars_needed() const { return bars_needed_; }
  std::unique_ptr<FactorState> NewState() const { return factory_(); }

 private:
  std::string label_;
  int64_t bars_needed_;
  StateFactory factory_;
};

struct FactorInfo {
  std::string name;
  std::string description;
  strategy::ParamSchemas params;
};

// Every built-in factor, in the order of the header comment.
std::vector<FactorInfo> BuiltinFactors();

// The built-in factor `name` with `params` (its schema's defaults filled
// in; every factor param is an int), labelled name(param=value,...) when it
// has params. InvalidFields("coordinator", "INVALID_FACTOR", ...) on
// "<field>" for an unknown name (listing the known ones), on
// "<field>.params.<param>" for a bad param and on "<field>.params" for
// params that do not fit together (momentum's skip >= lookback).
// Example: MakeFactor("rsi", {{"length", 10}}, "factors[2]")
absl::StatusOr<Factor> MakeFactor(absl::string_view name,
                                  const strategy::ParamValues& params,
                                  absl::string_view field = "factor");

// The factor at every symbol and time of `panel`: each symbol's state is fed
// that symbol's bars in time order (times where it has none are skipped, not
// filled), and its value after the bar at t is the factor at t; NaN where
// the symbol has no bar or the factor is undefined.
PanelValues ComputeFactor(const Panel& panel, const Factor& factor);

}  // namespace seed::research

#endif  // SEED_RESEARCH_FACTORS_H_
