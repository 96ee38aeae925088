// Seeded draws that are the same on every machine: std::mt19937_64's output
// sequence is fixed by the C++ standard, but the std::uniform_*_distribution
// algorithms are left to each library, so the mapping from 64-bit outputs to
// values is written out here. Used wherever "same seed, same result" is a
// promise (metrics' bootstrap, research sweeps and Monte Carlo). Thread-safe:
// pure functions of the generator passed in, which has one owner at a time.
#ifndef SEED_COMMON_SEEDED_RANDOM_H_
#define SEED_COMMON_SEEDED_RANDOM_H_

#include <cstdint>
#include <random>

namespace seed {

// A uniform integer in [0, n), n >= 1: a 64-bit output below the largest
// multiple of n that fits in 64 bits, modulo n (outputs at or above it are
// drawn again, so every remainder is equally likely). Example:
//   std::mt19937_64 random(42);
//   uint64_t die = UniformIndex(random, 6) + 1;
uint64_t UniformIndex(std::mt19937_64& random, uint64_t n);

// A uniform double in [0, 1): the top 53 bits of one output times 2^-53, so
// every value is a multiple of 2^-53 and 1 is never returned.
double UniformUnit(std::mt19937_64& random);

}  // namespace seed

#endif  // SEED_COMMON_SEEDED_RANDOM_H_
