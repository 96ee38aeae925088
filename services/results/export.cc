#include "services/results/export.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/csv_text.h"
#include "common/json_text.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "services/results/spec_strategies.h"

namespace seed::results {
namespace {

using ::backtest::v1::GetRunResponse;
using ::backtest::v1::Trade;

constexpr absl::string_view kStage = "results";
// The exit reason written for a trade still open at the end of the run.
constexpr absl::string_view kOpenExitReason = "open";

// JSON has no NaN or infinity: those become null.
std::string JsonNumber(double value) {
  return std::isfinite(value) ? PlainDecimal(value) : "null";
}

std::string TradeRow(const Trade& trade) {
  const bool open = trade.exit_time() == 0;
  return absl::StrJoin(
      {CsvField(trade.symbol()),
       std::string(trade.side() == backtest::v1::BUY ? "long" : "short"),
       FormatTime(trade.entry_time()), PlainDecimal(trade.entry_price()),
       open ? std::string() : FormatTime(trade.exit_time()),
       PlainDecimal(trade.exit_price()), PlainDecimal(trade.quantity()),
       PlainDecimal(trade.gross_pnl()), PlainDecimal(trade.commission()),
       PlainDecimal(trade.net_pnl()),
       CsvField(open ? kOpenExitReason : trade.exit_reason()),
       trade.has_r_multiple() ? PlainDecimal(trade.r_multiple())
                              : std::string(),
       PlainDecimal(trade.borrow_fees()), PlainDecimal(trade.slippage()),
       PlainDecimal(trade.mae()), PlainDecimal(trade.mfe()),
       PlainDecimal(trade.initial_stop())},
      ",");
}

// A run of several strategies: their ids by strategy index. Empty for a run
// of one, whose files have no strategy column.
using StrategyIds = std::vector<std::string>;

// ",strategy" in a run of several strategies; nothing in a run of one.
std::string StrategyHeader(const StrategyIds& ids) {
  return ids.empty() ? "" : ",strategy";
}

// The strategy column of a record whose strategy is `index`: its id (the
// index itself if the spec has no such strategy).
std::string StrategyColumn(const StrategyIds& ids, int index) {
  if (ids.empty()) return "";
  const bool known = index >= 0 && index < static_cast<int>(ids.size());
  return absl::StrCat(",", known ? CsvField(ids[index]) : absl::StrCat(index));
}

// The run's ticker at `index` (the index itself if there is none).
std::string Ticker(const GetRunResponse& run, int index) {
  const auto& symbols = run.run().symbols();
  if (index < 0 || index >= symbols.size()) return absl::StrCat(index);
  return CsvField(symbols[index]);
}

// An enum value's name in lower case ("take_profit"); empty for 0
// (unspecified), the number for one this build does not know.
std::string EnumText(const google::protobuf::EnumDescriptor* type, int number) {
  if (number == 0) return "";
  const google::protobuf::EnumValueDescriptor* value =
      type->FindValueByNumber(number);
  return value == nullptr ? absl::StrCat(number)
                          : absl::AsciiStrToLower(value->name());
}

std::string TradesCsv(const GetRunResponse& run, const StrategyIds& ids) {
  std::string csv = absl::StrCat(kTradesCsvHeader, StrategyHeader(ids), "\n");
  for (const Trade& trade : run.trades()) {
    absl::StrAppend(
        &csv, TradeRow(trade),
        ids.empty() ? "" : absl::StrCat(",", CsvField(trade.strategy())), "\n");
  }
  return csv;
}

std::string FillsCsv(const GetRunResponse& run, const StrategyIds& ids) {
  std::string csv = absl::StrCat(kFillsCsvHeader, StrategyHeader(ids), "\n");
  for (const backtest::v1::Fill& fill : run.fills()) {
    absl::StrAppend(
        &csv,
        absl::StrJoin(
            {FormatTime(fill.time()), Ticker(run, fill.symbol()),
             EnumText(backtest::v1::Side_descriptor(), fill.side()),
             PlainDecimal(fill.quantity()), PlainDecimal(fill.price()),
             PlainDecimal(fill.raw_price()), PlainDecimal(fill.commission()),
             PlainDecimal(fill.slippage()), absl::StrCat(fill.order_id()),
             EnumText(backtest::v1::OrderType_descriptor(), fill.type()),
             EnumText(backtest::v1::OrderRole_descriptor(), fill.role()),
             std::string(fill.partial() ? "1" : "0"),
             PlainDecimal(fill.remaining_quantity()),
             std::string(fill.gap() ? "1" : "0"),
             CsvField(fill.same_bar_resolution()), CsvField(fill.reason()),
             CsvField(fill.tag())},
            ","),
        StrategyColumn(ids, fill.strategy()), "\n");
  }
  return csv;
}

std::string RejectionsCsv(const GetRunResponse& run, const StrategyIds& ids) {
  std::string csv =
      absl::StrCat(kRejectionsCsvHeader, StrategyHeader(ids), "\n");
  for (const backtest::v1::Rejection& rejection : run.rejections()) {
    absl::StrAppend(
        &csv,
        absl::StrJoin(
            {FormatTime(rejection.time()), Ticker(run, rejection.symbol()),
             EnumText(backtest::v1::Side_descriptor(), rejection.side()),
             PlainDecimal(rejection.quantity()),
             absl::StrCat(rejection.order_id()), CsvField(rejection.stage()),
             CsvField(rejection.code()), CsvField(rejection.message()),
             CsvField(rejection.tag())},
            ","),
        StrategyColumn(ids, rejection.strategy()), "\n");
  }
  return csv;
}

std::string EquityCsv(const GetRunResponse& run, const StrategyIds& ids) {
  std::string csv = kEquityCsvHeader;
  for (const std::string& id : ids) {
    absl::StrAppend(&csv, ",", CsvField(absl::StrCat("equity_", id)));
  }
  absl::StrAppend(&csv, "\n");
  for (const backtest::v1::EquityPoint& point : run.equity()) {
    absl::StrAppend(&csv, FormatTime(point.time()), ",",
                    PlainDecimal(point.cash()), ",",
                    PlainDecimal(point.equity()));
    for (size_t i = 0; i < ids.size(); ++i) {
      absl::StrAppend(&csv, ",",
                      static_cast<int>(i) < point.strategy_equity_size()
                          ? PlainDecimal(point.strategy_equity(i))
                          : "");
    }
    absl::StrAppend(&csv, "\n");
  }
  return csv;
}

std::string ErrorJson(const backtest::v1::RunSummary& summary) {
  if (!summary.has_error()) return "null";
  const backtest::v1::StageError& error = summary.error();
  std::vector<std::string> fields = {
      absl::StrCat("\"stage\": ", JsonQuote(error.stage())),
      absl::StrCat("\"reason\": ", JsonQuote(error.reason())),
      absl::StrCat("\"message\": ", JsonQuote(error.message())),
      absl::StrCat("\"symbol\": ", JsonQuote(error.symbol())),
      absl::StrCat("\"bar_time\": ", JsonQuote(error.bar_time())),
      absl::StrCat("\"hint\": ", JsonQuote(error.hint())),
      absl::StrCat("\"code\": ", error.code())};
  return absl::StrCat("{", absl::StrJoin(fields, ", "), "}");
}

std::string FieldJson(const google::protobuf::Message& message,
                      const google::protobuf::FieldDescriptor* field,
                      int depth);

// Every field of `message` by its proto name, as one JSON object on one line:
// nested messages are small (intervals, drawdown, buckets).
std::string MessageJson(const google::protobuf::Message& message, int depth) {
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  std::vector<std::string> fields;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    fields.push_back(absl::StrCat(JsonQuote(field->name()), ": ",
                                  FieldJson(message, field, depth + 1)));
  }
  return absl::StrCat("{", absl::StrJoin(fields, ", "), "}");
}

// Element `index` of a repeated `field`, or its only value when index < 0.
std::string ValueJson(const google::protobuf::Message& message,
                      const google::protobuf::FieldDescriptor* field, int index,
                      int depth) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = message.GetReflection();
  const bool one = index < 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return JsonNumber(
          one ? reflection->GetDouble(message, field)
              : reflection->GetRepeatedDouble(message, field, index));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return JsonNumber(
          one ? reflection->GetFloat(message, field)
              : reflection->GetRepeatedFloat(message, field, index));
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(
          one ? reflection->GetInt32(message, field)
              : reflection->GetRepeatedInt32(message, field, index));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(
          one ? reflection->GetInt64(message, field)
              : reflection->GetRepeatedInt64(message, field, index));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(
          one ? reflection->GetUInt32(message, field)
              : reflection->GetRepeatedUInt32(message, field, index));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(
          one ? reflection->GetUInt64(message, field)
              : reflection->GetRepeatedUInt64(message, field, index));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (one ? reflection->GetBool(message, field)
                  : reflection->GetRepeatedBool(message, field, index))
                 ? "true"
                 : "false";
    case FieldDescriptor::CPPTYPE_STRING:
      return JsonQuote(
          one ? reflection->GetString(message, field)
              : reflection->GetRepeatedString(message, field, index));
    case FieldDescriptor::CPPTYPE_ENUM:
      return JsonQuote(
          (one ? reflection->GetEnum(message, field)
               : reflection->GetRepeatedEnum(message, field, index))
              ->name());
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return MessageJson(
          one ? reflection->GetMessage(message, field)
              : reflection->GetRepeatedMessage(message, field, index),
          depth);
  }
  return "null";
}

// A field's JSON: null when it has presence and is unset; an array for a
// repeated field, one element per line when the elements are messages.
std::string FieldJson(const google::protobuf::Message& message,
                      const google::protobuf::FieldDescriptor* field,
                      int depth) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  if (!field->is_repeated()) {
    if (field->has_presence() && !reflection->HasField(message, field)) {
      return "null";
    }
    return ValueJson(message, field, -1, depth);
  }
  std::vector<std::string> elements;
  for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
    elements.push_back(ValueJson(message, field, i, depth));
  }
  if (elements.empty()) return "[]";
  if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
    return absl::StrCat("[", absl::StrJoin(elements, ", "), "]");
  }
  const std::string indent(2 * depth, ' ');
  return absl::StrCat(
      "[\n", indent, "  ",
      absl::StrJoin(elements, absl::StrCat(",\n", indent, "  ")), "\n", indent,
      "]");
}

// One field of a message as a CSV value: a string as itself, anything else
// as in metrics.json; empty when the field has presence and is unset.
std::string CsvValue(const google::protobuf::Message& message,
                     const google::protobuf::FieldDescriptor* field) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  if (field->has_presence() && !reflection->HasField(message, field)) {
    return "";
  }
  if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
    return CsvField(reflection->GetString(message, field));
  }
  return CsvField(ValueJson(message, field, -1, /*depth=*/0));
}

// strategies.csv: every StrategyAttribution field by its proto name, read
// through reflection so a field added to run.proto is exported as well.
std::string StrategiesCsv(const GetRunResponse& run) {
  const google::protobuf::Descriptor* descriptor =
      backtest::v1::StrategyAttribution::descriptor();
  std::vector<std::string> header;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    header.push_back(descriptor->field(i)->name());
  }
  std::string csv = absl::StrCat(absl::StrJoin(header, ","), "\n");
  for (const backtest::v1::StrategyAttribution& strategy :
       run.run().metrics().strategies()) {
    std::vector<std::string> row;
    for (int i = 0; i < descriptor->field_count(); ++i) {
      row.push_back(CsvValue(strategy, descriptor->field(i)));
    }
    absl::StrAppend(&csv, absl::StrJoin(row, ","), "\n");
  }
  return csv;
}

// Every Metrics field by its proto name, read through reflection so a field
// added to run.proto is exported without touching this file. Unset optionals
// and messages (and every metric of a run that has none yet) are null;
// nested messages are objects and repeated fields arrays.
void AppendMetricsFields(const backtest::v1::RunSummary& summary,
                         std::vector<std::string>& fields) {
  const backtest::v1::Metrics& metrics = summary.metrics();
  const google::protobuf::Descriptor* descriptor = metrics.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    fields.push_back(absl::StrCat(JsonQuote(field->name()), ": ",
                                  summary.has_metrics()
                                      ? FieldJson(metrics, field, /*depth=*/1)
                                      : "null"));
  }
}

std::string MetricsJson(const GetRunResponse& run) {
  const backtest::v1::RunSummary& summary = run.run();
  std::vector<std::string> symbols;
  for (const std::string& symbol : summary.symbols()) {
    symbols.push_back(JsonQuote(symbol));
  }
  std::vector<std::string> fields = {
      absl::StrCat("\"run_id\": ", JsonQuote(summary.run_id())),
      absl::StrCat("\"name\": ", JsonQuote(summary.name())),
      absl::StrCat("\"state\": ",
                   JsonQuote(backtest::v1::RunState_Name(summary.state()))),
      absl::StrCat("\"strategy\": ", JsonQuote(summary.strategy())),
      absl::StrCat("\"symbols\": [", absl::StrJoin(symbols, ", "), "]"),
      absl::StrCat("\"created_at\": ", JsonQuote(summary.created_at())),
      absl::StrCat("\"finished_at\": ", JsonQuote(summary.finished_at())),
      absl::StrCat("\"first_time\": ", JsonQuote(summary.first_time())),
      absl::StrCat("\"last_time\": ", JsonQuote(summary.last_time())),
      absl::StrCat("\"spec_hash\": ", JsonQuote(summary.spec_hash())),
      absl::StrCat("\"data_hash\": ", JsonQuote(summary.data_hash())),
      absl::StrCat("\"engine_version\": ", JsonQuote(summary.engine_version())),
      absl::StrCat("\"error\": ", ErrorJson(summary))};
  AppendMetricsFields(summary, fields);
  return absl::StrCat("{\n  ", absl::StrJoin(fields, ",\n  "), "\n}\n");
}

absl::Status WriteFile(const std::filesystem::path& path,
                       const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (out.fail()) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "EXPORT_FAILED",
        absl::StrCat("cannot write ", path.string(), ": ",
                     std::strerror(errno)),
        {.hint = "choose a writable directory with free space"});
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ExportRun(const GetRunResponse& run,
                       const std::string& directory) {
  absl::StatusOr<std::vector<backtest::v1::StrategySpec>> strategies =
      SpecStrategies(run.canonical_spec());
  if (!strategies.ok()) {
    return StageFailure(
        absl::StatusCode::kDataLoss, kStage, "EXPORT_FAILED",
        absl::StrCat("cannot export run ", run.run().run_id(),
                     ": its stored spec ", strategies.status().message()),
        {.run_id = run.run().run_id(),
         .hint = "the results database was changed by something else; run "
                 "the backtest again"});
  }
  StrategyIds ids;
  for (const backtest::v1::StrategySpec& strategy : *strategies) {
    ids.push_back(strategy.id());
  }
  const std::filesystem::path root(directory);
  std::error_code error;
  std::filesystem::create_directories(root, error);
  if (error) {
    return StageFailure(
        absl::StatusCode::kFailedPrecondition, kStage, "EXPORT_FAILED",
        absl::StrCat("cannot create export directory ", directory, ": ",
                     error.message()),
        {.run_id = run.run().run_id(), .hint = "choose a writable directory"});
  }
  absl::Status status = WriteFile(root / "trades.csv", TradesCsv(run, ids));
  if (status.ok()) status = WriteFile(root / "fills.csv", FillsCsv(run, ids));
  if (status.ok()) {
    status = WriteFile(root / "rejections.csv", RejectionsCsv(run, ids));
  }
  if (status.ok()) {
    status = WriteFile(root / "equity.csv", EquityCsv(run, ids));
  }
  if (status.ok() && !ids.empty()) {
    status = WriteFile(root / "strategies.csv", StrategiesCsv(run));
  }
  if (status.ok()) status = WriteFile(root / "metrics.json", MetricsJson(run));
  return WithContext(status, kStage, {.run_id = run.run().run_id()});
}

}  // namespace seed::results
