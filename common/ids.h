// Identifiers of runs and research jobs: sortable by creation time (UTC, to
// the second) and unique across processes by a random tail, e.g.
// "20261207-203000-a1b2c3" or, with a prefix, "sweep-20261207-203000-a1b2c3".
// Thread-safe.
#ifndef SEED_COMMON_IDS_H_
#define SEED_COMMON_IDS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace seed {

// A new id: `prefix`, then the time and six random hex digits.
std::string NewTimeSortableId(absl::string_view prefix = "");

}  // namespace seed

#endif  // SEED_COMMON_IDS_H_
