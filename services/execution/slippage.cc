#include "services/execution/slippage.h"

#include <limits>

#include "services/execution/model_registry.h"

namespace seed::execution {
namespace {

using backtest::v1::Side;
using backtest::v1::SlippageSpec;

constexpr double kUnbounded = std::numeric_limits<double>::infinity();
// 10000 basis points are the whole price.
constexpr double kMaxBps = 10000;

// The ATR length when the spec leaves it 0: Wilder's own choice, also TTR's
// and TA-Lib's default.
constexpr int kDefaultAtrLength = 14;

// Moves `price` by `amount` against an order on `side`.
double Against(Side side, double price, double amount) {
  return side == backtest::v1::BUY ? price + amount : price - amount;
}

class NoSlippage final : public SlippageModel {
 public:
  double Adjust(Side /*side*/, double price,
                const SlippageInputs& /*inputs*/) const override {
    return price;
  }
};

// A fixed fraction of the price against the order, like backtrader's
// slip_perc: buys pay price * (1 + f), sells get price * (1 - f).
class FixedBpsSlippage final : public SlippageModel {
 public:
  explicit FixedBpsSlippage(double bps)
      : fraction_(bps / kBasisPointsPerUnit) {}

  double Adjust(Side side, double price,
                const SlippageInputs& /*inputs*/) const override {
    return side == backtest::v1::BUY ? price * (1.0 + fraction_)
                                     : price * (1.0 - fraction_);
  }

 private:
  const double fraction_;
};

// A fraction of the fill bar's range: wide bars cost more to trade in.
class RangeFractionSlippage final : public SlippageModel {
 public:
  explicit RangeFractionSlippage(double fraction) : fraction_(fraction) {}

  double Adjust(Side side, double price,
                const SlippageInputs& inputs) const override {
    return Against(side, price, fraction_ * (inputs.high - inputs.low));
  }

 private:
  const double fraction_;
};

// A fraction of the symbol's ATR as of the previous close: the usual
// volatility the trader knew of before the bar.
class AtrFractionSlippage final : public SlippageModel {
 public:
  AtrFractionSlippage(double fraction, int atr_length)
      : fraction_(fraction), atr_length_(atr_length) {}

  double Adjust(Side side, double price,
                const SlippageInputs& inputs) const override {
    return Against(side, price, fraction_ * inputs.atr);
  }

  int atr_length() const override { return atr_length_; }

 private:
  const double fraction_;
  const int atr_length_;
};

std::unique_ptr<SlippageModel> MakeNone(const SlippageSpec&, absl::string_view,
                                        std::vector<FieldProblem>*) {
  return std::make_unique<NoSlippage>();
}

std::unique_ptr<SlippageModel> MakeFixedBps(
    const SlippageSpec& spec, absl::string_view field,
    std::vector<FieldProblem>* problems) {
  CheckRange(spec.bps(), 0, kMaxBps, absl::StrCat(field, ".bps"),
             "a number of basis points in [0, 10000]", problems);
  return std::make_unique<FixedBpsSlippage>(spec.bps());
}

std::unique_ptr<SlippageModel> MakeRangeFraction(
    const SlippageSpec& spec, absl::string_view field,
    std::vector<FieldProblem>* problems) {
  CheckRange(spec.fraction(), 0, 1, absl::StrCat(field, ".fraction"),
             "a fraction of the bar's range in [0, 1]", problems);
  return std::make_unique<RangeFractionSlippage>(spec.fraction());
}

std::unique_ptr<SlippageModel> MakeAtrFraction(
    const SlippageSpec& spec, absl::string_view field,
    std::vector<FieldProblem>* problems) {
  CheckRange(spec.fraction(), 0, kUnbounded, absl::StrCat(field, ".fraction"),
             "a multiple of the ATR >= 0", problems);
  if (spec.atr_length() < 0) {
    problems->push_back(
        {absl::StrCat(field, ".atr_length"),
         absl::StrCat("must be a number of bars >= 1 (0: ", kDefaultAtrLength,
                      "), got ", spec.atr_length())});
  }
  return std::make_unique<AtrFractionSlippage>(
      spec.fraction(),
      spec.atr_length() == 0 ? kDefaultAtrLength : spec.atr_length());
}

const ModelFactory<SlippageModel, SlippageSpec> kSlippageModels[] = {
    {"none", MakeNone},
    {"fixed_bps", MakeFixedBps},
    {"range_fraction", MakeRangeFraction},
    {"atr_fraction", MakeAtrFraction},
};

}  // namespace

std::unique_ptr<SlippageModel> MakeSlippageModel(
    const SlippageSpec& spec, std::vector<FieldProblem>* problems) {
  return MakeModel(kSlippageModels, "execution.slippage", spec, problems);
}

}  // namespace seed::execution
