// Commission models: what a fill pays its broker. Each model is a small class
// behind CommissionModel, chosen by the name in execution.commission.model.
// Thread-safe: models are immutable once built (the month's traded shares a
// tiered model reads are the simulator's state, passed in per fill).
#ifndef SEED_SERVICES_EXECUTION_COMMISSION_H_
#define SEED_SERVICES_EXECUTION_COMMISSION_H_

#include <memory>
#include <string>
#include <vector>

#include "backtest/v1/spec.pb.h"
#include "common/stage_error.h"

namespace seed::execution {

class CommissionModel {
 public:
  virtual ~CommissionModel() = default;

  // Money charged for a fill of `quantity` shares at `price`, when
  // `shares_this_month` shares were traded earlier in the fill's UTC calendar
  // month.
  virtual double Commission(double quantity, double price,
                            double shares_this_month) const = 0;
};

// The model the spec names (an empty name means "none"), or nullptr after
// appending every problem with the spec to *problems. Models:
//   none
//   percent    bps of the traded value
//   per_share  per_share * quantity, at least `minimum`, at most
//              maximum_percent * value when maximum_percent > 0
//   tiered     as per_share, with the rate of the first tier whose
//              up_to_monthly_shares exceeds shares_this_month (0 on the last
//              tier: unbounded)
// Example:
//   MakeCommissionModel(spec /* model: percent, bps: 10 */, &problems)
//       ->Commission(100, 50.0, 0);  // 5.0
std::unique_ptr<CommissionModel> MakeCommissionModel(
    const backtest::v1::CommissionSpec& spec,
    std::vector<FieldProblem>* problems);

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_COMMISSION_H_
