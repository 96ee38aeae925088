#include "common/seeded_random.h"

#include <limits>

namespace seed {

uint64_t UniformIndex(std::mt19937_64& random, uint64_t n) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const uint64_t limit = kMax - kMax % n;
  uint64_t draw;
  do {
    draw = random();
  } while (draw >= limit);
  return draw % n;
}

double UniformUnit(std::mt19937_64& random) {
  constexpr double kTwoToMinus53 = 1.0 / 9007199254740992.0;
  return static_cast<double>(random() >> 11) * kTwoToMinus53;
}

}  // namespace seed
