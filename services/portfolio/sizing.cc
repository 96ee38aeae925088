#include "services/portfolio/sizing.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/limits.h"

namespace seed::portfolio {
namespace {

using backtest::v1::SizingSpec;

// What an empty portfolio.sizing.rule stands for.
constexpr absl::string_view kDefaultRule = "all_in";

// Spends all available cash but a buffer, like a backtrader sizer that keeps
// a fraction back for commission and the gap to the next open.
class AllIn final : public SizingRule {
 public:
  explicit AllIn(double cash_buffer) : cash_buffer_(cash_buffer) {}

  double Quantity(const SizingContext& context) const override {
    return std::floor((1.0 - cash_buffer_) * context.available_cash /
                      context.close);
  }

  std::string Explain(const SizingContext& context) const override {
    return absl::StrFormat("all_in: floor((1 - %.10g) * %.2f / %.10g) = %.10g",
                           cash_buffer_, context.available_cash, context.close,
                           Quantity(context));
  }

 private:
  const double cash_buffer_;
};

// Puts a fixed fraction of equity into each entry.
class PercentOfEquity final : public SizingRule {
 public:
  explicit PercentOfEquity(double percent) : percent_(percent) {}

  double Quantity(const SizingContext& context) const override {
    return std::floor(percent_ * context.equity / context.close);
  }

  std::string Explain(const SizingContext& context) const override {
    return absl::StrFormat(
        "percent_of_equity: floor(%.10g * %.2f / %.10g) = %.10g", percent_,
        context.equity, context.close, Quantity(context));
  }

 private:
  const double percent_;
};

// The same number of shares for every entry.
class FixedQuantity final : public SizingRule {
 public:
  explicit FixedQuantity(double quantity) : quantity_(quantity) {}

  double Quantity(const SizingContext&) const override { return quantity_; }

  std::string Explain(const SizingContext&) const override {
    return absl::StrFormat("fixed_quantity: %.10g", quantity_);
  }

 private:
  const double quantity_;
};

// The same amount of money for every entry, at the latest close.
class FixedNotional final : public SizingRule {
 public:
  explicit FixedNotional(double notional) : notional_(notional) {}

  double Quantity(const SizingContext& context) const override {
    return std::floor(notional_ / context.close);
  }

  std::string Explain(const SizingContext& context) const override {
    return absl::StrFormat("fixed_notional: floor(%.2f / %.10g) = %.10g",
                           notional_, context.close, Quantity(context));
  }

 private:
  const double notional_;
};

// Loses `risk_fraction` of equity if the initial stop is hit (before costs
// and gaps).
class RiskPerTrade final : public SizingRule {
 public:
  explicit RiskPerTrade(double risk_fraction) : risk_fraction_(risk_fraction) {}

  double Quantity(const SizingContext& context) const override {
    return std::floor(risk_fraction_ * context.equity / *context.stop_distance);
  }

  std::string Explain(const SizingContext& context) const override {
    return absl::StrFormat(
        "risk_per_trade: floor(%.10g * %.2f / |close - stop| %.10g) = %.10g",
        risk_fraction_, context.equity, *context.stop_distance,
        Quantity(context));
  }

  bool NeedsStop() const override { return true; }

 private:
  const double risk_fraction_;
};

// Sizes each entry so its annualised volatility is `target` of equity.
class VolatilityTarget final : public SizingRule {
 public:
  VolatilityTarget(double target, int lookback)
      : target_(target), lookback_(lookback) {}

  double Quantity(const SizingContext& context) const override {
    return std::floor(target_ * context.equity /
                      (*context.volatility * context.close));
  }

  std::string Explain(const SizingContext& context) const override {
    return absl::StrFormat(
        "volatility_target: floor(%.10g * %.2f / (volatility %.6g * %.10g)) = "
        "%.10g",
        target_, context.equity, *context.volatility, context.close,
        Quantity(context));
  }

  int VolatilityLookback() const override { return lookback_; }

 private:
  const double target_;
  const int lookback_;
};

// Appends a problem unless lower < value <= upper. A fraction written as a
// whole percentage (percent: 30) is asked about.
bool InRange(double value, double lower, double upper, const char* field,
             const char* what, std::vector<FieldProblem>* problems) {
  if (value > lower && value <= upper) return true;
  std::string problem = absl::StrCat("must be ", what, ", got ", value);
  if (upper == 1 && value > 1 && value <= 100) {
    absl::StrAppend(&problem, "; did you mean ", value, "% or ", value / 100,
                    "?");
  }
  problems->push_back(
      {absl::StrCat("portfolio.sizing.", field), std::move(problem)});
  return false;
}

struct RuleFactory {
  absl::string_view name;
  // Checks the spec fields the rule uses, appending problems; builds the
  // rule only when there are none.
  std::unique_ptr<SizingRule> (*make)(const SizingSpec& spec,
                                      std::vector<FieldProblem>* problems);
};

const RuleFactory kSizingRules[] = {
    {"all_in",
     [](const SizingSpec& spec,
        std::vector<FieldProblem>* problems) -> std::unique_ptr<SizingRule> {
       if (!(spec.cash_buffer() >= 0 && spec.cash_buffer() < 1)) {
         problems->push_back({"portfolio.sizing.cash_buffer",
                              absl::StrCat("must be a fraction in [0, 1), got ",
                                           spec.cash_buffer())});
         return nullptr;
       }
       return std::make_unique<AllIn>(spec.cash_buffer());
     }},
    {"percent_of_equity",
     [](const SizingSpec& spec,
        std::vector<FieldProblem>* problems) -> std::unique_ptr<SizingRule> {
       if (!InRange(spec.percent(), 0, 1, "percent",
                    "a fraction of equity in (0, 1]", problems)) {
         return nullptr;
       }
       return std::make_unique<PercentOfEquity>(spec.percent());
     }},
    {"fixed_quantity",
     [](const SizingSpec& spec,
        std::vector<FieldProblem>* problems) -> std::unique_ptr<SizingRule> {
       if (!InRange(spec.quantity(), 0, limits::kMaxQuantity, "quantity",
                    "a number of shares in (0, 1e12]", problems)) {
         return nullptr;
       }
       return std::make_unique<FixedQuantity>(spec.quantity());
     }},
    {"fixed_notional",
     [](const SizingSpec& spec,
        std::vector<FieldProblem>* problems) -> std::unique_ptr<SizingRule> {
       if (!InRange(spec.notional(), 0, limits::kMaxAmount, "notional",
                    "an amount in (0, 1e12]", problems)) {
         return nullptr;
       }
       return std::make_unique<FixedNotional>(spec.notional());
     }},
    {"risk_per_trade",
     [](const SizingSpec& spec,
        std::vector<FieldProblem>* problems) -> std::unique_ptr<SizingRule> {
       if (!InRange(spec.risk_fraction(), 0, 1, "risk_fraction",
                    "a fraction of equity in (0, 1]", problems)) {
         return nullptr;
       }
       return std::make_unique<RiskPerTrade>(spec.risk_fraction());
     }},
    {"volatility_target",
     [](const SizingSpec& spec,
        std::vector<FieldProblem>* problems) -> std::unique_ptr<SizingRule> {
       const bool target_ok =
           InRange(spec.target_volatility(), 0, HUGE_VAL, "target_volatility",
                   "an annual volatility > 0 (0.1 = 10%)", problems);
       const bool lookback_ok = spec.lookback() >= 2;
       if (!lookback_ok) {
         problems->push_back(
             {"portfolio.sizing.lookback",
              absl::StrCat("must be a number of returns >= 2, got ",
                           spec.lookback())});
       }
       if (!target_ok || !lookback_ok) return nullptr;
       return std::make_unique<VolatilityTarget>(spec.target_volatility(),
                                                 spec.lookback());
     }},
};

}  // namespace

std::unique_ptr<SizingRule> MakeSizingRule(
    const SizingSpec& spec, std::vector<FieldProblem>* problems) {
  const absl::string_view wanted =
      spec.rule().empty() ? kDefaultRule : absl::string_view(spec.rule());
  for (const RuleFactory& factory : kSizingRules) {
    if (factory.name == wanted) return factory.make(spec, problems);
  }
  problems->push_back(
      {"portfolio.sizing.rule",
       absl::StrCat("unknown rule \"", spec.rule(), "\"; allowed: ",
                    absl::StrJoin(kSizingRules, ", ",
                                  [](std::string* out, const RuleFactory& f) {
                                    absl::StrAppend(out, f.name);
                                  }))});
  return nullptr;
}

}  // namespace seed::portfolio
