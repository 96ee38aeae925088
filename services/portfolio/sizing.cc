#include "services/portfolio/sizing.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace seed::portfolio {
namespace {

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

struct RuleFactory {
  absl::string_view name;
  // Checks the spec fields the rule uses, appending problems; builds the
  // rule only when there are none.
  std::unique_ptr<SizingRule> (*make)(const backtest::v1::SizingSpec& spec,
                                      std::vector<FieldProblem>* problems);
};

const RuleFactory kSizingRules[] = {
    {"all_in",
     [](const backtest::v1::SizingSpec& spec,
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
     [](const backtest::v1::SizingSpec& spec,
        std::vector<FieldProblem>* problems) -> std::unique_ptr<SizingRule> {
       if (!(spec.percent() > 0 && spec.percent() <= 1)) {
         problems->push_back(
             {"portfolio.sizing.percent",
              absl::StrCat("must be a fraction of equity in (0, 1], got ",
                           spec.percent())});
         return nullptr;
       }
       return std::make_unique<PercentOfEquity>(spec.percent());
     }},
};

}  // namespace

std::unique_ptr<SizingRule> MakeSizingRule(
    const backtest::v1::SizingSpec& spec, std::vector<FieldProblem>* problems) {
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
