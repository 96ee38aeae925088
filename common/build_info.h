// The source revision this binary was built from, stamped at build time from
// `git rev-parse HEAD` (scripts/workspace_status.sh; "-dirty" when the tree
// had uncommitted changes, "unknown" outside a git checkout). Stored in every
// run's fingerprint next to the engine version.
#ifndef SEED_COMMON_BUILD_INFO_H_
#define SEED_COMMON_BUILD_INFO_H_

namespace seed {

extern const char kSourceRevision[];

}  // namespace seed

#endif  // SEED_COMMON_BUILD_INFO_H_
