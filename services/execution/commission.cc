#include "services/execution/commission.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "common/limits.h"
#include "services/execution/model_registry.h"

namespace seed::execution {
namespace {

using backtest::v1::CommissionSpec;
using backtest::v1::CommissionTier;

constexpr double kUnbounded = std::numeric_limits<double>::infinity();
// 10000 basis points are the whole traded value.
constexpr double kMaxBps = 10000;

class NoCommission final : public CommissionModel {
 public:
  double Commission(double /*quantity*/, double /*price*/,
                    double /*shares_this_month*/) const override {
    return 0.0;
  }
};

// A fraction of the traded value, like backtrader's percentage commission
// (commtype COMM_PERC): (quantity * price) * rate.
class PercentCommission final : public CommissionModel {
 public:
  explicit PercentCommission(double bps) : rate_(bps / kBasisPointsPerUnit) {}

  double Commission(double quantity, double price,
                    double /*shares_this_month*/) const override {
    return (quantity * price) * rate_;
  }

 private:
  const double rate_;
};

// Per-share rates by the month's traded shares (one tier for per_share), with
// a minimum per fill and a cap as a fraction of the traded value, as
// Interactive Brokers' fixed and tiered US stock pricing: the minimum is
// applied first, then the cap, so the cap wins on tiny fills.
class PerShareCommission final : public CommissionModel {
 public:
  struct Tier {
    double up_to_monthly_shares;  // kUnbounded on the last tier
    double per_share;
  };

  PerShareCommission(std::vector<Tier> tiers, double minimum,
                     double maximum_percent)
      : tiers_(std::move(tiers)),
        minimum_(minimum),
        maximum_percent_(maximum_percent) {}

  double Commission(double quantity, double price,
                    double shares_this_month) const override {
    double rate = tiers_.back().per_share;
    for (const Tier& tier : tiers_) {
      if (shares_this_month < tier.up_to_monthly_shares) {
        rate = tier.per_share;
        break;
      }
    }
    double commission = std::max(rate * quantity, minimum_);
    if (maximum_percent_ > 0) {
      commission = std::min(commission, maximum_percent_ * quantity * price);
    }
    return commission;
  }

 private:
  const std::vector<Tier> tiers_;
  const double minimum_;
  const double maximum_percent_;
};

void CheckMinimumAndCap(const CommissionSpec& spec, absl::string_view field,
                        std::vector<FieldProblem>* problems) {
  CheckRange(spec.minimum(), 0, limits::kMaxAmount,
             absl::StrCat(field, ".minimum"), "money per fill in [0, 1e12]",
             problems);
  CheckRange(spec.maximum_percent(), 0, 1,
             absl::StrCat(field, ".maximum_percent"),
             "a fraction of the traded value in [0, 1] (0: no cap)", problems);
}

std::unique_ptr<CommissionModel> MakeNone(const CommissionSpec&,
                                          absl::string_view,
                                          std::vector<FieldProblem>*) {
  return std::make_unique<NoCommission>();
}

std::unique_ptr<CommissionModel> MakePercent(
    const CommissionSpec& spec, absl::string_view field,
    std::vector<FieldProblem>* problems) {
  CheckRange(spec.bps(), 0, kMaxBps, absl::StrCat(field, ".bps"),
             "a number of basis points in [0, 10000]", problems);
  return std::make_unique<PercentCommission>(spec.bps());
}

std::unique_ptr<CommissionModel> MakePerShare(
    const CommissionSpec& spec, absl::string_view field,
    std::vector<FieldProblem>* problems) {
  CheckRange(spec.per_share(), 0, limits::kMaxAmount,
             absl::StrCat(field, ".per_share"), "money per share in [0, 1e12]",
             problems);
  CheckMinimumAndCap(spec, field, problems);
  return std::make_unique<PerShareCommission>(
      std::vector<PerShareCommission::Tier>{{kUnbounded, spec.per_share()}},
      spec.minimum(), spec.maximum_percent());
}

std::unique_ptr<CommissionModel> MakeTiered(
    const CommissionSpec& spec, absl::string_view field,
    std::vector<FieldProblem>* problems) {
  if (spec.tiers().empty()) {
    problems->push_back({absl::StrCat(field, ".tiers"),
                         "must list at least one tier for model tiered"});
  }
  std::vector<PerShareCommission::Tier> tiers;
  double previous_bound = 0;
  for (int i = 0; i < spec.tiers_size(); ++i) {
    const CommissionTier& tier = spec.tiers(i);
    const std::string tier_field = absl::StrCat(field, ".tiers[", i, "]");
    CheckRange(tier.per_share(), 0, limits::kMaxAmount,
               absl::StrCat(tier_field, ".per_share"),
               "money per share in [0, 1e12]", problems);
    const bool last = i + 1 == spec.tiers_size();
    double bound = tier.up_to_monthly_shares();
    if (last && bound == 0) {
      bound = kUnbounded;
    } else if (!(std::isfinite(bound) && bound > previous_bound)) {
      problems->push_back(
          {absl::StrCat(tier_field, ".up_to_monthly_shares"),
           absl::StrCat("must be above the previous tier's bound (",
                        previous_bound, ")",
                        last ? ", or 0 on the last tier for no bound" : "",
                        ", got ", bound)});
    }
    previous_bound = bound;
    tiers.push_back({bound, tier.per_share()});
  }
  CheckMinimumAndCap(spec, field, problems);
  if (tiers.empty()) return nullptr;
  return std::make_unique<PerShareCommission>(std::move(tiers), spec.minimum(),
                                              spec.maximum_percent());
}

const ModelFactory<CommissionModel, CommissionSpec> kCommissionModels[] = {
    {"none", MakeNone},
    {"percent", MakePercent},
    {"per_share", MakePerShare},
    {"tiered", MakeTiered},
};

}  // namespace

std::unique_ptr<CommissionModel> MakeCommissionModel(
    const CommissionSpec& spec, std::vector<FieldProblem>* problems) {
  return MakeModel(kCommissionModels, "execution.commission", spec, problems);
}

}  // namespace seed::execution
