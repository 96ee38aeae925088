#include "research/point_text.h"

#include <charconv>

#include "absl/strings/str_cat.h"
#include "common/json_text.h"

namespace seed::research {

using ::backtest::v1::ParamValue;

namespace {

// The shortest form that reads back as the same double.
std::string ShortestNumber(double number) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), number);
  return std::string(buffer, result.ptr);
}

}  // namespace

std::string ValueText(const ParamValue& value) {
  switch (value.kind_case()) {
    case ParamValue::kNumber:
      // -0 == 0: one point, one text.
      return ShortestNumber(value.number() == 0 ? 0 : value.number());
    case ParamValue::kText:
      return JsonQuote(value.text());
    case ParamValue::kFlag:
      return value.flag() ? "true" : "false";
    case ParamValue::KIND_NOT_SET:
      break;
  }
  return "null";
}

std::string DisplayText(const ParamValue& value) {
  switch (value.kind_case()) {
    case ParamValue::kNumber:
      return ShortestNumber(value.number());
    case ParamValue::kFlag:
      return value.flag() ? "true" : "false";
    default:
      return value.text();
  }
}

std::string CanonicalText(const Point& point) {
  std::string text = "{";
  for (const auto& [name, value] : point) {
    if (text.size() > 1) text += ",";
    absl::StrAppend(&text, JsonQuote(name), ":", ValueText(value));
  }
  text += "}";
  return text;
}

}  // namespace seed::research
