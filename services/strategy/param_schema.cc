#include "services/strategy/param_schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/stage_error.h"

namespace seed::strategy {
namespace {

using ::backtest::v1::ParamSchema;
using ::backtest::v1::ParamValue;

// Largest magnitude below which every whole double is an exact integer, so an
// int parameter converts to int64_t without loss.
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

}  // namespace

std::string FormatNumber(double number) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), number);
  return std::string(buffer, result.ptr);
}

ParamValue NumberValue(double number) {
  ParamValue value;
  value.set_number(number);
  return value;
}

ParamValue TextValue(absl::string_view text) {
  ParamValue value;
  value.set_text(std::string(text));
  return value;
}

ParamValue FlagValue(bool flag) {
  ParamValue value;
  value.set_flag(flag);
  return value;
}

namespace {

std::string Describe(const ParamValue& value) {
  switch (value.kind_case()) {
    case ParamValue::kNumber:
      return FormatNumber(value.number());
    case ParamValue::kText:
      return absl::StrCat("text \"", value.text(), "\"");
    case ParamValue::kFlag:
      return value.flag() ? "true" : "false";
    case ParamValue::KIND_NOT_SET:
      break;
  }
  return "no value";
}

std::optional<std::string> RangeProblem(const ParamSchema& schema,
                                        double number) {
  const bool below = schema.has_min() && number < schema.min();
  const bool above = schema.has_max() && number > schema.max();
  if (!below && !above) return std::nullopt;
  std::string allowed;
  if (schema.has_min() && schema.has_max()) {
    allowed = absl::StrCat("in [", FormatNumber(schema.min()), ", ",
                           FormatNumber(schema.max()), "]");
  } else if (schema.has_min()) {
    allowed = absl::StrCat(">= ", FormatNumber(schema.min()));
  } else {
    allowed = absl::StrCat("<= ", FormatNumber(schema.max()));
  }
  return absl::StrCat("must be ", allowed, ", got ", FormatNumber(number));
}

ParamSchema Declare(absl::string_view name, absl::string_view type,
                    absl::string_view description) {
  ParamSchema schema;
  schema.set_name(std::string(name));
  schema.set_type(std::string(type));
  schema.set_description(std::string(description));
  return schema;
}

}  // namespace

ParamSchema IntParam(absl::string_view name, int64_t default_value,
                     std::optional<int64_t> min, std::optional<int64_t> max,
                     absl::string_view description) {
  ParamSchema schema = Declare(name, kIntType, description);
  schema.mutable_default_value()->set_number(
      static_cast<double>(default_value));
  if (min.has_value()) schema.set_min(static_cast<double>(*min));
  if (max.has_value()) schema.set_max(static_cast<double>(*max));
  return schema;
}

ParamSchema NumberParam(absl::string_view name, double default_value,
                        std::optional<double> min, std::optional<double> max,
                        absl::string_view description) {
  ParamSchema schema = Declare(name, kNumberType, description);
  schema.mutable_default_value()->set_number(default_value);
  if (min.has_value()) schema.set_min(*min);
  if (max.has_value()) schema.set_max(*max);
  return schema;
}

ParamSchema StringParam(absl::string_view name, absl::string_view default_value,
                        const std::vector<std::string>& choices,
                        absl::string_view description) {
  ParamSchema schema = Declare(name, kStringType, description);
  schema.mutable_default_value()->set_text(std::string(default_value));
  for (const std::string& choice : choices) schema.add_choices(choice);
  return schema;
}

ParamSchema BoolParam(absl::string_view name, bool default_value,
                      absl::string_view description) {
  ParamSchema schema = Declare(name, kBoolType, description);
  schema.mutable_default_value()->set_flag(default_value);
  return schema;
}

std::optional<std::string> ValueProblem(const ParamSchema& schema,
                                        const ParamValue& value) {
  const std::string got = absl::StrCat(", got ", Describe(value));
  const std::string& type = schema.type();
  if (type == kIntType) {
    const double number = value.number();
    if (value.kind_case() != ParamValue::kNumber ||
        std::trunc(number) != number || std::fabs(number) > kMaxExactInteger) {
      return absl::StrCat("must be an integer", got);
    }
    return RangeProblem(schema, number);
  }
  if (type == kNumberType) {
    if (value.kind_case() != ParamValue::kNumber ||
        !std::isfinite(value.number())) {
      return absl::StrCat("must be a finite number", got);
    }
    return RangeProblem(schema, value.number());
  }
  if (type == kStringType) {
    if (value.kind_case() != ParamValue::kText) {
      return absl::StrCat("must be text", got);
    }
    const auto& choices = schema.choices();
    if (!choices.empty() && std::find(choices.begin(), choices.end(),
                                      value.text()) == choices.end()) {
      return absl::StrCat("must be one of [", absl::StrJoin(choices, ", "), "]",
                          got);
    }
    return std::nullopt;
  }
  if (type == kBoolType) {
    if (value.kind_case() != ParamValue::kFlag) {
      return absl::StrCat("must be true or false", got);
    }
    return std::nullopt;
  }
  return absl::StrCat("has unknown type \"", type,
                      "\" (expected int, number, string or bool)");
}

const ParamValue& ResolvedParams::Get(absl::string_view name,
                                      absl::string_view type) const {
  const auto it = types_.find(name);
  if (it == types_.end() || it->second != type) {
    // A strategy reading a parameter it did not declare is a programming
    // error that every test of that strategy hits; there is no run to fail.
    std::fprintf(stderr,
                 "strategy bug: parameter \"%.*s\" is not declared with type "
                 "%.*s in its schema\n",
                 static_cast<int>(name.size()), name.data(),
                 static_cast<int>(type.size()), type.data());
    std::abort();
  }
  return values_.at(std::string(name));
}

int64_t ResolvedParams::Int(absl::string_view name) const {
  return static_cast<int64_t>(Get(name, kIntType).number());
}

double ResolvedParams::Number(absl::string_view name) const {
  return Get(name, kNumberType).number();
}

const std::string& ResolvedParams::Text(absl::string_view name) const {
  return Get(name, kStringType).text();
}

bool ResolvedParams::Flag(absl::string_view name) const {
  return Get(name, kBoolType).flag();
}

absl::StatusOr<ResolvedParams> ResolveParams(const ParamSchemas& schemas,
                                             const ParamValues& given) {
  std::vector<FieldProblem> problems;
  ResolvedParams resolved;
  std::vector<std::string> known;
  for (const ParamSchema& schema : schemas) {
    known.push_back(schema.name());
    const auto it = given.find(schema.name());
    if (it == given.end()) {
      resolved.values_[schema.name()] = schema.default_value();
    } else {
      if (auto problem = ValueProblem(schema, it->second)) {
        problems.push_back(
            {absl::StrCat("strategy.params.", schema.name()), *problem});
      }
      resolved.values_[schema.name()] = it->second;
    }
    resolved.types_[schema.name()] = schema.type();
  }
  // Sorted so the report does not depend on the map's iteration order.
  std::vector<std::string> unknown;
  for (const auto& [name, value] : given) {
    if (!resolved.types_.contains(name)) unknown.push_back(name);
  }
  std::sort(unknown.begin(), unknown.end());
  const std::string known_list =
      known.empty()
          ? "this strategy takes no parameters"
          : absl::StrCat("known parameters: ", absl::StrJoin(known, ", "));
  for (const std::string& name : unknown) {
    problems.push_back({absl::StrCat("strategy.params.", name),
                        absl::StrCat("unknown parameter; ", known_list)});
  }
  if (!problems.empty()) {
    return InvalidFields("strategy", "INVALID_PARAMS", problems);
  }
  return resolved;
}

absl::Status ValidateSchema(absl::string_view strategy,
                            const ParamSchemas& schemas) {
  std::vector<std::string> problems;
  absl::flat_hash_set<std::string> names;
  for (const ParamSchema& schema : schemas) {
    const std::string& name = schema.name();
    if (name.empty()) problems.push_back("a parameter has no name");
    if (!names.insert(name).second) {
      problems.push_back(absl::StrCat(name, " is declared twice"));
    }
    if (auto problem = ValueProblem(schema, schema.default_value())) {
      problems.push_back(absl::StrCat(name, " default ", *problem));
    }
    const bool numeric =
        schema.type() == kIntType || schema.type() == kNumberType;
    if (!numeric && (schema.has_min() || schema.has_max())) {
      problems.push_back(absl::StrCat(name, " has a range but is not numeric"));
    }
    if (schema.type() != kStringType && schema.choices_size() > 0) {
      problems.push_back(
          absl::StrCat(name, " has choices but is not a string"));
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return StageFailure(absl::StatusCode::kInternal, "strategy", "INVALID_SCHEMA",
                      absl::StrCat("strategy ", strategy,
                                   " declares an invalid parameter schema: ",
                                   absl::StrJoin(problems, "; "),
                                   ". Fix the schema in its definition."));
}

}  // namespace seed::strategy
