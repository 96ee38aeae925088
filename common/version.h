// The engine version stored in every run's fingerprint, so a result that
// changed can be traced to a code change. Bump on any change to results.
#ifndef SEED_COMMON_VERSION_H_
#define SEED_COMMON_VERSION_H_

namespace seed {

inline constexpr char kEngineVersion[] = "0.1.0";

}  // namespace seed

#endif  // SEED_COMMON_VERSION_H_
