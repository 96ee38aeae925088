// Slippage models: the price a market order really gets compared with the raw
// price of the bar. Each model is a small class behind SlippageModel, chosen
// by the name in execution.slippage.model. Thread-safe: models are immutable.
#ifndef SEED_SERVICES_EXECUTION_SLIPPAGE_H_
#define SEED_SERVICES_EXECUTION_SLIPPAGE_H_

#include <memory>
#include <string>
#include <vector>

#include "backtest/v1/orders.pb.h"
#include "backtest/v1/spec.pb.h"
#include "common/stage_error.h"

namespace seed::execution {

class SlippageModel {
 public:
  virtual ~SlippageModel() = default;

  // The price an order on `side` fills at when the bar offers `price`;
  // slippage always works against the order.
  virtual double Adjust(backtest::v1::Side side, double price) const = 0;
};

// The model the spec names (an empty name means "none"), or nullptr after
// appending every problem with the spec to *problems. Example:
//   MakeSlippageModel(spec /* model: fixed_bps, bps: 5 */, &problems)
//       ->Adjust(backtest::v1::BUY, 100.0);  // 100.05
std::unique_ptr<SlippageModel> MakeSlippageModel(
    const backtest::v1::SlippageSpec& spec,
    std::vector<FieldProblem>* problems);

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_SLIPPAGE_H_
