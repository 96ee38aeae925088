#include "services/strategy/indicators/rsi.h"

namespace seed::strategy {
namespace {

// RSI is a percentage.
constexpr double kPercent = 100.0;

}  // namespace

Rsi::Rsi(int64_t period)
    : gains_(Ema::Wilder(period)), losses_(Ema::Wilder(period)) {}

void Rsi::Add(double close) {
  if (previous_close_.has_value()) {
    const double move = close - *previous_close_;
    gains_.Add(move > 0 ? move : 0.0);
    losses_.Add(move < 0 ? -move : 0.0);
    const std::optional<double> up = gains_.value();
    const std::optional<double> down = losses_.value();
    if (up.has_value() && *up + *down != 0.0) {
      value_ = kPercent * *up / (*up + *down);
    } else {
      value_.reset();
    }
  }
  previous_close_ = close;
}

}  // namespace seed::strategy
