#include "common/logging.h"

#include "common/tracing.h"
#include "gtest/gtest.h"

namespace seed {
namespace {

TEST(LoggingTest, ALineIsOneJsonObjectWithTheCurrentTraceAndSpan) {
  tracing::TraceRecorder recorder;
  tracing::ContextScope scope(
      {&recorder,
       {"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"},
       "coordinator"});
  const std::string line =
      FormatLogLine(LogLevel::kError, "no bars for \"XYZ\"\n",
                    {.run_id = "run-1", .extra = {{"stage", "data"}}});
  EXPECT_EQ(line.find('\n'), std::string::npos);  // one line
  EXPECT_EQ(line.substr(0, 9), "{\"time\":\"");
  const std::string rest = line.substr(line.find(",\"level\""));
  EXPECT_EQ(rest,
            ",\"level\":\"ERROR\",\"message\":\"no bars for \\\"XYZ\\\"\\n\","
            "\"run_id\":\"run-1\","
            "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\","
            "\"span_id\":\"00f067aa0ba902b7\",\"stage\":\"data\"}");
  // The time: "YYYY-MM-DDTHH:MM:SS.ffffffZ".
  const std::string time = line.substr(9, line.find("\",\"level\"") - 9);
  EXPECT_EQ(time.size(), 27) << time;
  EXPECT_EQ(time.back(), 'Z');
}

TEST(LoggingTest, WithoutATraceTheIdsAreEmpty) {
  const std::string line = FormatLogLine(LogLevel::kInfo, "service started", {});
  EXPECT_NE(line.find("\"level\":\"INFO\""), std::string::npos);
  EXPECT_NE(line.find("\"run_id\":\"\",\"trace_id\":\"\",\"span_id\":\"\""),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace seed
