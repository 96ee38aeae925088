#include "research/parameter_space.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json_text.h"
#include "common/seeded_random.h"
#include "common/stage_error.h"

namespace seed::research {
namespace {

using ::backtest::v1::ParamSchema;
using ::backtest::v1::ParamValue;
using ::seed::strategy::FormatNumber;
using ::seed::strategy::NumberValue;

// How close to `to` a computed range value snaps to it, relative to |to|
// (absolute below 1): far above the rounding of from + i * step, far below
// any step a person writes.
constexpr double kRangeTolerance = 1e-9;
// Past 2^53 values, from + i * step no longer tells consecutive i apart.
constexpr double kMaxRangeValues = 9007199254740992.0;

double Tolerance(double to) {
  return kRangeTolerance * std::max(1.0, std::abs(to));
}

// The index of the last value of the range: the largest i with
// from + i * step <= to + tolerance. step > 0, from <= to, both finite.
double LastIndex(const ValueRange& range) {
  const double limit = range.to + Tolerance(range.to);
  double last = std::floor((limit - range.from) / range.step);
  // Past 2^53 an index plus one is the same double: the caller refuses it.
  if (last >= kMaxRangeValues) return last;
  // The division rounds: step the index by one where it landed off.
  while (last > 0 && range.from + last * range.step > limit) --last;
  while (range.from + (last + 1) * range.step <= limit) ++last;
  return last;
}

ValueType TypeOfParam(const ParamSchema& schema) {
  if (schema.type() == strategy::kStringType) return ValueType::kText;
  if (schema.type() == strategy::kBoolType) return ValueType::kTruth;
  return ValueType::kNumber;
}

}  // namespace

ParamValue ParameterSpace::Dimension::At(int64_t k) const {
  if (!sequence) return list[k];
  const double value = from + static_cast<double>(k) * step;
  return NumberValue(std::abs(value - to) <= Tolerance(to) ? to : value);
}

absl::StatusOr<ParameterSpace> ParameterSpace::Create(
    const strategy::ParamSchemas& schemas, const SweepSpec& spec) {
  std::vector<FieldProblem> problems;
  ParameterSpace space;
  space.spec_ = spec;

  absl::StatusOr<strategy::ResolvedParams> resolved =
      strategy::ResolveParams(schemas, spec.fixed);
  if (resolved.ok()) {
    for (const auto& [name, value] : resolved->values()) {
      space.base_[name] = value;
    }
  } else {
    for (FieldProblem& problem : FieldProblems(resolved.status())) {
      problems.push_back(std::move(problem));
    }
  }

  absl::flat_hash_map<std::string, const ParamSchema*> declared;
  absl::flat_hash_map<std::string, ValueType> types;
  std::vector<std::string> known;
  for (const ParamSchema& schema : schemas) {
    declared[schema.name()] = &schema;
    types[schema.name()] = TypeOfParam(schema);
    known.push_back(schema.name());
  }

  const bool grid = spec.mode == SweepMode::kGrid;
  const std::string axes_field =
      absl::StrCat(spec.field, grid ? ".grid" : ".random");
  if (spec.axes.empty()) {
    problems.push_back(
        {axes_field, "names no parameter to sweep; give at least one axis"});
  }
  absl::flat_hash_set<std::string> swept;
  // The space's size as a double: it may pass any integer type.
  double size = 1;
  bool finite = true;
  for (const Axis& axis : spec.axes) {
    const std::string field = absl::StrCat(axes_field, ".", axis.param);
    const auto found = declared.find(axis.param);
    if (found == declared.end()) {
      problems.push_back(
          {field, absl::StrCat("unknown parameter; known parameters: ",
                               absl::StrJoin(known, ", "))});
      continue;
    }
    const ParamSchema& schema = *found->second;
    if (!swept.insert(axis.param).second) {
      problems.push_back({field, "is swept twice; give one axis for it"});
      continue;
    }
    if (spec.fixed.contains(axis.param)) {
      problems.push_back(
          {field, absl::StrCat("is also fixed in strategy.params.", axis.param,
                               "; sweep it or fix it, not both")});
      continue;
    }
    const size_t before = problems.size();
    Dimension dimension;
    dimension.param = axis.param;
    if (const auto* list = std::get_if<std::vector<ParamValue>>(&axis.values)) {
      if (list->empty()) {
        problems.push_back({field, "has no values; list at least one"});
      }
      absl::flat_hash_map<std::string, size_t> seen;
      for (size_t i = 0; i < list->size(); ++i) {
        const std::string item = absl::StrCat(field, "[", i, "]");
        if (auto problem = strategy::ValueProblem(schema, (*list)[i])) {
          problems.push_back({item, *problem});
          continue;
        }
        const auto [it, added] = seen.emplace(ValueText((*list)[i]), i);
        if (!added) {
          problems.push_back(
              {item, absl::StrCat("repeats the value of [", it->second,
                                  "]; each point is swept once")});
        }
      }
      dimension.list = *list;
      dimension.count = static_cast<int64_t>(list->size());
    } else {
      const ValueRange& range = std::get<ValueRange>(axis.values);
      const bool is_int = schema.type() == strategy::kIntType;
      if (!is_int && schema.type() != strategy::kNumberType) {
        problems.push_back(
            {field, absl::StrCat("a range needs an int or number parameter; ",
                                 axis.param, " is a ", schema.type(),
                                 ": list its values instead")});
        continue;
      }
      const std::pair<const char*, double> parts[] = {
          {"from", range.from}, {"to", range.to}, {"step", range.step}};
      for (const auto& [name, number] : parts) {
        if (!std::isfinite(number)) {
          problems.push_back({absl::StrCat(field, ".", name),
                              absl::StrCat("must be a finite number, got ",
                                           FormatNumber(number))});
        } else if (is_int && std::trunc(number) != number &&
                   std::string(name) != "to") {
          problems.push_back(
              {absl::StrCat(field, ".", name),
               absl::StrCat("must be an integer for int parameter ", axis.param,
                            ", got ", FormatNumber(number))});
        }
      }
      if (problems.size() > before) continue;
      if (range.to < range.from) {
        problems.push_back(
            {absl::StrCat(field, ".to"),
             absl::StrCat("must be at least from (", FormatNumber(range.from),
                          "), got ", FormatNumber(range.to))});
      }
      if (grid && range.step <= 0) {
        problems.push_back({absl::StrCat(field, ".step"),
                            absl::StrCat("must be > 0 in a grid, got ",
                                         FormatNumber(range.step))});
      } else if (range.step < 0) {
        problems.push_back(
            {absl::StrCat(field, ".step"),
             absl::StrCat("must be >= 0 (0: any value from `from` to `to`), "
                          "got ",
                          FormatNumber(range.step))});
      }
      if (problems.size() > before) continue;
      dimension.from = range.from;
      dimension.to = range.to;
      dimension.step = range.step;
      double first = range.from;
      double last = range.to;
      if (range.step > 0) {
        const double last_index = LastIndex(range);
        if (last_index >= kMaxRangeValues) {
          problems.push_back(
              {absl::StrCat(field, ".step"),
               absl::StrCat("gives more than 2^53 values; use a larger step, "
                            "got ",
                            FormatNumber(range.step))});
          continue;
        }
        dimension.sequence = true;
        dimension.count = static_cast<int64_t>(last_index) + 1;
        last = dimension.At(dimension.count - 1).number();
      } else if (is_int) {
        first = std::ceil(range.from);
        last = std::floor(range.to);
        if (first > last) {
          problems.push_back(
              {field, absl::StrCat("holds no integer between ",
                                   FormatNumber(range.from), " and ",
                                   FormatNumber(range.to))});
          continue;
        }
        dimension.sequence = true;
        dimension.from = first;
        dimension.to = last;
        dimension.step = 1;
        dimension.count = static_cast<int64_t>(last - first) + 1;
      } else {
        dimension.continuous = true;
      }
      if (auto problem = strategy::ValueProblem(schema, NumberValue(first))) {
        problems.push_back({absl::StrCat(field, ".from"), *problem});
      }
      if (auto problem = strategy::ValueProblem(schema, NumberValue(last))) {
        problems.push_back({absl::StrCat(field, ".to"), *problem});
      }
    }
    if (problems.size() > before) continue;
    if (dimension.continuous) {
      finite = false;
    } else {
      size *= static_cast<double>(dimension.count);
    }
    space.dimensions_.push_back(std::move(dimension));
  }

  for (size_t i = 0; i < spec.constraints.size(); ++i) {
    const std::string field = absl::StrCat(spec.field, ".constraints[", i, "]");
    absl::StatusOr<Constraint> constraint =
        Constraint::Parse(spec.constraints[i]);
    absl::Status status = constraint.status();
    if (constraint.ok()) status = constraint->Check(types);
    if (!status.ok()) {
      problems.push_back({field, std::string(status.message())});
      continue;
    }
    space.constraints_.push_back(*std::move(constraint));
  }

  const std::string limit = absl::StrCat(kMaxSweepPoints);
  if (grid && size > static_cast<double>(kMaxSweepPoints)) {
    problems.push_back(
        {axes_field,
         absl::StrCat("has ", FormatNumber(size), " points, more than ", limit,
                      "; use fewer values or a random sweep")});
  }
  if (!grid) {
    const std::string field = absl::StrCat(spec.field, ".samples");
    if (spec.samples < 1 || spec.samples > kMaxSweepPoints) {
      problems.push_back({field, absl::StrCat("must be in [1, ", limit,
                                              "], got ", spec.samples)});
    } else if (finite && problems.empty() &&
               static_cast<double>(spec.samples) > size) {
      problems.push_back(
          {field, absl::StrCat(spec.samples,
                               " samples asked, but the space holds only ",
                               FormatNumber(size),
                               " distinct points; ask for fewer or widen it")});
    }
  }
  if (!problems.empty()) {
    return InvalidFields(kSweepStage, kInvalidSweep, problems);
  }

  // A finite space past 2^62 points never reaches the sample paths that
  // need its size (they compare it with kMaxSweepPoints).
  space.size_ = finite ? static_cast<int64_t>(std::min(size, 4.6e18)) : 0;
  if (grid) {
    for (const Dimension& dimension : space.dimensions_) {
      AxisValues axis{dimension.param, {}};
      for (int64_t k = 0; k < dimension.count; ++k) {
        axis.values.push_back(dimension.At(k));
      }
      space.axes_.push_back(std::move(axis));
    }
  }
  return space;
}

absl::StatusOr<bool> ParameterSpace::Satisfies(const Point& point) const {
  if (constraints_.empty()) return true;
  Point values = base_;
  for (const auto& [name, value] : point) values[name] = value;
  for (const Constraint& constraint : constraints_) {
    absl::StatusOr<bool> holds = constraint.Evaluate(values);
    if (!holds.ok() || !*holds) return holds;
  }
  return true;
}

absl::StatusOr<SweepPoints> ParameterSpace::Enumerate() const {
  SweepPoints result;
  std::vector<int64_t> index(dimensions_.size(), 0);
  for (int64_t n = 0; n < size_; ++n) {
    Point point;
    for (size_t d = 0; d < dimensions_.size(); ++d) {
      point[dimensions_[d].param] = dimensions_[d].At(index[d]);
    }
    absl::StatusOr<bool> holds = Satisfies(point);
    if (!holds.ok()) return holds.status();
    if (*holds) {
      result.points.push_back(std::move(point));
    } else {
      ++result.excluded;
    }
    // The last axis varies fastest.
    for (size_t d = dimensions_.size(); d-- > 0;) {
      if (++index[d] < dimensions_[d].count) break;
      index[d] = 0;
    }
  }
  return result;
}

absl::Status ParameterSpace::Excluding(absl::string_view message) const {
  return InvalidFields(
      kSweepStage, kInvalidSweep,
      {{absl::StrCat(spec_.field, ".constraints"), std::string(message)}});
}

absl::StatusOr<SweepPoints> ParameterSpace::Points() const {
  if (spec_.mode == SweepMode::kRandom) return Sample();
  absl::StatusOr<SweepPoints> grid = Enumerate();
  if (grid.ok() && grid->points.empty()) {
    return Excluding(absl::StrCat("exclude all ", size_,
                                  " points of the grid; loosen them or change "
                                  "the axes"));
  }
  return grid;
}

absl::StatusOr<SweepPoints> ParameterSpace::Sample() const {
  const int64_t samples = spec_.samples;
  std::mt19937_64 random(spec_.seed);
  if (size_ > 0 && size_ <= kMaxSweepPoints) {
    // Small enough to list: pick `samples` of the points that meet the
    // constraints by a partial Fisher-Yates shuffle.
    absl::StatusOr<SweepPoints> all = Enumerate();
    if (!all.ok()) return all.status();
    std::vector<Point>& points = all->points;
    const int64_t feasible = static_cast<int64_t>(points.size());
    if (feasible < samples) {
      return Excluding(absl::StrCat(
          "leave ", feasible, " of the space's ", size_, " points, fewer than ",
          "the ", samples, " samples asked; loosen them or ask for fewer"));
    }
    for (int64_t j = 0; j < samples; ++j) {
      const int64_t k =
          j + static_cast<int64_t>(UniformIndex(random, feasible - j));
      std::swap(points[j], points[k]);
    }
    points.resize(samples);
    return all;
  }
  SweepPoints result;
  std::set<std::string> seen;
  const int64_t most_draws = samples * kDrawsPerSample;
  for (int64_t draws = 0; static_cast<int64_t>(result.points.size()) < samples;
       ++draws) {
    if (draws == most_draws) {
      return Excluding(absl::StrCat(
          "leave too little room: after ", draws, " draws only ",
          result.points.size(), " of the ", samples,
          " samples asked are distinct and meet them; loosen the constraints, "
          "widen the ranges or ask for fewer samples"));
    }
    Point point;
    for (const Dimension& dimension : dimensions_) {
      point[dimension.param] =
          dimension.continuous
              ? NumberValue(dimension.from +
                            UniformUnit(random) *
                                (dimension.to - dimension.from))
              : dimension.At(static_cast<int64_t>(
                    UniformIndex(random, dimension.count)));
    }
    absl::StatusOr<bool> holds = Satisfies(point);
    if (!holds.ok()) return holds.status();
    if (!*holds || !seen.insert(CanonicalText(point)).second) {
      ++result.excluded;
      continue;
    }
    result.points.push_back(std::move(point));
  }
  return result;
}

}  // namespace seed::research
