// Sizing rules: how many shares a BUY or SHORT intent without a quantity
// gets. Each rule is a small class behind SizingRule, chosen by
// portfolio.sizing.rule (docs/portfolio.md has each with an example).
// Thread-safe: rules are immutable once built.
#ifndef SEED_SERVICES_PORTFOLIO_SIZING_H_
#define SEED_SERVICES_PORTFOLIO_SIZING_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backtest/v1/spec.pb.h"
#include "common/stage_error.h"

namespace seed::portfolio {

// What a rule may look at when it sizes one entry.
struct SizingContext {
  // Buying power less the estimated cost of the entries already accepted in
  // the same SizeIntents call, so two entries in one step do not spend the
  // same money.
  double available_cash = 0;
  double equity = 0;  // as of the last close
  double close = 0;   // the symbol's latest close
  // |close - initial stop| when the entry has one (bracket.stop_loss or
  // initial_stop); nullopt otherwise.
  std::optional<double> stop_distance;
  // The symbol's annualised close-to-close volatility over the rule's
  // lookback; nullopt until enough bars were seen.
  std::optional<double> volatility;
};

class SizingRule {
 public:
  virtual ~SizingRule() = default;

  // Whole shares to trade; 0 or less means the intent cannot be sized.
  // Called only when the inputs the rule needs (NeedsStop, VolatilityLookback)
  // are present.
  virtual double Quantity(const SizingContext& context) const = 0;

  // The arithmetic behind Quantity with the numbers filled in, so a person
  // can check a rejection, e.g. "floor((1 - 0.01) * 3.2 / 3.875) = 0".
  virtual std::string Explain(const SizingContext& context) const = 0;

  // True when the rule sizes from the distance to the entry's initial stop.
  virtual bool NeedsStop() const { return false; }

  // The number of close-to-close returns whose volatility the rule needs;
  // 0: none.
  virtual int VolatilityLookback() const { return 0; }
};

// The rule the spec names (an empty name means "all_in"), or nullptr after
// appending every problem with the spec to *problems. Example:
//   MakeSizingRule(spec /* rule: all_in, cash_buffer: 0.01 */, &problems)
//       ->Quantity({.available_cash = 100000, .close = 3.875});  // 25548
std::unique_ptr<SizingRule> MakeSizingRule(const backtest::v1::SizingSpec& spec,
                                           std::vector<FieldProblem>* problems);

}  // namespace seed::portfolio

#endif  // SEED_SERVICES_PORTFOLIO_SIZING_H_
