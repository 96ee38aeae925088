// Slippage models: how much worse than the raw price (the open, or the stop a
// bar traded through) a market, stop or trailing-stop fill gets. Each model
// is a small class behind SlippageModel, chosen by the name in
// execution.slippage.model. The simulator clamps the result to the bar's
// [low, high]. Thread-safe: models are immutable.
#ifndef SEED_SERVICES_EXECUTION_SLIPPAGE_H_
#define SEED_SERVICES_EXECUTION_SLIPPAGE_H_

#include <memory>
#include <string>
#include <vector>

#include "backtest/v1/orders.pb.h"
#include "backtest/v1/spec.pb.h"
#include "common/stage_error.h"

namespace seed::execution {

// What a model may read about the fill's bar besides the raw price.
struct SlippageInputs {
  double high = 0;
  double low = 0;
  // The symbol's average true range as of the previous bar's close, when the
  // model asked for one (atr_length() > 0); AverageTrueRange::ValueFor says
  // what stands in for it before enough bars exist.
  double atr = 0;
};

class SlippageModel {
 public:
  virtual ~SlippageModel() = default;

  // The price an order on `side` fills at when the bar offers `price`;
  // slippage always works against the order (buys pay more, sells get less).
  virtual double Adjust(backtest::v1::Side side, double price,
                        const SlippageInputs& inputs) const = 0;

  // > 0: the model reads an ATR over this many bars, so the simulator must
  // see every step's bars.
  virtual int atr_length() const { return 0; }
};

// The model the spec names (an empty name means "none"), or nullptr after
// appending every problem with the spec to *problems. Models:
//   none
//   fixed_bps       price * (1 +- bps / 10000)
//   range_fraction  price +- fraction * (high - low)
//   atr_fraction    price +- fraction * ATR(atr_length, default 14)
// Example:
//   MakeSlippageModel(spec /* model: fixed_bps, bps: 5 */, &problems)
//       ->Adjust(backtest::v1::BUY, 100.0, {});  // 100.05
std::unique_ptr<SlippageModel> MakeSlippageModel(
    const backtest::v1::SlippageSpec& spec,
    std::vector<FieldProblem>* problems);

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_SLIPPAGE_H_
