// Strategy parameters: each strategy declares one schema (name, type,
// default, range or choices), the only place its defaults live. A spec's
// params are resolved against it once, at the start of a run, reporting every
// problem at once. Thread-safe: pure functions and immutable values.
#ifndef SEED_SERVICES_STRATEGY_PARAM_SCHEMA_H_
#define SEED_SERVICES_STRATEGY_PARAM_SCHEMA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/spec.pb.h"
#include "backtest/v1/strategy.pb.h"
#include "google/protobuf/map.h"
#include "google/protobuf/repeated_field.h"

namespace seed::strategy {

// ParamSchema.type values. An int is carried as ParamValue.number and must be
// whole; a number as .number; a string as .text; a bool as .flag.
inline constexpr absl::string_view kIntType = "int";
inline constexpr absl::string_view kNumberType = "number";
inline constexpr absl::string_view kStringType = "string";
inline constexpr absl::string_view kBoolType = "bool";

using ParamSchemas =
    google::protobuf::RepeatedPtrField<backtest::v1::ParamSchema>;
using ParamValues =
    google::protobuf::Map<std::string, backtest::v1::ParamValue>;

// Builders for schema entries, e.g.
//   *info.add_params() = IntParam("fast", 10, 1, 1000, "fast SMA period");
backtest::v1::ParamSchema IntParam(absl::string_view name,
                                   int64_t default_value,
                                   std::optional<int64_t> min,
                                   std::optional<int64_t> max,
                                   absl::string_view description);
backtest::v1::ParamSchema NumberParam(absl::string_view name,
                                      double default_value,
                                      std::optional<double> min,
                                      std::optional<double> max,
                                      absl::string_view description);
// Empty `choices` accepts any text.
backtest::v1::ParamSchema StringParam(absl::string_view name,
                                      absl::string_view default_value,
                                      const std::vector<std::string>& choices,
                                      absl::string_view description);
backtest::v1::ParamSchema BoolParam(absl::string_view name, bool default_value,
                                    absl::string_view description);

// Values, e.g. params["fast"] = NumberValue(10).
backtest::v1::ParamValue NumberValue(double number);
backtest::v1::ParamValue TextValue(absl::string_view text);
backtest::v1::ParamValue FlagValue(bool flag);

// The shortest text that reads back as the same double ("10", "10.5",
// "1e+16"): how parameter numbers are written in problems and point ids.
std::string FormatNumber(double number);

// Every declared parameter with its value (given or default). The typed
// accessors may only be called with a name the strategy declared with that
// type; anything else is a bug in the strategy and aborts with a message.
class ResolvedParams {
 public:
  int64_t Int(absl::string_view name) const;
  double Number(absl::string_view name) const;
  const std::string& Text(absl::string_view name) const;
  bool Flag(absl::string_view name) const;

  const ParamValues& values() const { return values_; }

 private:
  friend absl::StatusOr<ResolvedParams> ResolveParams(const ParamSchemas&,
                                                      const ParamValues&);
  const backtest::v1::ParamValue& Get(absl::string_view name,
                                      absl::string_view type) const;

  ParamValues values_;
  absl::flat_hash_map<std::string, std::string> types_;
};

// The given params with defaults filled in, or InvalidFields("strategy",
// "INVALID_PARAMS", ...) listing every problem, each on field
// "strategy.params.<name>": unknown parameter (naming the known ones), wrong
// type, out of range, not one of the choices.
absl::StatusOr<ResolvedParams> ResolveParams(const ParamSchemas& schemas,
                                             const ParamValues& given);

// Why `value` is not acceptable for `schema` (wrong type, out of range, not
// one of the choices), e.g. "must be an integer in [1, 1000], got 0", or
// nothing when it is: the descriptions ResolveParams reports, for callers
// that check values written elsewhere (a sweep's axes).
std::optional<std::string> ValueProblem(const backtest::v1::ParamSchema& schema,
                                        const backtest::v1::ParamValue& value);

// A schema a strategy declares must be usable: known types, unique names,
// defaults that satisfy their own constraints. A failure is a bug in that
// strategy (INTERNAL, reason INVALID_SCHEMA).
absl::Status ValidateSchema(absl::string_view strategy,
                            const ParamSchemas& schemas);

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_PARAM_SCHEMA_H_
