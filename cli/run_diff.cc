#include "cli/run_diff.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "backtest/v1/spec.pb.h"
#include "cli/report.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"

namespace seed::cli {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::util::MessageDifferencer;

constexpr char kMissing[] = "(none)";

// ---- spec diff ----

// A message whose fields all belong to one oneof is a single value
// (ParamValue): diffed as what it holds, not field by field.
bool IsOneValue(const Descriptor& type) {
  return type.oneof_decl_count() == 1 &&
         type.oneof_decl(0)->field_count() == type.field_count();
}

// The value of `field` (element `index` when repeated, else -1).
std::string ValueText(const Message& message, const FieldDescriptor* field,
                      int index = -1) {
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
      IsOneValue(*field->message_type())) {
    const Message& value =
        index < 0 ? message.GetReflection()->GetMessage(message, field)
                  : message.GetReflection()->GetRepeatedMessage(message, field,
                                                                index);
    const FieldDescriptor* held =
        value.GetReflection()->GetOneofFieldDescriptor(
            value, field->message_type()->oneof_decl(0));
    return held == nullptr ? "(unset)" : ValueText(value, held);
  }
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  std::string text;
  printer.PrintFieldValueToString(message, field, index, &text);
  return text;
}

std::string ListText(const Message& message, const FieldDescriptor* field) {
  std::vector<std::string> items;
  const int size = message.GetReflection()->FieldSize(message, field);
  for (int i = 0; i < size; ++i) items.push_back(ValueText(message, field, i));
  return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
}

void AddIfDifferent(const std::string& path, std::string before,
                    std::string after, std::vector<FieldChange>* changes) {
  if (before != after) {
    changes->push_back({path, std::move(before), std::move(after)});
  }
}

void DiffMessages(const Message& before, const Message& after,
                  const std::string& prefix, std::vector<FieldChange>* changes);

// A map's entries by key text (a string key as it is, unquoted).
std::map<std::string, const Message*> MapEntries(const Message& message,
                                                 const FieldDescriptor* field) {
  std::map<std::string, const Message*> entries;
  const FieldDescriptor* key = field->message_type()->map_key();
  const int size = message.GetReflection()->FieldSize(message, field);
  for (int i = 0; i < size; ++i) {
    const Message& entry =
        message.GetReflection()->GetRepeatedMessage(message, field, i);
    entries[key->type() == FieldDescriptor::TYPE_STRING
                ? entry.GetReflection()->GetString(entry, key)
                : ValueText(entry, key)] = &entry;
  }
  return entries;
}

void DiffMaps(const Message& before, const Message& after,
              const FieldDescriptor* field, const std::string& path,
              std::vector<FieldChange>* changes) {
  const std::map<std::string, const Message*> old_entries =
      MapEntries(before, field);
  const std::map<std::string, const Message*> new_entries =
      MapEntries(after, field);
  std::set<std::string> keys;
  for (const auto* entries : {&old_entries, &new_entries}) {
    for (const auto& [key, entry] : *entries) keys.insert(key);
  }
  const FieldDescriptor* value = field->message_type()->map_value();
  const bool nested = value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                      !IsOneValue(*value->message_type());
  for (const std::string& key : keys) {
    const std::string entry_path = absl::StrCat(path, ".", key);
    const auto old_entry = old_entries.find(key);
    const auto new_entry = new_entries.find(key);
    const bool both =
        old_entry != old_entries.end() && new_entry != new_entries.end();
    if (both && nested) {
      const Message& old_value = old_entry->second->GetReflection()->GetMessage(
          *old_entry->second, value);
      const Message& new_value = new_entry->second->GetReflection()->GetMessage(
          *new_entry->second, value);
      DiffMessages(old_value, new_value, entry_path, changes);
      continue;
    }
    AddIfDifferent(
        entry_path,
        old_entry == old_entries.end() ? kMissing
                                       : ValueText(*old_entry->second, value),
        new_entry == new_entries.end() ? kMissing
                                       : ValueText(*new_entry->second, value),
        changes);
  }
}

void DiffMessages(const Message& before, const Message& after,
                  const std::string& prefix,
                  std::vector<FieldChange>* changes) {
  const Descriptor* type = before.GetDescriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const std::string path = prefix.empty()
                                 ? field->name()
                                 : absl::StrCat(prefix, ".", field->name());
    if (field->is_map()) {
      DiffMaps(before, after, field, path, changes);
    } else if (field->is_repeated()) {
      AddIfDifferent(path, ListText(before, field), ListText(after, field),
                     changes);
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
               !IsOneValue(*field->message_type())) {
      DiffMessages(before.GetReflection()->GetMessage(before, field),
                   after.GetReflection()->GetMessage(after, field), path,
                   changes);
    } else {
      AddIfDifferent(path, ValueText(before, field), ValueText(after, field),
                     changes);
    }
  }
}

absl::StatusOr<v1::BacktestSpec> ParseSpec(absl::string_view json,
                                           absl::string_view which) {
  v1::BacktestSpec spec;
  if (json.empty()) return spec;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &spec);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat(
        "the stored spec of run ", which,
        " is not a backtest.v1.BacktestSpec in JSON (", status.ToString(),
        "); was the database written by another version of bt?"));
  }
  return spec;
}

// ---- metrics tables ----

enum class Unit { kPercent, kLoss, kRatio, kMoney, kCount };

struct MetricRow {
  const char* label;
  const char* field;  // in backtest.v1.Metrics
  Unit unit;
};

// What bt's summary table shows (report.h FormatSummary).
constexpr MetricRow kHeadlineMetrics[] = {
    {"total return", "total_return", Unit::kPercent},
    {"CAGR", "cagr", Unit::kPercent},
    {"Sharpe", "sharpe", Unit::kRatio},
    {"max drawdown", "max_drawdown", Unit::kLoss},
    {"trades", "trades", Unit::kCount},
    {"win rate", "win_rate", Unit::kPercent},
    {"profit factor", "profit_factor", Unit::kRatio},
    {"final equity", "final_equity", Unit::kMoney},
};

constexpr MetricRow kComparedMetrics[] = {
    {"Sortino", "sortino", Unit::kRatio},
    {"Calmar", "calmar", Unit::kRatio},
    {"expectancy", "expectancy", Unit::kMoney},
    {"exposure", "exposure", Unit::kPercent},
};

// A run's value of `row`, unset when the run measured none (it failed
// before reading data, or the metric is undefined for it).
std::optional<double> MetricValue(const v1::RunSummary& run,
                                  const MetricRow& row) {
  if (!run.has_metrics() || run.first_time().empty()) return std::nullopt;
  const v1::Metrics& metrics = run.metrics();
  const FieldDescriptor* field =
      v1::Metrics::descriptor()->FindFieldByName(row.field);
  const auto* reflection = metrics.GetReflection();
  if (field->has_presence() && !reflection->HasField(metrics, field)) {
    return std::nullopt;
  }
  return field->cpp_type() == FieldDescriptor::CPPTYPE_INT64
             ? static_cast<double>(reflection->GetInt64(metrics, field))
             : reflection->GetDouble(metrics, field);
}

// A drawdown is stored as a positive fraction and shown as a loss.
double Shown(Unit unit, double value) {
  switch (unit) {
    case Unit::kPercent:
      return value * 100;
    case Unit::kLoss:
      return value == 0 ? 0 : -value * 100;
    default:
      return value;
  }
}

std::string FormatValue(Unit unit, std::optional<double> value) {
  if (!value.has_value()) return "-";
  const double shown = Shown(unit, *value);
  switch (unit) {
    case Unit::kPercent:
    case Unit::kLoss:
      return absl::StrFormat("%.2f%%", shown);
    case Unit::kCount:
      return absl::StrFormat("%.0f", shown);
    default:
      return absl::StrFormat("%.2f", shown);
  }
}

// B minus A; percentages in percentage points.
std::string FormatDifference(Unit unit, std::optional<double> before,
                             std::optional<double> after) {
  if (!before.has_value() || !after.has_value()) return "-";
  if (*before == *after) return "=";
  const double change = Shown(unit, *after) - Shown(unit, *before);
  switch (unit) {
    case Unit::kPercent:
    case Unit::kLoss:
      return absl::StrFormat("%+.2f pp", change);
    case Unit::kCount:
      return absl::StrFormat("%+.0f", change);
    default:
      return absl::StrFormat("%+.2f", change);
  }
}

using Table = std::vector<std::vector<std::string>>;

// Indented, the first column left-aligned, the others right-aligned, each
// as wide as its widest cell.
std::string FormatTable(const Table& rows) {
  std::vector<size_t> widths;
  for (const std::vector<std::string>& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const std::vector<std::string>& row : rows) {
    std::string line = absl::StrFormat("  %-*s", widths[0], row[0]);
    for (size_t i = 1; i < row.size(); ++i) {
      absl::StrAppend(&line, absl::StrFormat("  %*s", widths[i], row[i]));
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

// ---- run diff ----

std::vector<std::string> Missing(const v1::RunSummary& from,
                                 const v1::RunSummary& in) {
  const std::set<std::string> present(in.symbols().begin(), in.symbols().end());
  std::vector<std::string> missing;
  for (const std::string& symbol : from.symbols()) {
    if (present.count(symbol) == 0) missing.push_back(symbol);
  }
  return missing;
}

std::optional<FieldChange> Change(const std::string& path,
                                  const std::string& before,
                                  const std::string& after) {
  if (before == after) return std::nullopt;
  return FieldChange{path, before, after};
}

std::string ChangeLine(const FieldChange& change) {
  return absl::StrCat("  ", change.path, ": ", change.before, " -> ",
                      change.after, "\n");
}

std::string TradeLine(const char* label,
                      const std::optional<v1::Trade>& trade) {
  return absl::StrCat("    ", label, ": ",
                      trade.has_value() ? FormatTrade(*trade) : "(no trade)",
                      "\n");
}

}  // namespace

absl::StatusOr<std::vector<FieldChange>> DiffSpecs(absl::string_view before,
                                                   absl::string_view after) {
  absl::StatusOr<v1::BacktestSpec> old_spec = ParseSpec(before, "A");
  if (!old_spec.ok()) return old_spec.status();
  absl::StatusOr<v1::BacktestSpec> new_spec = ParseSpec(after, "B");
  if (!new_spec.ok()) return new_spec.status();
  std::vector<FieldChange> changes;
  DiffMessages(*old_spec, *new_spec, "", &changes);
  return changes;
}

bool RunDiff::identical() const {
  return spec.empty() && symbols_added.empty() && symbols_removed.empty() &&
         symbols_changed.empty() && data_range.empty() && !engine.has_value() &&
         !state.has_value() && !metrics_differ && !trade.has_value();
}

absl::StatusOr<RunDiff> DiffRuns(const v1::GetRunResponse& before,
                                 const v1::GetRunResponse& after) {
  RunDiff diff;
  absl::StatusOr<std::vector<FieldChange>> spec =
      DiffSpecs(before.canonical_spec(), after.canonical_spec());
  if (!spec.ok()) return spec.status();
  diff.spec = *std::move(spec);

  const v1::RunSummary& a = before.run();
  const v1::RunSummary& b = after.run();
  diff.symbols_added = Missing(b, a);
  diff.symbols_removed = Missing(a, b);
  // Only symbols both runs hashed: a run that failed before reading a file
  // has no hash for it, which says nothing about the file's content.
  for (const std::string& symbol : a.symbols()) {
    const auto old_hash = before.symbol_hashes().find(symbol);
    const auto new_hash = after.symbol_hashes().find(symbol);
    if (old_hash != before.symbol_hashes().end() &&
        new_hash != after.symbol_hashes().end() &&
        old_hash->second != new_hash->second) {
      diff.symbols_changed.push_back(symbol);
    }
  }
  for (auto change : {Change("first_time", a.first_time(), b.first_time()),
                      Change("last_time", a.last_time(), b.last_time())}) {
    if (change.has_value()) diff.data_range.push_back(*std::move(change));
  }
  diff.engine =
      Change("engine_version", a.engine_version(), b.engine_version());

  diff.state = Change("state", v1::RunState_Name(a.state()),
                      v1::RunState_Name(b.state()));
  diff.metrics_differ = !MessageDifferencer::Equals(a.metrics(), b.metrics());
  const int common = std::min(before.trades_size(), after.trades_size());
  int index = 0;
  while (index < common && MessageDifferencer::Equals(before.trades(index),
                                                      after.trades(index))) {
    ++index;
  }
  if (index < std::max(before.trades_size(), after.trades_size())) {
    TradeDifference& trade = diff.trade.emplace();
    trade.index = index;
    if (index < before.trades_size()) trade.before = before.trades(index);
    if (index < after.trades_size()) trade.after = after.trades(index);
  }
  return diff;
}

std::string FormatRunDiff(const RunDiff& diff, const v1::GetRunResponse& before,
                          const v1::GetRunResponse& after) {
  const v1::RunSummary& a = before.run();
  const v1::RunSummary& b = after.run();
  std::string out = absl::StrCat("A  ", a.run_id(), "  ", a.name(), "\nB  ",
                                 b.run_id(), "  ", b.name(), "\n");
  if (diff.identical()) {
    absl::StrAppend(&out,
                    "no differences: spec, data, code and results are the "
                    "same (",
                    before.trades_size(), " trades)\n");
    return out;
  }

  if (diff.spec.empty()) {
    absl::StrAppend(&out, "spec: same\n");
  } else {
    absl::StrAppend(&out, "spec\n");
    for (const FieldChange& change : diff.spec) {
      absl::StrAppend(&out, ChangeLine(change));
    }
  }

  if (diff.symbols_added.empty() && diff.symbols_removed.empty() &&
      diff.symbols_changed.empty() && diff.data_range.empty()) {
    absl::StrAppend(&out, "data: same\n");
  } else {
    absl::StrAppend(&out, "data\n");
    const std::pair<const char*, const std::vector<std::string>*> lists[] = {
        {"symbols added", &diff.symbols_added},
        {"symbols removed", &diff.symbols_removed},
        {"content changed (hash differs)", &diff.symbols_changed}};
    for (const auto& [label, symbols] : lists) {
      if (symbols->empty()) continue;
      absl::StrAppend(&out, "  ", label, ": ", absl::StrJoin(*symbols, ", "),
                      "\n");
    }
    for (const FieldChange& change : diff.data_range) {
      absl::StrAppend(&out, ChangeLine(change));
    }
  }

  if (diff.engine.has_value()) {
    absl::StrAppend(&out, "code\n", ChangeLine(*diff.engine));
  } else {
    absl::StrAppend(&out, "code: same (engine ", a.engine_version(), ")\n");
  }

  if (!diff.state.has_value() && !diff.metrics_differ &&
      !diff.trade.has_value()) {
    absl::StrAppend(&out, "results: same (", before.trades_size(),
                    " trades)\n");
    return out;
  }
  absl::StrAppend(&out, "results\n");
  if (diff.state.has_value()) absl::StrAppend(&out, ChangeLine(*diff.state));
  if (diff.metrics_differ) {
    Table table = {{"", "A", "B", "B - A"}};
    for (const MetricRow& row : kHeadlineMetrics) {
      const std::optional<double> old_value = MetricValue(a, row);
      const std::optional<double> new_value = MetricValue(b, row);
      table.push_back({row.label, FormatValue(row.unit, old_value),
                       FormatValue(row.unit, new_value),
                       FormatDifference(row.unit, old_value, new_value)});
    }
    absl::StrAppend(&out, FormatTable(table));
  } else {
    absl::StrAppend(&out, "  metrics identical\n");
  }
  if (diff.trade.has_value()) {
    absl::StrAppend(
        &out, "  first differing trade: #", diff.trade->index + 1, " (A has ",
        before.trades_size(), " trades, B has ", after.trades_size(), ")\n",
        TradeLine("A", diff.trade->before), TradeLine("B", diff.trade->after));
  } else {
    absl::StrAppend(&out, "  trades identical (", before.trades_size(), ")\n");
  }
  return out;
}

std::string FormatComparison(const std::vector<v1::RunSummary>& runs) {
  Table table = {{"run"}, {"name"}};
  for (const v1::RunSummary& run : runs) {
    table[0].push_back(run.run_id());
    table[1].push_back(run.name());
  }
  for (absl::Span<const MetricRow> rows :
       {absl::MakeConstSpan(kHeadlineMetrics),
        absl::MakeConstSpan(kComparedMetrics)}) {
    for (const MetricRow& row : rows) {
      std::vector<std::string>& cells = table.emplace_back();
      cells.push_back(row.label);
      for (const v1::RunSummary& run : runs) {
        cells.push_back(FormatValue(row.unit, MetricValue(run, row)));
      }
    }
  }
  return FormatTable(table);
}

}  // namespace seed::cli
