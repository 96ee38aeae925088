#include "services/execution/slippage.h"

#include "services/execution/model_registry.h"

namespace seed::execution {
namespace {

class NoSlippage final : public SlippageModel {
 public:
  double Adjust(backtest::v1::Side /*side*/, double price) const override {
    return price;
  }
};

// A fixed fraction of the price against the order, like backtrader's
// slip_perc: buys pay price * (1 + f), sells get price * (1 - f).
class FixedBpsSlippage final : public SlippageModel {
 public:
  explicit FixedBpsSlippage(double bps)
      : fraction_(bps / kBasisPointsPerUnit) {}

  double Adjust(backtest::v1::Side side, double price) const override {
    return side == backtest::v1::BUY ? price * (1.0 + fraction_)
                                     : price * (1.0 - fraction_);
  }

 private:
  const double fraction_;
};

const ModelFactory<SlippageModel> kSlippageModels[] = {
    {"none",
     [](double) -> std::unique_ptr<SlippageModel> {
       return std::make_unique<NoSlippage>();
     }},
    {"fixed_bps",
     [](double bps) -> std::unique_ptr<SlippageModel> {
       return std::make_unique<FixedBpsSlippage>(bps);
     }},
};

}  // namespace

std::unique_ptr<SlippageModel> MakeSlippageModel(
    const backtest::v1::SlippageSpec& spec,
    std::vector<FieldProblem>* problems) {
  return MakeModel(kSlippageModels, "execution.slippage", spec.model(),
                   spec.bps(), problems);
}

}  // namespace seed::execution
