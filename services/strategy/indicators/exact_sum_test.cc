#include "services/strategy/indicators/exact_sum.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "absl/base/casts.h"
#include "gtest/gtest.h"

namespace seed::strategy {
namespace {

uint64_t Bits(double x) { return absl::bit_cast<uint64_t>(x); }

// An independent reference: the exact sum as a two's complement fixed-point
// integer in units of 2^-1074 (every finite double is a whole number of
// them), rounded to nearest-even only when read.
class BigFixedSum {
 public:
  void Add(double x) {
    if (x == 0.0) return;
    int exponent = 0;
    const double fraction = std::frexp(std::fabs(x), &exponent);
    uint64_t mantissa = static_cast<uint64_t>(std::ldexp(fraction, 53));
    int shift = exponent - 53 + kMinExponent;
    if (shift < 0) {  // subnormal: the bits shifted out are zero
      mantissa >>= -shift;
      shift = 0;
    }
    Limbs magnitude{};
    magnitude[shift / 64] = mantissa << (shift % 64);
    if (shift % 64 != 0) {
      magnitude[shift / 64 + 1] = mantissa >> (64 - shift % 64);
    }
    if (x < 0) magnitude = Negate(magnitude);
    unsigned __int128 carry = 0;
    for (int i = 0; i < kLimbs; ++i) {
      carry += static_cast<unsigned __int128>(limbs_[i]) + magnitude[i];
      limbs_[i] = static_cast<uint64_t>(carry);
      carry >>= 64;
    }
  }

  double Rounded() const {
    const bool negative = (limbs_[kLimbs - 1] >> 63) != 0;
    const Limbs magnitude = negative ? Negate(limbs_) : limbs_;
    int top = kLimbs * 64 - 1;
    while (top >= 0 && !Bit(magnitude, top)) --top;
    if (top < 0) return 0.0;
    const int low = top < 53 ? 0 : top - 52;
    uint64_t mantissa = 0;
    for (int i = top; i >= low; --i) {
      mantissa = (mantissa << 1) | (Bit(magnitude, i) ? 1 : 0);
    }
    if (low > 0) {
      const bool round = Bit(magnitude, low - 1);
      bool sticky = false;
      for (int i = 0; i < low - 1 && !sticky; ++i) sticky = Bit(magnitude, i);
      if (round && (sticky || (mantissa & 1) != 0)) ++mantissa;
    }
    const double value =
        std::ldexp(static_cast<double>(mantissa), low - kMinExponent);
    return negative ? -value : value;
  }

 private:
  static constexpr int kMinExponent = 1074;  // 2^-1074: smallest subnormal
  static constexpr int kLimbs = 36;  // 2304 bits: 2^1024 in units plus carries
  using Limbs = std::array<uint64_t, kLimbs>;

  static Limbs Negate(Limbs limbs) {
    bool carry = true;
    for (uint64_t& limb : limbs) {
      limb = ~limb + (carry ? 1 : 0);
      carry = carry && limb == 0;
    }
    return limbs;
  }
  static bool Bit(const Limbs& limbs, int i) {
    return ((limbs[i / 64] >> (i % 64)) & 1) != 0;
  }

  Limbs limbs_{};
};

double Fsum(const std::vector<double>& values) {
  ExactSum sum;
  for (double value : values) sum.Add(value);
  return sum.Value();
}

// Expected values printed by CPython's math.fsum.
TEST(ExactSumTest, MatchesPythonFsum) {
  EXPECT_EQ(Bits(Fsum({})), Bits(0.0));
  EXPECT_EQ(Bits(Fsum({0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1})),
            Bits(1.0));
  EXPECT_EQ(Bits(Fsum({1.0, 1e100, 1.0, -1e100})), Bits(2.0));
  // The half-even correction: 1e-16 pushes the tie at 1e16 + 1 upwards.
  EXPECT_EQ(Bits(Fsum({1e-16, 1.0, 1e16})), Bits(1.0000000000000002e16));
  EXPECT_EQ(Bits(Fsum({9007199254740992.0, 1.0, std::ldexp(1.0, -60)})),
            Bits(9007199254740994.0));
  EXPECT_EQ(Bits(Fsum({0.1, 0.2, 0.3})), Bits(0.6));
}

TEST(ExactSumTest, AddingTheNegationRemovesAValueExactly) {
  ExactSum sum;
  sum.Add(1e16);
  sum.Add(1.0);
  sum.Add(-1e16);
  EXPECT_EQ(sum.Value(), 1.0);
  sum.Add(-1.0);
  EXPECT_EQ(Bits(sum.Value()), Bits(0.0));
}

TEST(ExactSumTest, CorrectlyRoundedUnderRandomAddsAndRemovals) {
  std::mt19937_64 rng(20240601);
  std::uniform_real_distribution<double> fraction(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-80, 80);
  ExactSum sum;
  BigFixedSum reference;
  std::vector<double> held;
  for (int step = 0; step < 20000; ++step) {
    if (!held.empty() && step % 3 == 0) {
      const size_t victim = rng() % held.size();
      sum.Add(-held[victim]);
      reference.Add(-held[victim]);
      held.erase(held.begin() + victim);
    } else {
      const double value = std::ldexp(fraction(rng), exponent(rng));
      sum.Add(value);
      reference.Add(value);
      held.push_back(value);
    }
    ASSERT_EQ(Bits(sum.Value()), Bits(reference.Rounded())) << "step " << step;
  }
}

TEST(ExactSumTest, CorrectlyRoundedOnTies) {
  // 2^53 + 1 is a tie between 2^53 and 2^53 + 2; tiny extra terms break it.
  const double big = 9007199254740992.0;
  const std::vector<std::vector<double>> cases = {
      {big, 1.0},
      {big, 1.0, std::ldexp(1.0, -70)},
      {big, 1.0, -std::ldexp(1.0, -70)},
      {big, 3.0},
      {-big, -1.0, std::ldexp(1.0, -1074)},
      {1e16, 1.0, -1e16, 1e-300},
  };
  for (const auto& values : cases) {
    BigFixedSum reference;
    for (double value : values) reference.Add(value);
    EXPECT_EQ(Bits(Fsum(values)), Bits(reference.Rounded()));
  }
}

TEST(ExactSumTest, AddProductAddsTheUnroundedProduct) {
  // (2^27 + 1)^2 = 2^54 + 2^28 + 1 needs 55 bits; its double drops the 1.
  const double a = 134217729.0;
  ExactSum sum;
  sum.AddProduct(a, a);
  sum.Add(-std::ldexp(1.0, 54));
  sum.Add(-std::ldexp(1.0, 28));
  EXPECT_EQ(sum.Value(), 1.0);

  ExactSum held;  // 1e16 + 1: two partials
  held.Add(1e16);
  held.Add(1.0);
  ExactSum scaled;
  scaled.AddProduct(held, 3.0);
  scaled.Add(-3e16);
  EXPECT_EQ(scaled.Value(), 3.0);
}

TEST(ExactSumTest, ScaledCoMomentIsExactWhereTheTextbookFormulaCancels) {
  // x = {1, 3}: 2 * (1 + 9) - 4 * 4 = 4.
  ExactSum sum;
  ExactSum squares;
  for (double x : {1.0, 3.0}) {
    sum.Add(x);
    squares.AddProduct(x, x);
  }
  EXPECT_EQ(ScaledCoMoment(2, squares, sum, sum), 4.0);

  // x = {1e8 + 1, 1e8 - 1}: the squares sum to 2e16 + 2, which no double
  // holds, so n * sum(x^2) - sum(x)^2 in doubles is 0 or 8, not 4.
  ExactSum big_sum;
  ExactSum big_squares;
  for (double x : {1e8 + 1, 1e8 - 1}) {
    big_sum.Add(x);
    big_squares.AddProduct(x, x);
  }
  EXPECT_EQ(ScaledCoMoment(2, big_squares, big_sum, big_sum), 4.0);
  const double naive =
      2 * ((1e8 + 1) * (1e8 + 1) + (1e8 - 1) * (1e8 - 1)) - 2e8 * 2e8;
  EXPECT_NE(naive, 4.0);

  // A covariance: x = {1, 2}, y = {4, 2}: 2 * (4 + 4) - 3 * 6 = -2.
  ExactSum xs, ys, cross;
  for (const auto& [x, y] : {std::pair{1.0, 4.0}, std::pair{2.0, 2.0}}) {
    xs.Add(x);
    ys.Add(y);
    cross.AddProduct(x, y);
  }
  EXPECT_EQ(ScaledCoMoment(2, cross, xs, ys), -2.0);
}

}  // namespace
}  // namespace seed::strategy
