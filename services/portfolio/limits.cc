#include "services/portfolio/limits.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace seed::portfolio {
namespace {

// Shares the order may have so that |symbol_quantity + direction * shares|
// stays within `max_abs` (shares, may be fractional: floored by the caller).
double WithinAbs(double symbol_quantity, int direction, double max_abs) {
  return max_abs - direction * symbol_quantity;
}

}  // namespace

std::optional<Limits> Limits::Make(const backtest::v1::LimitsSpec& spec,
                                   std::vector<FieldProblem>* problems) {
  const size_t before = problems->size();
  const struct {
    const char* field;
    double value;
  } fractions[] = {{"max_position_percent", spec.max_position_percent()},
                   {"max_gross_exposure", spec.max_gross_exposure()},
                   {"max_net_exposure", spec.max_net_exposure()}};
  for (const auto& fraction : fractions) {
    if (!(std::isfinite(fraction.value) && fraction.value >= 0)) {
      problems->push_back(
          {absl::StrCat("portfolio.limits.", fraction.field),
           absl::StrCat("must be a fraction of equity >= 0 (0: no cap), got ",
                        fraction.value)});
    }
  }
  if (spec.max_positions() < 0) {
    problems->push_back(
        {"portfolio.limits.max_positions",
         absl::StrCat("must be a count >= 0 (0: no cap), got ",
                      spec.max_positions())});
  }
  BreachPolicy policy = BreachPolicy::kReduce;
  if (spec.on_breach() == "reject") {
    policy = BreachPolicy::kReject;
  } else if (spec.on_breach() == "fail") {
    policy = BreachPolicy::kFail;
  } else if (!spec.on_breach().empty() && spec.on_breach() != "reduce") {
    problems->push_back({"portfolio.limits.on_breach",
                         absl::StrCat("unknown policy \"", spec.on_breach(),
                                      "\"; allowed: reduce, reject, fail")});
  }
  if (problems->size() != before) return std::nullopt;
  return Limits(spec, policy);
}

CapOutcome Limits::Allow(const Exposure& exposure, int direction,
                         double quantity) const {
  CapOutcome outcome{.quantity = quantity};
  // Reducing the position (up to flat) is never capped.
  if (direction * exposure.symbol_quantity < 0 &&
      quantity <= std::fabs(exposure.symbol_quantity)) {
    return outcome;
  }
  const auto consider = [&](double allowed, const char* code,
                            std::string explanation) {
    allowed = std::max(0.0, std::floor(allowed));
    if (allowed < outcome.quantity) {
      outcome.quantity = allowed;
      outcome.code = code;
      outcome.explanation = std::move(explanation);
    }
  };
  const double equity = exposure.equity;
  const double close = exposure.close;
  const std::string held = absl::StrFormat(
      "%.10g held or working", exposure.symbol_quantity);
  if (spec_.max_position_percent() > 0) {
    const double max_abs =
        std::floor(spec_.max_position_percent() * equity / close);
    consider(WithinAbs(exposure.symbol_quantity, direction, max_abs),
             "MAX_POSITION_PERCENT",
             absl::StrFormat("max_position_percent %.10g: |position| may be "
                             "floor(%.10g * %.2f / %.10g) = %.10g shares, %s",
                             spec_.max_position_percent(),
                             spec_.max_position_percent(), equity, close,
                             max_abs, held));
  }
  if (spec_.max_positions() > 0 && exposure.symbol_quantity == 0 &&
      exposure.open_symbols >= spec_.max_positions()) {
    consider(0, "MAX_POSITIONS",
             absl::StrFormat("max_positions %d: %d symbols already held or "
                             "being entered",
                             spec_.max_positions(), exposure.open_symbols));
  }
  if (spec_.max_gross_exposure() > 0) {
    // |q + d| * close may grow by what is left of the gross cap.
    const double room = spec_.max_gross_exposure() * equity -
                        exposure.gross_value;
    const double max_abs = std::fabs(exposure.symbol_quantity) + room / close;
    consider(WithinAbs(exposure.symbol_quantity, direction, max_abs),
             "GROSS_EXPOSURE",
             absl::StrFormat("max_gross_exposure %.10g: gross value %.2f of "
                             "at most %.10g * %.2f = %.2f leaves %.2f, at "
                             "%.10g a share",
                             spec_.max_gross_exposure(), exposure.gross_value,
                             spec_.max_gross_exposure(), equity,
                             spec_.max_gross_exposure() * equity, room,
                             close));
  }
  if (spec_.max_net_exposure() > 0) {
    const double limit = spec_.max_net_exposure() * equity;
    const double room = limit - direction * exposure.net_value;
    consider(room / close, "NET_EXPOSURE",
             absl::StrFormat("max_net_exposure %.10g: net value %.2f within "
                             "+-%.10g * %.2f = %.2f leaves %.2f %s, at %.10g "
                             "a share",
                             spec_.max_net_exposure(), exposure.net_value,
                             spec_.max_net_exposure(), equity, limit, room,
                             direction > 0 ? "long" : "short", close));
  }
  return outcome;
}

}  // namespace seed::portfolio
