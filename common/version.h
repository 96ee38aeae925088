// The engine version stored in every run's fingerprint, so a result that
// changed can be traced to a code change. Bump on any change to results. The
// exact source revision is stamped separately (build_info.h).
#ifndef SEED_COMMON_VERSION_H_
#define SEED_COMMON_VERSION_H_

#include <string>

namespace seed {

inline constexpr char kEngineVersion[] = "0.1.0";

// What a run's fingerprint records as the engine: the version and the source
// revision in semantic-versioning build-metadata form,
// "0.1.0+42d9ae4fd3fa08a2125e668274567a417c86fef0".
std::string EngineVersion();

}  // namespace seed

#endif  // SEED_COMMON_VERSION_H_
