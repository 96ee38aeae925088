#include "services/coordinator/spec.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/limits.h"
#include "common/stage_error.h"
#include "common/text.h"
#include "common/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "yaml-cpp/yaml.h"

namespace seed::coordinator {
namespace {

using ::backtest::v1::BacktestSpec;

constexpr absl::string_view kStage = "coordinator";

// Symbols name files (SYMBOL.csv), so no path separators or leading dot.
bool IsSymbolName(const std::string& symbol) {
  return !symbol.empty() && symbol[0] != '.' &&
         symbol.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
             "qrstuvwxyz0123456789._-^=") == std::string::npos;
}

std::string NotASymbol(const std::string& symbol) {
  return absl::StrCat("'", symbol,
                      "' is not a symbol name (letters, digits and . _ - ^ = "
                      "only)");
}

// Allocations may add up to 1 give or take rounding in the spec's decimals.
constexpr double kAllocationSlack = 1e-9;

// The fields whose values are fractions, which a spec may also write as a
// percentage ("30%" for 0.3): by field name, and the borrow_rates map.
bool IsFractionField(const google::protobuf::FieldDescriptor& field) {
  static const auto* const kFractions =
      new std::set<std::string>{"percent",
                                "cash_buffer",
                                "risk_fraction",
                                "target_volatility",
                                "max_position_percent",
                                "max_gross_exposure",
                                "max_net_exposure",
                                "initial_margin",
                                "maintenance_margin",
                                "borrow_rate",
                                "fraction",
                                "maximum_percent",
                                "max_fraction_of_volume",
                                "risk_free_rate"};
  if (field.containing_type()->options().map_entry()) {
    return field.containing_type()->name() == "BorrowRatesEntry" &&
           field.name() == "value";
  }
  return kFractions->count(field.name()) > 0;
}

// A number, or for a fraction field also a percentage: "30%" is 0.3.
bool ParseNumber(const std::string& text, bool fraction, double* number) {
  absl::string_view digits = text;
  const bool percent = fraction && absl::ConsumeSuffix(&digits, "%");
  if (!absl::SimpleAtod(digits, number) || !std::isfinite(*number)) {
    return false;
  }
  if (percent) *number /= 100;
  return true;
}

// Checks the YAML tree's shape before it is read, so a hostile or broken
// spec costs little: nesting depth, list and map sizes, text lengths
// (limits.h), and keys given twice in one mapping (YAML would silently keep
// the first).
class ShapeChecker {
 public:
  explicit ShapeChecker(std::vector<FieldProblem>& problems)
      : problems_(problems) {}

  void Check(const YAML::Node& node, const std::string& path, int depth) {
    const std::string shown = path.empty() ? "(spec)" : path;
    // Aliases let a small text name a huge tree (a "billion laughs" spec):
    // the values are counted as read.
    if (++values_ > limits::kMaxSpecValues) {
      if (values_ == limits::kMaxSpecValues + 1) {
        problems_.push_back(
            {"(spec)", absl::StrCat("has more than ", limits::kMaxSpecValues,
                                    " values (aliases included)")});
      }
      return;
    }
    if (depth > limits::kMaxSpecDepth) {
      problems_.push_back(
          {shown, absl::StrCat("is nested more than ", limits::kMaxSpecDepth,
                               " levels deep")});
      return;
    }
    if (node.IsScalar()) {
      const int64_t bound =
          path == "name" ? limits::kMaxNameBytes : limits::kMaxTextBytes;
      if (static_cast<int64_t>(node.Scalar().size()) > bound) {
        problems_.push_back(
            {shown, absl::StrCat("is ", node.Scalar().size(),
                                 " bytes long; the limit is ", bound)});
      }
      return;
    }
    if (node.IsSequence()) {
      const int64_t bound = path == "data.symbols" ? limits::kMaxSymbols
                            : path == "strategies" ? limits::kMaxStrategies
                                                   : limits::kMaxListItems;
      if (static_cast<int64_t>(node.size()) > bound) {
        problems_.push_back(
            {shown, absl::StrCat("lists ", node.size(), " items; the limit is ",
                                 bound)});
        return;
      }
      for (size_t i = 0; i < node.size(); ++i) {
        Check(node[i], absl::StrCat(path, "[", i, "]"), depth + 1);
      }
      return;
    }
    if (!node.IsMap()) return;
    if (static_cast<int64_t>(node.size()) > limits::kMaxParams) {
      problems_.push_back(
          {shown, absl::StrCat("has ", node.size(), " entries; the limit is ",
                               limits::kMaxParams)});
      return;
    }
    std::map<std::string, int> lines;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        problems_.push_back({shown, absl::StrCat("has a key at line ",
                                                 entry.first.Mark().line + 1,
                                                 " that is not a name")});
        continue;
      }
      const std::string key = entry.first.Scalar();
      const std::string child =
          path.empty() ? key : absl::StrCat(path, ".", key);
      const int line = entry.first.Mark().line + 1;
      const auto [it, first] = lines.emplace(key, line);
      if (!first) {
        problems_.push_back(
            {child, absl::StrCat("is given twice, at lines ", it->second,
                                 " and ", line, "; keep one")});
        continue;
      }
      Check(entry.first, child, depth + 1);
      Check(entry.second, child, depth + 1);
    }
  }

 private:
  std::vector<FieldProblem>& problems_;
  int64_t values_ = 0;
};

// Walks the YAML tree, filling the spec and collecting every problem.
class SpecReader {
 public:
  explicit SpecReader(std::string base_dir) : base_dir_(std::move(base_dir)) {}

  std::vector<FieldProblem>& problems() { return problems_; }

  void Read(const YAML::Node& root, BacktestSpec& spec) {
    if (!root.IsMap()) {
      Problem("(spec)",
              "must be a mapping with data, strategy, portfolio and "
              "execution sections");
      return;
    }
    CheckKeys(root, "",
              {"name", "data", "strategy", "strategies", "portfolio",
               "execution", "metrics", "sweep", "walk_forward", "factors"});
    spec.set_name(OptionalText(root, "name", std::string(kDefaultSpecName)));
    // A name is one line shown in tables: no control characters.
    if (std::any_of(spec.name().begin(), spec.name().end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
        })) {
      Problem("name", absl::StrCat("must be one line of text without control "
                                   "characters, got \"",
                                   EscapeForTerminal(spec.name()), "\""));
    }
    ReadData(Required(root, "data", ""), *spec.mutable_data());
    ReadResearch(root, spec);
    const YAML::Node strategies = root["strategies"];
    const bool factor_study =
        spec.has_factors() && (!root["strategy"] || root["strategy"].IsNull());
    if (factor_study) {
      // A factor study runs no strategy (bt factors).
    } else if (strategies && !strategies.IsNull()) {
      if (root["strategy"] && !root["strategy"].IsNull()) {
        Problem("strategies",
                "give either strategy (one) or strategies (several), not "
                "both");
      }
      ReadStrategies(strategies, spec);
    } else {
      ReadStrategy(Required(root, "strategy", ""), "strategy",
                   *spec.mutable_strategy(), /*in_list=*/false);
    }
    ReadPortfolio(root["portfolio"], *spec.mutable_portfolio());
    ReadExecution(root["execution"], *spec.mutable_execution());
    ReadMetrics(root["metrics"], *spec.mutable_metrics());
  }

 private:
  void Problem(std::string field, std::string description) {
    problems_.push_back({std::move(field), std::move(description)});
  }

  static std::string Path(absl::string_view parent, absl::string_view key) {
    return parent.empty() ? std::string(key) : absl::StrCat(parent, ".", key);
  }

  // Reports keys that the section does not define (a typo would otherwise be
  // ignored silently and a default used instead).
  void CheckKeys(const YAML::Node& section, absl::string_view path,
                 const std::set<std::string>& known) {
    for (const auto& entry : section) {
      const std::string key = entry.first.Scalar();
      if (known.count(key) == 0) {
        Problem(
            Path(path, key),
            absl::StrCat("unknown field; ", path.empty() ? "top-level" : path,
                         " has: ", absl::StrJoin(known, ", ")));
      }
    }
  }

  YAML::Node Required(const YAML::Node& parent, const std::string& key,
                      absl::string_view path) {
    const YAML::Node node = parent[key];
    if (!node || node.IsNull()) {
      Problem(Path(path, key), "is required");
      return YAML::Node();
    }
    return node;
  }

  std::string OptionalText(const YAML::Node& parent, const std::string& key,
                           const std::string& fallback,
                           absl::string_view path = "") {
    const YAML::Node node = parent[key];
    if (!node || node.IsNull()) return fallback;
    if (!node.IsScalar()) {
      Problem(Path(path, key), "must be a single value");
      return fallback;
    }
    return node.Scalar();
  }

  // `text` made absolute against the base directory when relative. The
  // result goes into protobuf strings, so a base directory whose name is
  // not UTF-8 is a problem for `field`.
  std::string Resolve(const std::string& text, const std::string& field) {
    std::filesystem::path resolved(text);
    if (resolved.is_relative() && !base_dir_.empty()) {
      resolved = std::filesystem::path(base_dir_) / resolved;
    }
    std::string absolute = resolved.lexically_normal().string();
    if (FirstInvalidUtf8(absolute).has_value()) {
      Problem(field, absl::StrCat("'", text, "' is relative to the directory '",
                                  EscapeForTerminal(base_dir_),
                                  "', whose name is not UTF-8 text; give an "
                                  "absolute path"));
      return "";
    }
    return absolute;
  }

  void ReadData(const YAML::Node& node, backtest::v1::DataSpec& data) {
    if (!node) return;
    if (!node.IsMap()) {
      Problem("data", "must be a mapping with path and symbols");
      return;
    }
    CheckKeys(node, "data",
              {"path", "symbols", "start", "end", "on_bad_rows", "metadata"});
    const YAML::Node path = Required(node, "path", "data");
    if (path && path.IsScalar() &&
        absl::StripAsciiWhitespace(path.Scalar()).empty()) {
      Problem("data.path",
              "is empty; give the directory holding the SYMBOL.csv files "
              "('.' for the current one)");
    } else if (path && path.IsScalar()) {
      data.set_path(Resolve(path.Scalar(), "data.path"));
    } else if (path) {
      Problem("data.path", "must be a directory path");
    }
    ReadSymbols(Required(node, "symbols", "data"), data);
    // Relative to the spec, like data.path (the data stage would otherwise
    // read it relative to data.path).
    const std::string metadata = OptionalText(node, "metadata", "", "data");
    if (!metadata.empty()) {
      data.set_metadata(Resolve(metadata, "data.metadata"));
    }
    data.set_start(OptionalText(node, "start", "", "data"));
    data.set_end(OptionalText(node, "end", "", "data"));
    absl::StatusOr<int64_t> start = int64_t{0}, end = int64_t{0};
    if (!data.start().empty()) {
      start = ParseTime(data.start());
      if (!start.ok())
        Problem("data.start", std::string(start.status().message()));
    }
    if (!data.end().empty()) {
      end = ParseTime(data.end());
      if (!end.ok()) Problem("data.end", std::string(end.status().message()));
    }
    if (!data.start().empty() && !data.end().empty() && start.ok() &&
        end.ok() && *start > *end) {
      Problem("data.end", absl::StrCat("must not be before data.start (",
                                       data.start(), " > ", data.end(), ")"));
    }
    const std::string policy = absl::AsciiStrToLower(
        OptionalText(node, "on_bad_rows", "reject", "data"));
    if (policy == "reject") {
      data.set_on_bad_rows(backtest::v1::REJECT);
    } else if (policy == "drop") {
      data.set_on_bad_rows(backtest::v1::DROP);
    } else {
      Problem("data.on_bad_rows",
              absl::StrCat("must be reject or drop, got '", policy, "'"));
    }
  }

  void ReadSymbols(const YAML::Node& node, backtest::v1::DataSpec& data) {
    if (!node) return;
    if (!node.IsSequence()) {
      Problem("data.symbols", "must be a list, e.g. [ORCL, NVDA]");
      return;
    }
    if (node.size() == 0)
      Problem("data.symbols", "must list at least one symbol");
    std::set<std::string> seen;
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string field = absl::StrCat("data.symbols[", i, "]");
      if (!node[i].IsScalar() || node[i].Scalar().empty()) {
        Problem(field, "must be a symbol name");
        continue;
      }
      const std::string symbol = node[i].Scalar();
      if (!IsSymbolName(symbol)) {
        Problem(field, NotASymbol(symbol));
        continue;
      }
      if (!seen.insert(symbol).second) {
        Problem(field, absl::StrCat(symbol, " is listed twice"));
        continue;
      }
      data.add_symbols(symbol);
    }
  }

  // Several strategies: two or more entries, each with a unique id (default
  // its name) and an allocation (default an equal share of what the given
  // allocations leave).
  void ReadStrategies(const YAML::Node& node, BacktestSpec& spec) {
    if (!node.IsSequence() || node.size() < 2) {
      Problem("strategies",
              "must list two or more strategies (use strategy: for one)");
      return;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      ReadStrategy(node[i], absl::StrCat("strategies[", i, "]"),
                   *spec.add_strategies(), /*in_list=*/true);
    }
    std::map<std::string, int> ids;
    double allocated = 0;
    int unallocated = 0;
    for (int i = 0; i < spec.strategies_size(); ++i) {
      backtest::v1::StrategySpec& strategy = *spec.mutable_strategies(i);
      if (strategy.id().empty()) strategy.set_id(strategy.name());
      const auto [it, unique] = ids.emplace(strategy.id(), i);
      if (!unique) {
        Problem(absl::StrCat("strategies[", i, "].id"),
                absl::StrCat("\"", strategy.id(),
                             "\" is also the id of "
                             "strategies[",
                             it->second,
                             "]; give each strategy "
                             "a unique id (default: its name)"));
      }
      allocated += strategy.allocation();
      if (strategy.allocation() == 0) ++unallocated;
    }
    if (allocated > 1 + kAllocationSlack) {
      Problem("strategies",
              absl::StrCat("the allocations add up to ", allocated,
                           "; together they may have at most all of "
                           "portfolio.initial_cash (1)"));
      return;
    }
    if (unallocated == 0) return;
    const double share = (1 - allocated) / unallocated;
    if (share <= kAllocationSlack) {
      Problem(
          "strategies",
          absl::StrCat("the allocations given add up to ", allocated,
                       " and leave nothing for the ", unallocated, " strateg",
                       unallocated == 1 ? "y" : "ies", " without one"));
      return;
    }
    for (backtest::v1::StrategySpec& strategy : *spec.mutable_strategies()) {
      if (strategy.allocation() == 0) strategy.set_allocation(share);
    }
  }

  // One strategy at `path`: `strategy`, or an entry of `strategies`
  // (in_list), which may also have an id and an allocation.
  void ReadStrategy(const YAML::Node& node, const std::string& path,
                    backtest::v1::StrategySpec& strategy, bool in_list) {
    if (!node) return;
    if (!node.IsMap()) {
      Problem(path, "must be a mapping with name and params");
      return;
    }
    std::set<std::string> keys = {"name", "params", "address"};
    if (in_list) keys.insert({"id", "allocation"});
    CheckKeys(node, path, keys);
    const YAML::Node name = Required(node, "name", path);
    if (name && name.IsScalar()) strategy.set_name(name.Scalar());
    strategy.set_address(OptionalText(node, "address", "", path));
    if (!strategy.address().empty() && !IsHostPort(strategy.address())) {
      Problem(Path(path, "address"),
              absl::StrCat("must be host:port of a strategy service, got '",
                           strategy.address(), "'"));
    }
    if (in_list) {
      strategy.set_id(OptionalText(node, "id", "", path));
      const std::string allocation = OptionalText(node, "allocation", "", path);
      double fraction = 0;
      if (!allocation.empty() &&
          (!ParseNumber(allocation, /*fraction=*/true, &fraction) ||
           !(fraction > 0) || fraction > 1)) {
        Problem(Path(path, "allocation"),
                absl::StrCat("must be a fraction of portfolio.initial_cash "
                             "in (0, 1], got '",
                             allocation, "'"));
      } else {
        strategy.set_allocation(fraction);
      }
    }
    ReadParams(node["params"], Path(path, "params"),
               *strategy.mutable_params());
  }

  // A mapping of parameter: value (a strategy's or a factor's params).
  void ReadParams(const YAML::Node& params, const std::string& path,
                  google::protobuf::Map<std::string, backtest::v1::ParamValue>&
                      values) {
    if (!params || params.IsNull()) return;
    if (!params.IsMap()) {
      Problem(path, "must be a mapping of parameter: value");
      return;
    }
    for (const auto& entry : params) {
      const std::string key = entry.first.Scalar();
      ReadParamValue(entry.second, Path(path, key), values[key]);
    }
  }

  // One parameter value: a number, true/false, or text (quoted: always text).
  void ReadParamValue(const YAML::Node& value, const std::string& path,
                      backtest::v1::ParamValue& param) {
    if (!value.IsScalar()) {
      Problem(path, "must be a single number, text or true/false");
      return;
    }
    double number = 0;
    const bool quoted = value.Tag() == "!";
    const std::string lower = absl::AsciiStrToLower(value.Scalar());
    if (!quoted && absl::SimpleAtod(value.Scalar(), &number)) {
      param.set_number(number);
    } else if (!quoted && (lower == "true" || lower == "false")) {
      param.set_flag(lower == "true");
    } else {
      param.set_text(value.Scalar());
    }
  }

  void ReadPortfolio(const YAML::Node& node,
                     backtest::v1::PortfolioSpec& portfolio) {
    portfolio.set_initial_cash(kDefaultInitialCash);
    ReadSection(node, "portfolio", portfolio);
    auto& sizing = *portfolio.mutable_sizing();
    if (sizing.rule().empty()) sizing.set_rule(std::string(kDefaultSizingRule));
    if (sizing.rule() == "volatility_target" && sizing.lookback() == 0) {
      sizing.set_lookback(kDefaultVolatilityLookback);
    }
    auto& limits = *portfolio.mutable_limits();
    if (limits.on_breach().empty()) {
      limits.set_on_breach(std::string(kDefaultOnBreach));
    }
    auto& account = *portfolio.mutable_account();
    if (account.type().empty()) account.set_type(std::string(kDefaultAccount));
    if (account.type() == "margin") {
      if (account.initial_margin() == 0) {
        account.set_initial_margin(kDefaultInitialMargin);
      }
      if (account.maintenance_margin() == 0) {
        account.set_maintenance_margin(kDefaultMaintenanceMargin);
      }
    }
  }

  void ReadExecution(const YAML::Node& node,
                     backtest::v1::ExecutionSpec& execution) {
    ReadSection(node, "execution", execution);
    auto& commission = *execution.mutable_commission();
    auto& slippage = *execution.mutable_slippage();
    if (commission.model().empty()) {
      commission.set_model(std::string(kDefaultCostModel));
    }
    if (slippage.model().empty()) {
      slippage.set_model(std::string(kDefaultCostModel));
    }
    if (slippage.model() == "atr_fraction" && slippage.atr_length() == 0) {
      slippage.set_atr_length(kDefaultAtrLength);
    }
    if (execution.same_bar_policy().empty()) {
      execution.set_same_bar_policy(std::string(kDefaultSameBarPolicy));
    }
    if (execution.fill_timing().empty()) {
      execution.set_fill_timing(std::string(kDefaultFillTiming));
    }
  }

  // Reads a section whose keys are exactly the fields of `message` (nested
  // sections, lists and maps included), reporting every unknown key and every
  // value of the wrong kind with its path. Fields the section leaves out keep
  // their value in `message`.
  void ReadSection(const YAML::Node& node, const std::string& path,
                   google::protobuf::Message& message) {
    if (!node || node.IsNull()) return;
    const google::protobuf::Descriptor& descriptor = *message.GetDescriptor();
    if (!node.IsMap()) {
      Problem(path, "must be a mapping");
      return;
    }
    std::set<std::string> known;
    for (int i = 0; i < descriptor.field_count(); ++i) {
      known.insert(descriptor.field(i)->name());
    }
    CheckKeys(node, path, known);
    const google::protobuf::Reflection& reflection = *message.GetReflection();
    for (const auto& entry : node) {
      const google::protobuf::FieldDescriptor* field =
          descriptor.FindFieldByName(entry.first.Scalar());
      if (field == nullptr) continue;  // reported by CheckKeys
      const std::string field_path = Path(path, field->name());
      const YAML::Node value = entry.second;
      if (value.IsNull()) continue;
      if (field->is_map()) {
        ReadMap(value, field_path, message, *field);
      } else if (field->is_repeated()) {
        if (!value.IsSequence()) {
          Problem(field_path, "must be a list");
          continue;
        }
        reflection.ClearField(&message, field);
        for (size_t i = 0; i < value.size(); ++i) {
          AddValue(value[i], absl::StrCat(field_path, "[", i, "]"), message,
                   *field);
        }
      } else if (field->cpp_type() ==
                 google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        ReadSection(value, field_path,
                    *reflection.MutableMessage(&message, field));
      } else {
        SetScalar(value, field_path, message, *field, /*add=*/false);
      }
    }
  }

  void AddValue(const YAML::Node& value, const std::string& path,
                google::protobuf::Message& message,
                const google::protobuf::FieldDescriptor& field) {
    if (field.cpp_type() ==
        google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      ReadSection(value, path,
                  *message.GetReflection()->AddMessage(&message, &field));
    } else {
      SetScalar(value, path, message, field, /*add=*/true);
    }
  }

  // map<string, scalar> fields: a mapping of key: value.
  void ReadMap(const YAML::Node& node, const std::string& path,
               google::protobuf::Message& message,
               const google::protobuf::FieldDescriptor& field) {
    if (!node.IsMap()) {
      Problem(path, "must be a mapping of name: value");
      return;
    }
    const google::protobuf::Reflection& reflection = *message.GetReflection();
    reflection.ClearField(&message, &field);
    const google::protobuf::FieldDescriptor& key_field =
        *field.message_type()->map_key();
    const google::protobuf::FieldDescriptor& value_field =
        *field.message_type()->map_value();
    for (const auto& entry : node) {
      google::protobuf::Message& pair =
          *reflection.AddMessage(&message, &field);
      pair.GetReflection()->SetString(&pair, &key_field, entry.first.Scalar());
      SetScalar(entry.second, absl::StrCat(path, ".", entry.first.Scalar()),
                pair, value_field, /*add=*/false);
    }
  }

  // One scalar value (set, or appended to a repeated field when `add`).
  void SetScalar(const YAML::Node& value, const std::string& path,
                 google::protobuf::Message& message,
                 const google::protobuf::FieldDescriptor& field, bool add) {
    using google::protobuf::FieldDescriptor;
    const google::protobuf::Reflection& reflection = *message.GetReflection();
    if (!value.IsScalar()) {
      Problem(path, "must be a single value");
      return;
    }
    const std::string& text = value.Scalar();
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        add ? reflection.AddString(&message, &field, text)
            : reflection.SetString(&message, &field, text);
        return;
      case FieldDescriptor::CPPTYPE_BOOL: {
        const std::string lower = absl::AsciiStrToLower(text);
        if (lower != "true" && lower != "false") {
          Problem(path,
                  absl::StrCat("must be true or false, got '", text, "'"));
          return;
        }
        add ? reflection.AddBool(&message, &field, lower == "true")
            : reflection.SetBool(&message, &field, lower == "true");
        return;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        double number = 0;
        if (!ParseNumber(text, IsFractionField(field), &number)) {
          Problem(path,
                  absl::StrCat("must be a number",
                               IsFractionField(field) ? " or a percentage" : "",
                               ", got '", text, "'"));
          return;
        }
        if (field.cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
          add ? reflection.AddFloat(&message, &field,
                                    static_cast<float>(number))
              : reflection.SetFloat(&message, &field,
                                    static_cast<float>(number));
        } else {
          add ? reflection.AddDouble(&message, &field, number)
              : reflection.SetDouble(&message, &field, number);
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64: {
        int64_t number = 0;
        const bool is_unsigned =
            field.cpp_type() == FieldDescriptor::CPPTYPE_UINT32 ||
            field.cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
        const bool is_32 = field.cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
                           field.cpp_type() == FieldDescriptor::CPPTYPE_UINT32;
        if (!absl::SimpleAtoi(text, &number) || (is_unsigned && number < 0) ||
            (is_32 && (number > std::numeric_limits<int32_t>::max() ||
                       number < std::numeric_limits<int32_t>::min()))) {
          Problem(path, absl::StrCat("must be a whole number",
                                     is_unsigned ? " >= 0" : "", ", got '",
                                     text, "'"));
          return;
        }
        SetInteger(message, field, number, add);
        return;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const google::protobuf::EnumValueDescriptor* enum_value =
            field.enum_type()->FindValueByName(absl::AsciiStrToUpper(text));
        if (enum_value == nullptr || enum_value->number() == 0) {
          std::vector<std::string> choices;
          for (int i = 1; i < field.enum_type()->value_count(); ++i) {
            choices.push_back(
                absl::AsciiStrToLower(field.enum_type()->value(i)->name()));
          }
          Problem(path,
                  absl::StrCat("must be one of ", absl::StrJoin(choices, ", "),
                               "; got '", text, "'"));
          return;
        }
        add ? reflection.AddEnum(&message, &field, enum_value)
            : reflection.SetEnum(&message, &field, enum_value);
        return;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
    Problem(path, "must be a section");
  }

  static void SetInteger(google::protobuf::Message& message,
                         const google::protobuf::FieldDescriptor& field,
                         int64_t number, bool add) {
    using google::protobuf::FieldDescriptor;
    const google::protobuf::Reflection& reflection = *message.GetReflection();
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        add ? reflection.AddInt32(&message, &field,
                                  static_cast<int32_t>(number))
            : reflection.SetInt32(&message, &field,
                                  static_cast<int32_t>(number));
        return;
      case FieldDescriptor::CPPTYPE_UINT32:
        add ? reflection.AddUInt32(&message, &field,
                                   static_cast<uint32_t>(number))
            : reflection.SetUInt32(&message, &field,
                                   static_cast<uint32_t>(number));
        return;
      case FieldDescriptor::CPPTYPE_UINT64:
        add ? reflection.AddUInt64(&message, &field,
                                   static_cast<uint64_t>(number))
            : reflection.SetUInt64(&message, &field,
                                   static_cast<uint64_t>(number));
        return;
      default:
        add ? reflection.AddInt64(&message, &field, number)
            : reflection.SetInt64(&message, &field, number);
    }
  }

  // The research blocks (docs/research.md): sweep, walk_forward, factors.
  // Their meaning is checked where the strategy's schema and the data are
  // known (research/); here only their shape.
  void ReadResearch(const YAML::Node& root, BacktestSpec& spec) {
    if (const YAML::Node sweep = root["sweep"]; sweep && !sweep.IsNull()) {
      ReadSweep(sweep, *spec.mutable_sweep());
    }
    if (const YAML::Node walk = root["walk_forward"]; walk && !walk.IsNull()) {
      ReadSection(walk, "walk_forward", *spec.mutable_walk_forward());
      if (!spec.has_sweep()) {
        Problem("walk_forward",
                "needs a sweep block: the sweep's points are the parameters "
                "each in-sample window chooses from");
      }
    }
    if (const YAML::Node factors = root["factors"];
        factors && !factors.IsNull()) {
      ReadFactorStudy(factors, *spec.mutable_factors());
    }
  }

  void ReadSweep(const YAML::Node& node, backtest::v1::SweepSpec& sweep) {
    if (!node.IsMap()) {
      Problem("sweep", "must be a mapping with grid or random, and objective");
      return;
    }
    CheckKeys(node, "sweep",
              {"grid", "random", "constraints", "objective", "goal",
               "min_trades", "strategy"});
    const YAML::Node grid = node["grid"];
    const YAML::Node random = node["random"];
    const bool has_grid = grid && !grid.IsNull();
    const bool has_random = random && !random.IsNull();
    if (has_grid == has_random) {
      Problem("sweep", "give exactly one of grid (every combination) and "
                       "random (seeded samples)");
    }
    if (has_grid) ReadAxes(grid, "sweep.grid", *sweep.mutable_grid());
    if (has_random) {
      if (!random.IsMap()) {
        Problem("sweep.random", "must be a mapping with samples, seed and "
                                "params");
      } else {
        CheckKeys(random, "sweep.random", {"samples", "seed", "params"});
        YAML::Node scalars = YAML::Clone(random);
        scalars.remove("params");
        ReadSection(scalars, "sweep.random", *sweep.mutable_random());
        ReadAxes(Required(random, "params", "sweep.random"),
                 "sweep.random.params",
                 *sweep.mutable_random()->mutable_params());
      }
    }
    YAML::Node rest = YAML::Clone(node);
    rest.remove("grid");
    rest.remove("random");
    ReadSection(rest, "sweep", sweep);
    if (sweep.objective().empty()) {
      sweep.set_objective(std::string(kDefaultObjective));
    }
    if (sweep.goal().empty()) sweep.set_goal(std::string(kDefaultGoal));
    if (sweep.goal() != "maximize" && sweep.goal() != "minimize") {
      Problem("sweep.goal", absl::StrCat("must be maximize or minimize, got '",
                                         sweep.goal(), "'"));
    }
    if (sweep.min_trades() < 0) {
      Problem("sweep.min_trades", "must be 0 or more");
    }
  }

  // A mapping of param: axis, where an axis is a list of values or a
  // mapping {from, to, step} / {min, max, step} / {values}.
  void ReadAxes(const YAML::Node& node, const std::string& path,
                google::protobuf::Map<std::string, backtest::v1::SweepAxis>&
                    axes) {
    if (!node) return;
    if (!node.IsMap() || node.size() == 0) {
      Problem(path, "must map each swept parameter to its values, e.g. "
                    "{fast: [5, 10], slow: {from: 30, to: 50, step: 10}}");
      return;
    }
    for (const auto& entry : node) {
      const std::string name = entry.first.Scalar();
      const std::string axis_path = Path(path, name);
      backtest::v1::SweepAxis& axis = axes[name];
      const YAML::Node& value = entry.second;
      if (value.IsSequence()) {
        for (size_t i = 0; i < value.size(); ++i) {
          ReadParamValue(value[i], absl::StrCat(axis_path, "[", i, "]"),
                         *axis.add_values());
        }
      } else if (value.IsMap()) {
        YAML::Node bounds = YAML::Clone(value);
        const YAML::Node values = value["values"];
        bounds.remove("values");
        ReadSection(bounds, axis_path, axis);
        if (values && values.IsSequence()) {
          for (size_t i = 0; i < values.size(); ++i) {
            ReadParamValue(values[i],
                           absl::StrCat(axis_path, ".values[", i, "]"),
                           *axis.add_values());
          }
        } else if (values && !values.IsNull()) {
          Problem(Path(axis_path, "values"), "must be a list");
        }
      } else {
        Problem(axis_path, "must be a list of values or a range {from, to, "
                           "step}");
      }
    }
  }

  void ReadFactorStudy(const YAML::Node& node,
                       backtest::v1::FactorStudySpec& study) {
    if (!node.IsMap()) {
      Problem("factors", "must be a mapping with evaluate (the factors) and "
                         "horizon");
      return;
    }
    YAML::Node rest = YAML::Clone(node);
    rest.remove("evaluate");
    ReadSection(rest, "factors", study);
    const YAML::Node evaluate = Required(node, "evaluate", "factors");
    if (!evaluate) return;
    if (!evaluate.IsSequence() || evaluate.size() == 0) {
      Problem("factors.evaluate",
              "must list factors, e.g. [momentum_12_1, {name: rsi, params: "
              "{length: 14}}]");
      return;
    }
    for (size_t i = 0; i < evaluate.size(); ++i) {
      const std::string path = absl::StrCat("factors.evaluate[", i, "]");
      backtest::v1::FactorSpec& factor = *study.add_evaluate();
      if (evaluate[i].IsScalar()) {
        factor.set_name(evaluate[i].Scalar());
        continue;
      }
      if (!evaluate[i].IsMap()) {
        Problem(path, "must be a factor name or {name, params}");
        continue;
      }
      CheckKeys(evaluate[i], path, {"name", "params"});
      const YAML::Node name = Required(evaluate[i], "name", path);
      if (name && name.IsScalar()) factor.set_name(name.Scalar());
      ReadParams(evaluate[i]["params"], Path(path, "params"),
                 *factor.mutable_params());
    }
  }

  // The section's fields by ReadSection (whole numbers, a seed >= 0), then
  // the ranges their types do not carry.
  void ReadMetrics(const YAML::Node& node, backtest::v1::MetricsSpec& metrics) {
    metrics.set_bootstrap_resamples(kDefaultBootstrapResamples);
    metrics.set_bootstrap_seed(kDefaultBootstrapSeed);
    ReadSection(node, "metrics", metrics);
    if (!metrics.benchmark().empty() && !IsSymbolName(metrics.benchmark())) {
      Problem("metrics.benchmark", NotASymbol(metrics.benchmark()));
    }
    const double rate = metrics.risk_free_rate();
    if (rate <= -1 || rate >= 1) {
      Problem("metrics.risk_free_rate",
              absl::StrCat("must be an annual rate in (-1, 1), e.g. 0.02; got ",
                           rate));
    }
    const int resamples = metrics.bootstrap_resamples();
    if (resamples < 0 || resamples > kMaxBootstrapResamples) {
      Problem(
          "metrics.bootstrap_resamples",
          absl::StrCat("must be a whole number in [0, ", kMaxBootstrapResamples,
                       "] (0: no intervals); got ", resamples));
    }
  }

  std::string base_dir_;
  std::vector<FieldProblem> problems_;
};

}  // namespace

bool IsHostPort(absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  const absl::string_view port = address.substr(colon + 1);
  int number = 0;
  return !port.empty() &&
         port.find_first_not_of("0123456789") == absl::string_view::npos &&
         absl::SimpleAtoi(port, &number) && number >= 1 && number <= 65535;
}

absl::StatusOr<BacktestSpec> ParseSpec(absl::string_view text,
                                       absl::string_view base_dir) {
  // Refused before parsing: too large, or not UTF-8 (every string of a spec
  // ends up in protobuf strings and in the results).
  if (static_cast<int64_t>(text.size()) > limits::kMaxSpecBytes) {
    return InvalidFields(
        kStage, "INVALID_SPEC",
        {{"(spec)", absl::StrCat("is ", text.size(), " bytes; the limit is ",
                                 limits::kMaxSpecBytes)}});
  }
  if (const std::optional<size_t> bad = FirstInvalidUtf8(text)) {
    return InvalidFields(
        kStage, "INVALID_SPEC",
        {{"(spec)",
          absl::StrCat("line ",
                       1 + std::count(text.begin(), text.begin() + *bad, '\n'),
                       ": ", DescribeInvalidByte(text, *bad),
                       "; a spec is UTF-8 text")}});
  }
  if (text.find('\0') != absl::string_view::npos) {
    return InvalidFields(
        kStage, "INVALID_SPEC",
        {{"(spec)", absl::StrCat("has a NUL byte at byte offset ",
                                 text.find('\0'), "; a spec is YAML text")}});
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    return InvalidFields(
        kStage, "INVALID_SPEC",
        {{"(spec)",
          absl::StrCat("not valid YAML at line ", error.mark.line + 1,
                       ", column ", error.mark.column + 1, ": ", error.msg)}});
  }
  BacktestSpec spec;
  SpecReader reader{std::string(base_dir)};
  try {
    ShapeChecker(reader.problems()).Check(root, "", 0);
    if (!reader.problems().empty()) {
      return InvalidFields(kStage, "INVALID_SPEC", reader.problems());
    }
    reader.Read(root, spec);
  } catch (const YAML::Exception& error) {
    reader.problems().push_back(
        {"(spec)", absl::StrCat("unexpected structure at line ",
                                error.mark.line + 1, ": ", error.msg)});
  }
  if (!reader.problems().empty()) {
    return InvalidFields(kStage, "INVALID_SPEC", reader.problems());
  }
  return spec;
}

absl::StatusOr<std::string> CanonicalSpecJson(const BacktestSpec& spec) {
  // Deterministic binary serialization sorts map keys; printing JSON from it
  // keeps that order, so equal specs always give identical text.
  std::string binary;
  {
    google::protobuf::io::StringOutputStream stream(&binary);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    spec.SerializeToCodedStream(&coded);
  }
  static constexpr char kUrlPrefix[] = "type.googleapis.com";
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver(
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          kUrlPrefix, google::protobuf::DescriptorPool::generated_pool()));
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::BinaryToJsonString(
      resolver.get(),
      absl::StrCat(kUrlPrefix, "/", BacktestSpec::descriptor()->full_name()),
      binary, &json, options);
  if (!status.ok()) {
    return StageFailure(absl::StatusCode::kInternal, kStage,
                        "SPEC_NOT_PRINTABLE",
                        absl::StrCat("could not print the canonical spec: ",
                                     status.ToString()));
  }
  return json;
}

}  // namespace seed::coordinator
