// What the parts of ResultsEngine (results_engine*.cc) share and nothing
// else uses. Thread-safe: constants and pure functions.
#ifndef SEED_SERVICES_RESULTS_RESULTS_ENGINE_INTERNAL_H_
#define SEED_SERVICES_RESULTS_RESULTS_ENGINE_INTERNAL_H_

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/stage_error.h"

namespace seed::results::internal {

inline constexpr absl::string_view kEngineStage = "results";

// The page size a request's `requested` asks for: `fallback` for 0, at most
// `most` (a larger one asks for that many, as AIP-158 has it); a negative
// one adds a problem on `field` to `problems`.
inline int64_t PageSize(absl::string_view field, int64_t requested,
                        int64_t fallback, int64_t most,
                        std::vector<FieldProblem>& problems) {
  if (requested < 0) {
    problems.push_back(
        {std::string(field),
         absl::StrCat("must be >= 0 (0 = ", fallback, ", at most ", most,
                      "), got ", requested)});
    return fallback;
  }
  if (requested == 0) return fallback;
  return requested < most ? requested : most;
}

}  // namespace seed::results::internal

#endif  // SEED_SERVICES_RESULTS_RESULTS_ENGINE_INTERNAL_H_
