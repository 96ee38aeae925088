#include "common/otlp.h"

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace seed::otlp {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;

backtest::v1::Trace SampleTrace() {
  backtest::v1::Trace trace;
  backtest::v1::Span* run = trace.add_spans();
  run->set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  run->set_span_id("00f067aa0ba902b7");
  run->set_name("run");
  run->set_service("coordinator");
  run->set_kind(backtest::v1::SPAN_KIND_INTERNAL);
  run->set_start_unix_nanos(1700000000123456789);
  run->set_end_unix_nanos(1700000001123456789);
  run->set_status_code(backtest::v1::SPAN_STATUS_ERROR);
  run->set_status_message("data NO_BARS: none");
  auto* symbols = run->add_attributes();
  symbols->set_key("symbols");
  symbols->set_string_value("ORCL");
  auto* steps = run->add_attributes();
  steps->set_key("steps");
  steps->set_int_value(9007199254740993);  // 2^53 + 1: exact only as a string
  auto* fraction = run->add_attributes();
  fraction->set_key("fraction");
  fraction->set_double_value(0.1);
  auto* partial = run->add_attributes();
  partial->set_key("partial");
  partial->set_bool_value(true);
  auto* event = run->add_events();
  event->set_name("exception");
  event->set_time_unix_nanos(1700000001000000000);
  auto* type = event->add_attributes();
  type->set_key("exception.type");
  type->set_string_value("NO_BARS");
  backtest::v1::Span* rpc = trace.add_spans();
  *rpc = *run;
  rpc->clear_attributes();
  rpc->clear_events();
  rpc->set_span_id("1111111111111111");
  rpc->set_parent_span_id("00f067aa0ba902b7");
  rpc->set_name("backtest.v1.DataService/OpenDataset");
  rpc->set_service("data");
  rpc->set_kind(backtest::v1::SPAN_KIND_SERVER);
  rpc->set_status_code(backtest::v1::SPAN_STATUS_UNSET);
  rpc->clear_status_message();
  return trace;
}

Struct Parse(const std::string& json) {
  Struct parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return parsed;
}

const Value& Field(const Struct& object, const std::string& key) {
  static const Value* const kMissing = new Value();
  const auto it = object.fields().find(key);
  EXPECT_NE(it, object.fields().end()) << "missing " << key;
  return it == object.fields().end() ? *kMissing : it->second;
}

TEST(OtlpTest, FollowsTheOtlpJsonMappingFieldByField) {
  const Struct root = Parse(TraceToJson(SampleTrace(), "0.1.0"));
  const auto& resources = Field(root, "resourceSpans").list_value().values();
  ASSERT_EQ(resources.size(), 2);  // coordinator, data: one per service

  const Struct& coordinator = resources[0].struct_value();
  const auto& resource_attributes =
      Field(Field(coordinator, "resource").struct_value(), "attributes")
          .list_value()
          .values();
  ASSERT_EQ(resource_attributes.size(), 1);
  EXPECT_EQ(Field(resource_attributes[0].struct_value(), "key").string_value(),
            "service.name");
  EXPECT_EQ(Field(Field(resource_attributes[0].struct_value(), "value")
                      .struct_value(),
                  "stringValue")
                .string_value(),
            "coordinator");
  const auto& scopes = Field(coordinator, "scopeSpans").list_value().values();
  ASSERT_EQ(scopes.size(), 1);
  const Struct& scope = Field(scopes[0].struct_value(), "scope").struct_value();
  EXPECT_EQ(Field(scope, "name").string_value(), kScopeName);
  EXPECT_EQ(Field(scope, "version").string_value(), "0.1.0");
  const auto& spans =
      Field(scopes[0].struct_value(), "spans").list_value().values();
  ASSERT_EQ(spans.size(), 1);
  const Struct& run = spans[0].struct_value();
  EXPECT_EQ(Field(run, "traceId").string_value(),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(Field(run, "spanId").string_value(), "00f067aa0ba902b7");
  EXPECT_EQ(run.fields().count("parentSpanId"), 0);  // a root
  EXPECT_EQ(Field(run, "name").string_value(), "run");
  EXPECT_EQ(Field(run, "kind").number_value(), 1);  // SPAN_KIND_INTERNAL
  // Times are decimal strings: a JSON number would lose the nanoseconds.
  EXPECT_EQ(Field(run, "startTimeUnixNano").string_value(),
            "1700000000123456789");
  EXPECT_EQ(Field(run, "endTimeUnixNano").string_value(),
            "1700000001123456789");
  const Struct& status = Field(run, "status").struct_value();
  EXPECT_EQ(Field(status, "code").number_value(), 2);  // STATUS_CODE_ERROR
  EXPECT_EQ(Field(status, "message").string_value(), "data NO_BARS: none");
  const auto& attributes = Field(run, "attributes").list_value().values();
  ASSERT_EQ(attributes.size(), 4);
  const auto value = [&](int i) {
    return Field(attributes[i].struct_value(), "value").struct_value();
  };
  EXPECT_EQ(Field(attributes[0].struct_value(), "key").string_value(),
            "symbols");
  EXPECT_EQ(Field(value(0), "stringValue").string_value(), "ORCL");
  EXPECT_EQ(Field(value(1), "intValue").string_value(), "9007199254740993");
  EXPECT_EQ(Field(value(2), "doubleValue").number_value(), 0.1);
  EXPECT_TRUE(Field(value(3), "boolValue").bool_value());
  const auto& events = Field(run, "events").list_value().values();
  ASSERT_EQ(events.size(), 1);
  EXPECT_EQ(Field(events[0].struct_value(), "name").string_value(),
            "exception");
  EXPECT_EQ(Field(events[0].struct_value(), "timeUnixNano").string_value(),
            "1700000001000000000");

  const Struct& data = resources[1].struct_value();
  const Struct& rpc = Field(Field(data, "scopeSpans")
                                .list_value()
                                .values(0)
                                .struct_value(),
                            "spans")
                          .list_value()
                          .values(0)
                          .struct_value();
  EXPECT_EQ(Field(rpc, "parentSpanId").string_value(), "00f067aa0ba902b7");
  EXPECT_EQ(Field(rpc, "kind").number_value(), 2);  // SPAN_KIND_SERVER
  EXPECT_TRUE(Field(rpc, "status").struct_value().fields().empty());  // unset
}

TEST(OtlpTest, BadEndpointsAreRefusedBeforeConnecting) {
  EXPECT_EQ(PostJson("https://collector:4318", "{}").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PostJson("http://:4318", "{}").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PostJson("http://127.0.0.1:99999", "{}").code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seed::otlp
