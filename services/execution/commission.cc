#include "services/execution/commission.h"

#include "services/execution/model_registry.h"

namespace seed::execution {
namespace {

class NoCommission final : public CommissionModel {
 public:
  double Commission(double /*quantity*/, double /*price*/) const override {
    return 0.0;
  }
};

// A fraction of the traded value, like backtrader's percentage commission
// (commtype COMM_PERC): (quantity * price) * rate.
class PercentCommission final : public CommissionModel {
 public:
  explicit PercentCommission(double bps) : rate_(bps / kBasisPointsPerUnit) {}

  double Commission(double quantity, double price) const override {
    return (quantity * price) * rate_;
  }

 private:
  const double rate_;
};

const ModelFactory<CommissionModel> kCommissionModels[] = {
    {"none",
     [](double) -> std::unique_ptr<CommissionModel> {
       return std::make_unique<NoCommission>();
     }},
    {"percent",
     [](double bps) -> std::unique_ptr<CommissionModel> {
       return std::make_unique<PercentCommission>(bps);
     }},
};

}  // namespace

std::unique_ptr<CommissionModel> MakeCommissionModel(
    const backtest::v1::CommissionSpec& spec,
    std::vector<FieldProblem>* problems) {
  return MakeModel(kCommissionModels, "execution.commission", spec.model(),
                   spec.bps(), problems);
}

}  // namespace seed::execution
