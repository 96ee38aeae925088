// Chooses a cost model (commission, slippage) by the name a spec gives, from a
// table of factories. Each model file owns its table, so adding a model is one
// class plus one table row; this lookup and its error reporting never change.
// Thread-safe: pure functions over constant tables.
#ifndef SEED_SERVICES_EXECUTION_MODEL_REGISTRY_H_
#define SEED_SERVICES_EXECUTION_MODEL_REGISTRY_H_

#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/stage_error.h"

namespace seed::execution {

// Specs state costs in basis points: 1 bps = 1/10000 of the traded value.
inline constexpr double kBasisPointsPerUnit = 10000.0;

// What an empty model name in a spec stands for: no cost at all.
inline constexpr absl::string_view kNoModel = "none";

template <typename Model>
struct ModelFactory {
  absl::string_view name;
  std::unique_ptr<Model> (*make)(double bps);
};

// Builds the model `name` ("" = "none") with `bps`, or returns nullptr after
// appending every problem found to *problems. `field` is the spec path of the
// model's settings, e.g. "execution.commission".
template <typename Model, size_t N>
std::unique_ptr<Model> MakeModel(const ModelFactory<Model> (&table)[N],
                                 absl::string_view field,
                                 absl::string_view name, double bps,
                                 std::vector<FieldProblem>* problems) {
  const size_t problems_before = problems->size();
  if (!(std::isfinite(bps) && bps >= 0)) {
    problems->push_back({absl::StrCat(field, ".bps"),
                         absl::StrCat("must be a number of basis points >= 0, "
                                      "got ",
                                      bps)});
  }
  const absl::string_view wanted = name.empty() ? kNoModel : name;
  const ModelFactory<Model>* found = nullptr;
  for (const ModelFactory<Model>& entry : table) {
    if (entry.name == wanted) found = &entry;
  }
  if (found == nullptr) {
    problems->push_back(
        {absl::StrCat(field, ".model"),
         absl::StrCat("unknown model \"", name, "\"; allowed: ",
                      absl::StrJoin(table, ", ",
                                    [](std::string* out,
                                       const ModelFactory<Model>& entry) {
                                      absl::StrAppend(out, entry.name);
                                    }))});
  }
  if (problems->size() != problems_before) return nullptr;
  return found->make(bps);
}

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_MODEL_REGISTRY_H_
