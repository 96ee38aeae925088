#include "common/server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backtest/v1/results.grpc.pb.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/metrics_scrape.h"
#include "common/service_health.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

namespace seed {
namespace {

// Answers every read; a write is never expected to arrive twice.
class FakeResults final : public backtest::v1::ResultsService::Service {
 public:
  grpc::Status ListRuns(grpc::ServerContext*,
                        const backtest::v1::ListRunsRequest*,
                        backtest::v1::ListRunsResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status BeginRun(grpc::ServerContext*,
                        const backtest::v1::BeginRunRequest*,
                        backtest::v1::BeginRunResponse*) override {
    return grpc::Status::OK;
  }
};

// A port nobody listens on right now.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

TEST(StartServerTest, SecondServerOnAUsedPortFailsNamingTheAddress) {
  FakeResults first_service, second_service;
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> first =
      StartServer("127.0.0.1:0", {&first_service}, &port);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string address = absl::StrCat("127.0.0.1:", port);
  absl::StatusOr<std::unique_ptr<grpc::Server>> second =
      StartServer(address, {&second_service});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(address), std::string::npos)
      << second.status();
  EXPECT_NE(second.status().message().find("port in use"), std::string::npos)
      << second.status();
  (*first)->Shutdown();
}

// The server comes up 600 ms after the first attempt: a read is retried
// until it answers; a write (not safe to repeat) fails at once.
TEST(MakeChannelTest, RetriesReadsButNotWritesWhileAServerComesUp) {
  const std::string address = absl::StrCat("127.0.0.1:", FreePort());
  FakeResults service;
  std::unique_ptr<grpc::Server> server;
  std::thread starter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    absl::StatusOr<std::unique_ptr<grpc::Server>> started =
        StartServer(address, {&service});
    ASSERT_TRUE(started.ok()) << started.status();
    server = *std::move(started);
  });
  auto stub = backtest::v1::ResultsService::NewStub(MakeChannel(address));
  const auto deadline =
      std::chrono::system_clock::now() + std::chrono::seconds(20);
  grpc::ClientContext write_context;
  write_context.set_deadline(deadline);
  backtest::v1::BeginRunResponse begun;
  const grpc::Status write =
      stub->BeginRun(&write_context, backtest::v1::BeginRunRequest(), &begun);
  EXPECT_EQ(write.error_code(), grpc::StatusCode::UNAVAILABLE);

  grpc::ClientContext read_context;
  read_context.set_deadline(deadline);
  backtest::v1::ListRunsResponse runs;
  const grpc::Status read =
      stub->ListRuns(&read_context, backtest::v1::ListRunsRequest(), &runs);
  EXPECT_TRUE(read.ok()) << read.error_code() << " " << read.error_message();
  starter.join();
  if (server != nullptr) server->Shutdown();
}

TEST(RetryServiceConfigTest, RetriesOnlyUnavailable) {
  const std::string config = RetryServiceConfig();
  EXPECT_NE(config.find("\"retryableStatusCodes\": [\"UNAVAILABLE\"]"),
            std::string::npos);
  EXPECT_EQ(config.find("SubmitRun"), std::string::npos);
  EXPECT_EQ(config.find("OpenDataset"), std::string::npos);
  EXPECT_EQ(config.find("AppendRecords"), std::string::npos);
}

using grpc::health::v1::HealthCheckResponse;

// What the server at `address` answers on grpc.health.v1 ("" service), or
// the call's failure.
std::string HealthOf(const std::string& address) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  HealthCheckResponse response;
  const grpc::Status status =
      stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
  if (!status.ok()) return absl::StrCat("failed: ", status.error_message());
  return HealthCheckResponse::ServingStatus_Name(response.status());
}

// Polls HealthOf until it says `expected` or 10 s pass; the last answer.
std::string AwaitHealth(const std::string& address,
                        const std::string& expected) {
  std::string answer;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((answer = HealthOf(address)) != expected && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  return answer;
}

TEST(StartHealthServerTest, AnswersHealthAloneInPlainText) {
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> health =
      StartHealthServer("127.0.0.1:0", &port);
  ASSERT_TRUE(health.ok()) << health.status();
  const std::string address = absl::StrCat("127.0.0.1:", port);
  EXPECT_EQ(HealthOf(address), "NOT_SERVING");  // until its service is up
  (*health)->GetHealthCheckService()->SetServingStatus(true);
  EXPECT_EQ(HealthOf(address), "SERVING");

  // Nothing but health: a results call is not served there.
  auto stub = backtest::v1::ResultsService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  backtest::v1::ListRunsResponse runs;
  EXPECT_EQ(stub->ListRuns(&context, backtest::v1::ListRunsRequest(), &runs)
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  absl::StatusOr<std::unique_ptr<grpc::Server>> second =
      StartHealthServer(address);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("port in use"), std::string::npos)
      << second.status();
  (*health)->Shutdown();
}

// The monitor reports its check's verdict on every server it was given, and
// only a change is applied.
TEST(HealthMonitorTest, ReportsTheCheckOnEveryServer) {
  FakeResults service;
  int port = 0, health_port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartServer("127.0.0.1:0", {&service}, &port);
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::unique_ptr<grpc::Server>> health =
      StartHealthServer("127.0.0.1:0", &health_port);
  ASSERT_TRUE(health.ok()) << health.status();
  (*health)->GetHealthCheckService()->SetServingStatus(true);
  const std::string main_address = absl::StrCat("127.0.0.1:", port);
  const std::string health_address = absl::StrCat("127.0.0.1:", health_port);

  std::atomic<bool> healthy{true};
  std::atomic<int> checks{0};
  {
    HealthMonitor monitor(
        "results",
        [&]() -> absl::Status {
          ++checks;
          return healthy ? absl::OkStatus()
                         : absl::UnavailableError("database unreachable");
        },
        {server->get(), health->get()}, absl::Milliseconds(20));
    EXPECT_EQ(AwaitHealth(health_address, "SERVING"), "SERVING");
    healthy = false;
    EXPECT_EQ(AwaitHealth(main_address, "NOT_SERVING"), "NOT_SERVING");
    EXPECT_EQ(AwaitHealth(health_address, "NOT_SERVING"), "NOT_SERVING");
    EXPECT_FALSE(monitor.serving());
    healthy = true;
    EXPECT_EQ(AwaitHealth(main_address, "SERVING"), "SERVING");
    EXPECT_EQ(AwaitHealth(health_address, "SERVING"), "SERVING");
  }
  const int after_stop = checks;
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(checks, after_stop);  // the monitor's thread has stopped
  (*server)->Shutdown();
  (*health)->Shutdown();
}

// Every call a server handles is counted by method and code, and timed.
TEST(StartServerTest, CountsAndTimesEveryCall) {
  FakeResults service;
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartServer("127.0.0.1:0", {&service}, &port);
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::unique_ptr<metrics::MetricsEndpoint>> endpoint =
      metrics::MetricsEndpoint::Start("127.0.0.1:0");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  const std::string metrics_address =
      absl::StrCat("127.0.0.1:", (*endpoint)->port());
  const std::map<std::string, std::string> list_runs = {
      {"grpc_type", "unary"},
      {"grpc_service", "backtest.v1.ResultsService"},
      {"grpc_method", "ListRuns"}};
  absl::StatusOr<std::string> before = metrics::Scrape(metrics_address);
  ASSERT_TRUE(before.ok()) << before.status();

  auto stub = backtest::v1::ResultsService::NewStub(
      MakeChannel(absl::StrCat("127.0.0.1:", port)));
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    backtest::v1::ListRunsResponse runs;
    ASSERT_TRUE(
        stub->ListRuns(&context, backtest::v1::ListRunsRequest(), &runs).ok());
  }
  grpc::ClientContext context;
  backtest::v1::GetRunResponse run;  // FakeResults does not implement GetRun
  ASSERT_EQ(
      stub->GetRun(&context, backtest::v1::GetRunRequest(), &run).error_code(),
      grpc::StatusCode::UNIMPLEMENTED);

  absl::StatusOr<std::string> after = metrics::Scrape(metrics_address);
  ASSERT_TRUE(after.ok()) << after.status();
  std::map<std::string, std::string> ok = list_runs;
  ok["grpc_code"] = "OK";
  EXPECT_EQ(metrics::SumOfSamples(*after, "grpc_server_handled_total", ok) -
                metrics::SumOfSamples(*before, "grpc_server_handled_total", ok),
            3)
      << *after;
  EXPECT_EQ(metrics::SumOfSamples(
                *after, "grpc_server_handled_total",
                {{"grpc_method", "GetRun"}, {"grpc_code", "UNIMPLEMENTED"}}) -
                metrics::SumOfSamples(*before, "grpc_server_handled_total",
                                      {{"grpc_method", "GetRun"},
                                       {"grpc_code", "UNIMPLEMENTED"}}),
            1)
      << *after;
  EXPECT_EQ(metrics::SumOfSamples(*after, "grpc_server_handling_seconds_count",
                                  list_runs) -
                metrics::SumOfSamples(
                    *before, "grpc_server_handling_seconds_count", list_runs),
            3);
  (*server)->Shutdown();
}

// Under `bt serve` (JSON logs on) a service that cannot start says why in a
// JSON line, not plain text in the JSON stream; alone, in plain text.
TEST(ReportStartFailureTest, JsonWhileJsonLogsAreOn) {
  const absl::Status status = absl::UnavailableError("port in use");
  const bool was_on = JsonLogsEnabled();
  EnableJsonLogs(false);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(ServerUsageError("results", status), 2);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "results service: port in use\n");
  EnableJsonLogs(true);
  ::testing::internal::CaptureStderr();
  ReportStartFailure("results", status);
  const std::string line = ::testing::internal::GetCapturedStderr();
  EnableJsonLogs(was_on);
  EXPECT_EQ(line.front(), '{') << line;
  EXPECT_NE(line.find(R"("message":"results service: port in use")"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find(R"("event":"service_start_failed","service":"results"})"),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace seed
