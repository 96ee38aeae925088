// The parameter-sensitivity view of a grid sweep for `bt show JOB`: how the
// objective changes one step away from the optimum along each swept
// parameter, the others held at the optimum's values (research/sensitivity.h
// has the definitions). A plateau suggests a robust choice, a spike an
// overfit one. Thread-safe: a pure function.
#ifndef SEED_CLI_JOB_SENSITIVITY_H_
#define SEED_CLI_JOB_SENSITIVITY_H_

#include <string>

#include "cli/job_view.h"

namespace seed::cli {

// The view as text ("" when it does not apply: not a grid sweep, not every
// child fetched, or no child ranked). Each axis's values are the children's
// distinct values of that parameter, which for a grid are the axis's own
// (a value every point of which a constraint excluded has no child and no
// neighbour either).
std::string FormatSensitivity(const JobView& view);

}  // namespace seed::cli

#endif  // SEED_CLI_JOB_SENSITIVITY_H_
