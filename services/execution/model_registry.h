// Chooses a cost model (commission, slippage) by the name a spec gives, from a
// table of factories. Each model file owns its table, so adding a model is one
// class plus one table row; this lookup and its error reporting never change.
// Each factory checks the settings its model reads and reports every problem
// with its field path. Thread-safe: pure functions over constant tables.
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

// Reports `value` at `field` unless it is a finite number in [low, high].
inline void CheckRange(double value, double low, double high,
                       absl::string_view field, absl::string_view what,
                       std::vector<FieldProblem>* problems) {
  if (std::isfinite(value) && value >= low && value <= high) return;
  problems->push_back(
      {std::string(field), absl::StrCat("must be ", what, ", got ", value)});
}

// Builds one model from its settings `spec`; `field` is the spec path of those
// settings ("execution.commission"). Returns nullptr after appending problems.
template <typename Model, typename Spec>
struct ModelFactory {
  absl::string_view name;
  std::unique_ptr<Model> (*make)(const Spec& spec, absl::string_view field,
                                 std::vector<FieldProblem>* problems);
};

// Builds the model `spec.model()` ("" = "none"), or returns nullptr after
// appending every problem found to *problems. `field` is the spec path of the
// model's settings, e.g. "execution.commission".
template <typename Model, typename Spec, size_t N>
std::unique_ptr<Model> MakeModel(const ModelFactory<Model, Spec> (&table)[N],
                                 absl::string_view field, const Spec& spec,
                                 std::vector<FieldProblem>* problems) {
  const absl::string_view wanted =
      spec.model().empty() ? kNoModel : absl::string_view(spec.model());
  for (const ModelFactory<Model, Spec>& entry : table) {
    if (entry.name != wanted) continue;
    const size_t problems_before = problems->size();
    std::unique_ptr<Model> model = entry.make(spec, field, problems);
    if (problems->size() != problems_before) return nullptr;
    return model;
  }
  problems->push_back(
      {absl::StrCat(field, ".model"),
       absl::StrCat("unknown model \"", spec.model(), "\"; allowed: ",
                    absl::StrJoin(table, ", ",
                                  [](std::string* out,
                                     const ModelFactory<Model, Spec>& entry) {
                                    absl::StrAppend(out, entry.name);
                                  }))});
  return nullptr;
}

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_MODEL_REGISTRY_H_
