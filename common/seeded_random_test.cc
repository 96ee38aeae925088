#include "common/seeded_random.h"

#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace seed {
namespace {

TEST(SeededRandomTest, GeneratorSequenceIsTheStandardOne) {
  // The C++ standard fixes the 10000th output of a default-constructed
  // mt19937_64 ([rand.predef]): the draws below build on it.
  std::mt19937_64 random;
  random.discard(9999);
  EXPECT_EQ(random(), 9981545732273789042ULL);
}

TEST(SeededRandomTest, IndexIsTheOutputModuloN) {
  std::mt19937_64 reference(7);
  std::mt19937_64 random(7);
  for (int i = 0; i < 100; ++i) {
    // For n = 6 the rejection limit is 2^64 - 4: practically never hit.
    EXPECT_EQ(UniformIndex(random, 6), reference() % 6);
  }
}

TEST(SeededRandomTest, IndexRejectsOutputsPastTheLastFullMultiple) {
  // n = 2^63 + 1: outputs at or above it are drawn again, so every index is
  // an output itself, and about half of the outputs are rejected.
  const uint64_t n = (uint64_t{1} << 63) + 1;
  std::mt19937_64 reference(3);
  std::mt19937_64 random(3);
  int rejected = 0;
  for (int i = 0; i < 200; ++i) {
    const uint64_t index = UniformIndex(random, n);
    uint64_t expected;
    while ((expected = reference()) >= n) ++rejected;
    EXPECT_EQ(index, expected);
  }
  EXPECT_GT(rejected, 50);
}

TEST(SeededRandomTest, IndexCoversEveryValueEvenly) {
  std::mt19937_64 random(11);
  std::vector<int> counts(10, 0);
  for (int i = 0; i < 100000; ++i) ++counts[UniformIndex(random, 10)];
  // Each count is binomial(1e5, 0.1): sd about 95; 6 sd either side.
  for (int count : counts) {
    EXPECT_GT(count, 10000 - 570);
    EXPECT_LT(count, 10000 + 570);
  }
  EXPECT_EQ(UniformIndex(random, 1), 0u);
}

TEST(SeededRandomTest, UnitIsTheTop53BitsScaled) {
  std::mt19937_64 reference(5);
  std::mt19937_64 random(5);
  for (int i = 0; i < 100; ++i) {
    const double unit = UniformUnit(random);
    EXPECT_EQ(unit,
              static_cast<double>(reference() >> 11) / 9007199254740992.0);
    EXPECT_GE(unit, 0.0);
    EXPECT_LT(unit, 1.0);
  }
}

}  // namespace
}  // namespace seed
