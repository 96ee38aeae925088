// Portfolio caps (portfolio.limits): how many shares an order that adds to a
// position may have given the position, the other positions and equity, and
// what to do when an order breaks a cap (reduce, reject or fail).
// docs/portfolio.md has every cap with an example. Thread-safe: immutable.
#ifndef SEED_SERVICES_PORTFOLIO_LIMITS_H_
#define SEED_SERVICES_PORTFOLIO_LIMITS_H_

#include <optional>
#include <string>
#include <vector>

#include "backtest/v1/spec.pb.h"
#include "common/stage_error.h"

namespace seed::portfolio {

enum class BreachPolicy { kReduce, kReject, kFail };

// The portfolio around one order, with working orders counted as filled
// (protective exits aside), each symbol valued at its latest close.
struct Exposure {
  double equity = 0;
  double close = 0;            // the order's symbol
  double symbol_quantity = 0;  // signed, the order's symbol
  double gross_value = 0;      // sum over symbols of |quantity| * close
  double net_value = 0;        // sum over symbols of quantity * close
  int open_symbols = 0;        // symbols whose quantity is not 0
};

// What the caps allow of an order.
struct CapOutcome {
  double quantity = 0;  // shares allowed, <= those asked
  // The cap that allowed the fewest shares when it allowed fewer than asked
  // (MAX_POSITION_PERCENT, MAX_POSITIONS, GROSS_EXPOSURE, NET_EXPOSURE);
  // empty when none binds.
  std::string code;
  // The cap and its arithmetic, e.g. "max_position_percent 0.2: |position|
  // may be floor(0.2 * 80000.00 / 50) = 320 shares, 0 held or working".
  std::string explanation;
};

class Limits {
 public:
  // The caps of `spec`, or nullopt after appending every problem.
  static std::optional<Limits> Make(const backtest::v1::LimitsSpec& spec,
                                    std::vector<FieldProblem>* problems);

  // How many of `quantity` shares (> 0) in `direction` (+1 buy, -1 sell) the
  // caps allow. Only what takes the symbol further from flat is capped: an
  // order that reduces the position is always allowed in full.
  CapOutcome Allow(const Exposure& exposure, int direction,
                   double quantity) const;

  BreachPolicy policy() const { return policy_; }

 private:
  explicit Limits(const backtest::v1::LimitsSpec& spec, BreachPolicy policy)
      : spec_(spec), policy_(policy) {}

  backtest::v1::LimitsSpec spec_;
  BreachPolicy policy_;
};

}  // namespace seed::portfolio

#endif  // SEED_SERVICES_PORTFOLIO_LIMITS_H_
